/**
 * Alternative A: lean handler + node:http client with a keep-alive agent. The
 * parsed body is forwarded as the original bytes (a gateway re-serializes only
 * when it changes the body, e.g. to drop `backend`).
 */
import http from 'node:http';
import { endToEndHeaders, failUpstream, readJsonBody, serveFromFlags } from './lean-handler.mjs';

await serveFromFlags((upstream) => {
  const agent = new http.Agent({ keepAlive: true, maxSockets: Infinity, maxFreeSockets: 1024 });
  return async (req, res) => {
    try {
      const { raw } = await readJsonBody(req);
      const upstreamReq = http.request({
        host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, agent,
        headers: { 'content-type': 'application/json', 'content-length': raw.length },
      }, (upstreamRes) => {
        res.writeHead(upstreamRes.statusCode ?? 502, endToEndHeaders(upstreamRes.headers));
        upstreamRes.pipe(res);
      });
      upstreamReq.on('error', (err) => failUpstream(res, err));
      upstreamReq.end(raw);
    } catch (err) {
      failUpstream(res, err);
    }
  };
});
