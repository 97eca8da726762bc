/**
 * Alternative D (what the issue measured as too slow): Express 5 with
 * express.json() and http-proxy-middleware 3 for every request.
 */
import http from 'node:http';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { failUpstream, serveFromFlags } from './lean-handler.mjs';

// Same copies of express and http-proxy-middleware the gateway depends on.
const gatewayRequire = createRequire(path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../services/gateway/package.json'));
const express = gatewayRequire('express');
// hpm is a root devDependency since the gateway stopped declaring it (decision 003).
const rootRequire = createRequire(path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../package.json'));
const { createProxyMiddleware, fixRequestBody } = rootRequire('http-proxy-middleware');

await serveFromFlags((upstream) => {
  const app = express();
  app.use(express.json({ limit: '10mb' }));
  app.use(createProxyMiddleware({
    target: upstream.origin,
    agent: new http.Agent({ keepAlive: true, maxSockets: Infinity, maxFreeSockets: 1024 }),
    on: { proxyReq: fixRequestBody, error: (/** @type {Error} */ err, /** @type {unknown} */ _req, /** @type {http.ServerResponse} */ res) => failUpstream(res, err) },
  }));
  return app;
});
