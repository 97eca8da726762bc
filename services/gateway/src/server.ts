import http, { type IncomingMessage, type RequestListener, type ServerResponse } from 'node:http';
import https from 'node:https';
import type { TlsFiles } from '@switchyard/lifecycle';
import type { CorsHandler } from './cors/cors';
import type { HotHandler } from './http/completions-handler';
import { answerClientError, refuseExpectation } from './http/client-errors';
import { canonicalPath, pathOf } from './http/route-path';
import { HOT_ROUTES, MULTIPART_ROUTES, RESPONSE_BY_ID_PREFIX, ROUTED_ROUTES, type EndpointKind } from './pipeline/validate-request';
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
  const passthrough = new Set(options.passthroughPaths ?? []);
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
    // Only requests that are not chat/completions/embeddings get this far (issue 17: the hot path pays nothing).
    const routed = routedEndpoint(req, passthrough);
    if (routed) return hot(req, res, routed);
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

/**
 * The endpoint of a request routed by model that is not a hot one (issue 17): the
 * Responses, Messages, audio, rerank… POST routes, `/v1/responses/{id}…` with any
 * method, and PASSTHROUGH_PATHS. A canonical-form match rewrites `req.url`.
 */
function routedEndpoint(req: IncomingMessage, passthrough: ReadonlySet<string>): EndpointKind | undefined {
  const url = req.url ?? '/';
  const path = pathOf(url);
  const canonical = canonicalPath(path);
  if (canonical.startsWith(RESPONSE_BY_ID_PREFIX)) {
    // Ids are case-sensitive: only the prefix is canonical.
    if (path.slice(0, RESPONSE_BY_ID_PREFIX.length) !== RESPONSE_BY_ID_PREFIX) req.url = RESPONSE_BY_ID_PREFIX + url.slice(RESPONSE_BY_ID_PREFIX.length);
    return 'response_by_id';
  }
  if (req.method !== 'POST') return undefined;
  const endpoint = ROUTED_ROUTES.get(canonical) ?? MULTIPART_ROUTES.get(canonical) ?? (passthrough.has(canonical) ? 'passthrough' : undefined);
  if (endpoint && canonical !== path) req.url = canonical + url.slice(path.length);
  return endpoint;
}

export interface GatewayServerOptions {
  /** PASSTHROUGH_PATHS: extra POST paths routed by the body's `model` (canonical form). */
  passthroughPaths?: readonly string[];
  tls?: TlsFiles;
  /** CORS_ALLOWED_ORIGINS; preflights are answered before routing. */
  cors?: CorsHandler;
}
