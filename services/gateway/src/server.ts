import http, { type IncomingMessage, type RequestListener, type ServerResponse } from 'node:http';
import https from 'node:https';
import type { TlsFiles } from '@switchyard/lifecycle';
import type { CorsHandler } from './cors/cors';
import type { HotHandler } from './http/completions-handler';
import { answerClientError, refuseExpectation } from './http/client-errors';
import { canonicalPath, pathOf } from './http/route-path';
import { HOT_ROUTES, type EndpointKind } from './http/validate-request';
import { refuseWhileDraining } from './lifecycle/draining';

/**
 * Longer than the 60 s idle timeout of common load balancers (AWS ALB, nginx's
 * default keepalive), so the balancer, not the gateway, closes idle connections.
 */
const KEEP_ALIVE_TIMEOUT_MS = 65_000;

/**
 * The gateway's one HTTP server. The OpenAI POST routes go straight to the lean
 * hot-path handler; everything else to Express (ARCHITECTURE.md: Express alone
 * takes about half a core at proxy rates).
 */
export function createGatewayServer(hot: HotHandler, app: RequestListener, draining: () => boolean, options: GatewayServerOptions = {}): http.Server {
  const { cors } = options;
  const listener = (req: IncomingMessage, res: ServerResponse) => {
    // While shutting down, answers say `connection: close` so clients reconnect elsewhere,
    // and new requests on kept-alive connections are refused (in-flight ones finish).
    if (draining()) {
      res.shouldKeepAlive = false;
      if (refuseWhileDraining(req, res)) return;
    }
    if (cors && cors(req, res)) return;
    if (req.method === 'POST') {
      const endpoint = hotEndpoint(req);
      if (endpoint) return hot(req, res, endpoint);
    }
    app(req, res);
  };
  // TLS_CERT_FILE + TLS_KEY_FILE (issue 6): the same listener behind TLS.
  const server = options.tls ? https.createServer({ ...options.tls, noDelay: true }, listener) : http.createServer({ noDelay: true }, listener);
  server.keepAliveTimeout = KEEP_ALIVE_TIMEOUT_MS;
  // Node's own 400/413/431/408 and 417 answers, in the OpenAI shape (issue 21).
  server.on('clientError', answerClientError);
  server.on('checkExpectation', refuseExpectation);
  return server;
}

/**
 * The hot endpoint of a POST, if any. The exact path is one map lookup; only a
 * miss tries the canonical form (letter case, a trailing slash: issue 21), and a
 * hit there rewrites `req.url` so the scheduler gets the path it serves.
 */
function hotEndpoint(req: IncomingMessage): EndpointKind | undefined {
  const url = req.url ?? '/';
  const path = pathOf(url);
  const exact = HOT_ROUTES.get(path);
  if (exact) return exact;
  const canonical = canonicalPath(path);
  const endpoint = HOT_ROUTES.get(canonical);
  if (endpoint) req.url = canonical + url.slice(path.length);
  return endpoint;
}

export interface GatewayServerOptions {
  tls?: TlsFiles;
  /** CORS_ALLOWED_ORIGINS; preflights are answered before routing. */
  cors?: CorsHandler;
}
