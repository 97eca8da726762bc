import type { UpstreamHandler } from './fake-upstream';
import { openAiResponder } from './fake-upstream';

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
