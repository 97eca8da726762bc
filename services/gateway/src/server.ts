import http, { type IncomingMessage, type RequestListener, type ServerResponse } from 'node:http';
import https from 'node:https';
import type { TlsFiles } from '@switchyard/lifecycle';
import type { CorsHandler } from './cors/cors';
import type { HotHandler } from './http/completions-handler';
import { HOT_ROUTES } from './http/validate-request';
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
      const url = req.url ?? '/';
      const query = url.indexOf('?');
      const endpoint = HOT_ROUTES.get(query === -1 ? url : url.slice(0, query));
      if (endpoint) return hot(req, res, endpoint);
    }
    app(req, res);
  };
  // TLS_CERT_FILE + TLS_KEY_FILE (issue 6): the same listener behind TLS.
  const server = options.tls ? https.createServer({ ...options.tls, noDelay: true }, listener) : http.createServer({ noDelay: true }, listener);
  server.keepAliveTimeout = KEEP_ALIVE_TIMEOUT_MS;
  return server;
}

export interface GatewayServerOptions {
  tls?: TlsFiles;
  /** CORS_ALLOWED_ORIGINS; preflights are answered before routing. */
  cors?: CorsHandler;
}
