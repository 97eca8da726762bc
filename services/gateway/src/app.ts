import type { IncomingMessage } from 'node:http';
import express, { type NextFunction, type Request, type Response } from 'express';
import type { Registry } from 'prom-client';
import { ApiError, invalidRequest, notFound, toApiError } from '@switchyard/contracts';
import { createHttpMetrics, httpMetricsMiddleware, requestIdFrom, type Logger } from '@switchyard/observability';
import { writeApiError } from './pipeline/error-response';
import { modelsRouter } from './http/models-routes';
import { opsRouter, type Readiness } from './http/ops-routes';
import { HOT_ROUTES, MULTIPART_ROUTES, ROUTED_ROUTES } from './pipeline/validate-request';
import type { RoutingTableStore } from './routing/routing-table-store';

export interface AppDeps {
  store: RoutingTableStore;
  readiness: Readiness;
  registry: Registry;
  logger: Logger;
  /** When keys are required: the 401 for a request without a valid key (issue 6), else undefined. */
  authenticate?: (req: IncomingMessage) => ApiError | undefined;
}

const KNOWN_ROUTES = ['/health', '/ready', '/metrics', '/v1/models'];

/** Named in the 404 of an unknown route, so a client sees what it may call (issue 17). */
const SUPPORTED_ENDPOINTS = [
  ...[...HOT_ROUTES.keys(), ...ROUTED_ROUTES.keys(), ...MULTIPART_ROUTES.keys()].map((path) => `POST ${path}`),
  'GET|DELETE /v1/responses/{id}',
  'POST /v1/responses/{id}/cancel',
  'GET /v1/responses/{id}/input_items',
  'GET /v1/models',
  'GET /v1/models/{id}',
].join(', ');

/**
 * The Express app for everything but the hot OpenAI POST routes (models, health,
 * readiness, metrics, and OpenAI errors for the rest). No listen: the gateway's
 * node:http server calls it for requests the lean handler does not take.
 */
export function createApp(deps: AppDeps): express.Express {
  const app = express();
  app.disable('x-powered-by');
  app.disable('etag');
  app.use((req: Request, res: Response, next: NextFunction) => {
    const requestId = requestIdFrom(req.headers['x-request-id']);
    res.locals.requestId = requestId;
    res.setHeader('x-request-id', requestId);
    next();
  });
  app.use(httpMetricsMiddleware(createHttpMetrics(deps.registry, 'switchyard_gateway'), KNOWN_ROUTES));
  app.use(opsRouter(deps.readiness, deps.registry));
  if (deps.authenticate) {
    const authenticate = deps.authenticate;
    app.use('/v1', (req: Request, _res: Response, next: NextFunction) => next(authenticate(req)));
  }
  app.use(modelsRouter(deps.store));
  app.all([...HOT_ROUTES.keys(), ...ROUTED_ROUTES.keys(), ...MULTIPART_ROUTES.keys()], (req: Request) => {
    throw new ApiError(405, `Method ${req.method} is not allowed on ${req.path}; use POST.`, 'invalid_request_error', 'method_not_allowed');
  });
  app.use((req: Request) => {
    const what = req.path.startsWith('/v1/') ? 'This endpoint is not supported by the gateway' : 'Unknown route';
    throw notFound(`${what}: ${req.method} ${req.path}. Supported: ${SUPPORTED_ENDPOINTS}.`, 'unknown_route');
  });
  app.use(errorMiddleware(deps.logger));
  return app;
}

function errorMiddleware(logger: Logger) {
  return (err: unknown, req: Request, res: Response, _next: NextFunction) => {
    const requestId = (res.locals.requestId as string | undefined) ?? requestIdFrom(undefined);
    const status = (err as { status?: unknown }).status;
    // Express's own client errors (e.g. a malformed URL encoding) carry a 4xx status.
    const apiError = err instanceof ApiError ? err : typeof status === 'number' && status >= 400 && status < 500 ? invalidRequest('Malformed request.') : toApiError(err);
    if (apiError.status >= 500 && !(err instanceof ApiError)) logger.error('unhandled error', { request_id: requestId, path: req.path, error: String(err) });
    writeApiError(res, apiError, requestId);
  };
}
