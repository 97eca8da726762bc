import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import { ApiError, notFound } from '@switchyard/contracts';
import type { Logger } from '@switchyard/observability';
import { sendError, simInternalError } from './send';

export type RouteHandler = (req: IncomingMessage, res: ServerResponse, path: string) => void | Promise<void>;

/** `"GET /health"` → handler; a key ending in `/*` matches any path under it. */
export type Routes = Record<string, RouteHandler>;

/**
 * A tiny node:http router: the sim is a benchmark target, so it stays off Express.
 * Thrown ApiErrors are rendered as OpenAI errors; anything else is a bug (500, logged).
 */
/** `renderError`: the engine's error style (SIM_ERROR_STYLE); OpenAI's by default. */
export function createRequestListener(routes: Routes, logger: Logger, renderError: (res: ServerResponse, err: ApiError) => void = sendError): RequestListener {
  const exact = new Map<string, RouteHandler>();
  const prefixes: [string, RouteHandler][] = [];
  const paths = new Set<string>();
  for (const [key, handler] of Object.entries(routes)) {
    const [method = '', path = ''] = key.split(' ');
    if (path.endsWith('/*')) prefixes.push([`${method} ${path.slice(0, -1)}`, handler]);
    else exact.set(key, handler);
    paths.add(path);
  }

  function find(method: string, path: string): RouteHandler | undefined {
    const key = `${method} ${path}`;
    return exact.get(key) ?? prefixes.find(([prefix]) => key.startsWith(prefix) && key.length > prefix.length)?.[1];
  }

  return (req, res) => {
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    const handler = find(req.method ?? 'GET', path);
    if (!handler) {
      req.resume();
      const wrongMethod = paths.has(path);
      renderError(res, wrongMethod ? new ApiError(405, `Method ${req.method} is not allowed on ${path}.`, 'invalid_request_error', 'method_not_allowed') : notFound(`Unknown route ${path}.`));
      return;
    }
    Promise.resolve()
      .then(() => handler(req, res, path))
      .catch((err: unknown) => {
        if (!(err instanceof ApiError)) logger.error('handler failed', { path, error: String(err) });
        renderError(res, err instanceof ApiError ? err : simInternalError());
      });
  };
}
