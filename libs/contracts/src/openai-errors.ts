/**
 * The one error hierarchy of Switchyard. Every error a client can see carries its
 * HTTP status and the fields of OpenAI's error envelope
 * (`{"error": {"message", "type", "param", "code"}}`), so handlers throw or return
 * these and a single renderer formats them.
 */

export type OpenAIErrorType =
  | 'invalid_request_error'
  | 'authentication_error'
  | 'permission_error'
  | 'not_found_error'
  | 'rate_limit_error'
  | 'server_error'
  | 'api_error'
  | 'timeout_error';

export interface OpenAIErrorBody {
  error: { message: string; type: OpenAIErrorType; param: string | null; code: string | null };
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly type: OpenAIErrorType,
    readonly code: string | null = null,
    readonly param: string | null = null,
    /** Extra response headers, e.g. retry-after on 429. */
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
    this.name = 'ApiError';
  }

  toBody(): OpenAIErrorBody {
    return { error: { message: this.message, type: this.type, param: this.param, code: this.code } };
  }
}

/** 400: the request is malformed or a field has the wrong type or value. */
export function invalidRequest(message: string, param: string | null = null, code = 'invalid_request'): ApiError {
  return new ApiError(400, message, 'invalid_request_error', code, param);
}

/** 400: the body is not JSON. */
export function invalidJson(detail: string): ApiError {
  return new ApiError(400, `Request body is not valid JSON: ${detail}`, 'invalid_request_error', 'invalid_json');
}

/** 401: no key, unknown key or disabled key. */
export function unauthorized(message = 'Missing or invalid API key.'): ApiError {
  return new ApiError(401, message, 'authentication_error', 'invalid_api_key');
}

/** 403: the key may not do this (model outside allowed_models, backend pin, admin call). */
export function forbidden(message: string, code = 'permission_denied', param: string | null = null): ApiError {
  return new ApiError(403, message, 'permission_error', code, param);
}

/** 404: unknown model. */
export function modelNotFound(model: string): ApiError {
  return new ApiError(404, `The model '${model}' does not exist or no scheduler serves it.`, 'invalid_request_error', 'model_not_found', 'model');
}

/** 404: any other unknown resource (backend pin, scheduler id, route). */
export function notFound(message: string, code = 'not_found', param: string | null = null): ApiError {
  return new ApiError(404, message, 'invalid_request_error', code, param);
}

/** 409: the resource exists in a conflicting form. */
export function conflict(message: string, code = 'conflict', param: string | null = null): ApiError {
  return new ApiError(409, message, 'invalid_request_error', code, param);
}

/** 413: body over the configured limit. */
export function payloadTooLarge(limitBytes: number): ApiError {
  return new ApiError(413, `Request body exceeds the limit of ${limitBytes} bytes.`, 'invalid_request_error', 'request_too_large');
}

/** 415: the body's content-type is not one the endpoint reads (issue 21: JSON endpoints take JSON only). */
export function unsupportedMediaType(message: string): ApiError {
  return new ApiError(415, message, 'invalid_request_error', 'unsupported_media_type');
}

/** 417: an `Expect` header other than `100-continue`. */
export function expectationFailed(expectation: string): ApiError {
  return new ApiError(417, `Unsupported Expect header ${JSON.stringify(expectation.slice(0, 100))}; only '100-continue' is supported.`, 'invalid_request_error', 'expectation_failed');
}

/** 431: the request's headers are over the server's limit. */
export function requestHeadersTooLarge(limitBytes: number): ApiError {
  return new ApiError(431, `Request headers exceed the limit of ${limitBytes} bytes.`, 'invalid_request_error', 'request_header_fields_too_large');
}

/** 429: a limit was hit; the client may try again after `retryAfterSeconds`. */
export function rateLimited(message: string, retryAfterSeconds: number, code = 'rate_limit_exceeded'): ApiError {
  return new ApiError(429, message, 'rate_limit_error', code, null, { 'retry-after': String(Math.max(1, Math.ceil(retryAfterSeconds))) });
}

/** 502: the scheduler refused the connection or answered garbage. */
export function badGateway(message: string, code = 'upstream_error'): ApiError {
  return new ApiError(502, message, 'server_error', code);
}

/** 503: nothing can serve the request right now. */
export function serviceUnavailable(message: string, code = 'service_unavailable'): ApiError {
  return new ApiError(503, message, 'server_error', code);
}

/** 504: the scheduler did not answer in time. */
export function gatewayTimeout(message: string, code = 'upstream_timeout'): ApiError {
  return new ApiError(504, message, 'timeout_error', code);
}

/** 500: a bug. The message never includes internals. */
export function internalError(): ApiError {
  return new ApiError(500, 'Internal error in the gateway.', 'server_error', 'internal_error');
}

/** Any thrown value as an ApiError; unknown errors become a 500 without details. */
export function toApiError(err: unknown): ApiError {
  return err instanceof ApiError ? err : internalError();
}
