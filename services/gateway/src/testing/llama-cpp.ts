import type { UpstreamHandler } from './fake-upstream';
import { openAiResponder } from './fake-upstream';

/**
 * llama.cpp's `llama-server` as it answers a client's mistakes (issue 21): `n > 1`
 * is refused with HTTP 500 and a well-formed error, a missing or wrong key with
 * 401 "Invalid API Key", an unknown path (a base URL registered with `/v1`) with
 * 404 "File Not Found" — each fast, while valid requests keep working.
 */
export function llamaCppResponder(options: { apiKey?: string } = {}): UpstreamHandler {
  const fallback = openAiResponder();
  return (request, res, req) => {
    const send = (status: number, message: string, type: string) => {
      res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', server: 'llama.cpp' });
      res.end(JSON.stringify({ error: { code: status, message, type } }));
    };
    if (options.apiKey !== undefined && request.headers.authorization !== `Bearer ${options.apiKey}`) return send(401, 'Invalid API Key', 'authentication_error');
    if (!/^\/v1\/(chat\/completions|completions|embeddings)$/.test(request.url)) return send(404, 'File Not Found', 'not_found_error');
    if (typeof request.json?.n === 'number' && request.json.n > 1) return send(500, 'Only one completion choice is allowed', 'server_error');
    fallback(request, res, req);
  };
}

/** A header the fake names in its `Connection` header, so it is hop-by-hop for this one answer. */
export const LLAMA_CPP_NAMED_HOP_HEADER = 'x-llama-hop';

/**
 * Wraps an upstream answer with the response headers llama.cpp's `llama-server`
 * sends (issue 21): it echoes any request `Origin` as `Access-Control-Allow-Origin`
 * with credentials allowed, names itself in `server`, and sends hop-by-hop headers
 * (`keep-alive`, and here also one named in `connection`). A gateway that relays
 * them lets any web page read answers and leaks the engine behind it.
 */
export function llamaCppHeaders(inner: UpstreamHandler = openAiResponder()): UpstreamHandler {
  return (request, res, req) => {
    const origin = request.headers.origin;
    if (origin !== undefined) {
      res.setHeader('Access-Control-Allow-Origin', origin);
      res.setHeader('Access-Control-Allow-Credentials', 'true');
      res.setHeader('Access-Control-Expose-Headers', '*');
    }
    res.setHeader('Server', 'llama.cpp');
    res.setHeader('Keep-Alive', 'timeout=5, max=100');
    res.setHeader('Connection', `keep-alive, ${LLAMA_CPP_NAMED_HOP_HEADER}`);
    res.setHeader(LLAMA_CPP_NAMED_HOP_HEADER, 'only-for-the-next-hop');
    res.setHeader('Proxy-Status', 'llama.cpp');
    inner(request, res, req);
  };
}
