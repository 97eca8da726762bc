import type { NextFunction, Request, Response } from 'express';
import { ApiError, invalidJson, invalidRequest, notFound, payloadTooLarge } from '@switchyard/contracts';
import type { Logger } from '@switchyard/observability';

/** Errors express.json() raises, with the fields body-parser documents. */
interface BodyParserError {
  type?: string;
  status?: number;
  limit?: number;
  message?: string;
}

/** Any thrown value as an ApiError; internals (messages, stacks) never reach the client. */
export function toAdminApiError(err: unknown): ApiError {
  if (err instanceof ApiError) return err;
  const parserError = (typeof err === 'object' && err !== null ? err : {}) as BodyParserError;
  if (parserError.type === 'entity.parse.failed') return invalidJson(parserError.message ?? 'malformed JSON');
  if (parserError.type === 'entity.too.large') return payloadTooLarge(parserError.limit ?? 0);
  if (parserError.type === 'encoding.unsupported' || parserError.type === 'charset.unsupported') {
    return invalidRequest('Unsupported request body encoding; send UTF-8 JSON.', null, 'unsupported_encoding');
  }
  return new ApiError(500, 'Internal error in the control plane.', 'server_error', 'internal_error');
}

/** The one renderer of the OpenAI error envelope for the admin server. */
export function errorMiddleware(logger: Logger) {
  return (err: unknown, req: Request, res: Response, next: NextFunction) => {
    if (res.headersSent) return next(err);
    const apiError = toAdminApiError(err);
    if (apiError.status >= 500) {
      const requestId = res.getHeader('x-request-id');
      logger.error('request failed', { request_id: requestId, method: req.method, path: req.path, error: err instanceof Error ? err.stack : String(err) });
    }
    res.status(apiError.status).set(apiError.headers).json(apiError.toBody());
  };
}

/** Final handler: every route nobody answered. */
export function unknownRoute(req: Request, _res: Response, next: NextFunction): void {
  next(notFound(`Unknown route: ${req.method} ${req.path}`, 'unknown_route'));
}
