/**
 * Alternative C: lean handler + http-proxy-middleware 3 on bare node:http (no
 * Express). The body is parsed first, as the gateway must, so hpm re-writes it with
 * its own fixRequestBody, exactly as it would behind a body parser.
 */
import http from 'node:http';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { failUpstream, readJsonBody, serveFromFlags } from './lean-handler.mjs';

// hpm is a root devDependency since the gateway stopped declaring it (decision 003).
const rootRequire = createRequire(path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../package.json'));
const { createProxyMiddleware, fixRequestBody } = rootRequire('http-proxy-middleware');

await serveFromFlags((upstream) => {
  const proxy = createProxyMiddleware({
    target: upstream.origin,
    agent: new http.Agent({ keepAlive: true, maxSockets: Infinity, maxFreeSockets: 1024 }),
    on: { proxyReq: fixRequestBody, error: (/** @type {Error} */ err, /** @type {unknown} */ _req, /** @type {http.ServerResponse} */ res) => failUpstream(res, err) },
  });
  return async (req, res) => {
    try {
      Object.assign(req, { body: (await readJsonBody(req)).body });
      await proxy(req, res, (/** @type {unknown} */ err) => failUpstream(res, err));
    } catch (err) {
      failUpstream(res, err);
    }
  };
});
