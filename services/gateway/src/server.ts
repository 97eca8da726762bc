import http, { type IncomingMessage, type RequestListener, type ServerResponse } from 'node:http';
import type { HotHandler } from './http/completions-handler';
import { HOT_ROUTES } from './http/validate-request';

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
export function createGatewayServer(hot: HotHandler, app: RequestListener, draining: () => boolean): http.Server {
  return http.createServer({ keepAliveTimeout: KEEP_ALIVE_TIMEOUT_MS, noDelay: true }, (req: IncomingMessage, res: ServerResponse) => {
    // While shutting down, answers say `connection: close` so clients reconnect elsewhere.
    if (draining()) res.shouldKeepAlive = false;
    if (req.method === 'POST') {
      const url = req.url ?? '/';
      const query = url.indexOf('?');
      const endpoint = HOT_ROUTES.get(query === -1 ? url : url.slice(0, query));
      if (endpoint) return hot(req, res, endpoint);
    }
    app(req, res);
  });
}
