import type { ApiError } from './openai-errors';

/**
 * Anthropic's error envelope (`{"type": "error", "error": {"type", "message"}}`),
 * used on the Messages API routes so Anthropic's SDKs raise their own error classes
 * (they choose the class by HTTP status and read the message from this shape).
 */
export interface AnthropicErrorBody {
  type: 'error';
  error: { type: string; message: string };
}

/** Anthropic's error type for an HTTP status (its documented status → type pairs). */
export function anthropicErrorType(status: number): string {
  switch (status) {
    case 400:
    case 405:
    case 415:
      return 'invalid_request_error';
    case 401:
      return 'authentication_error';
    case 403:
      return 'permission_error';
    case 404:
      return 'not_found_error';
    case 413:
      return 'request_too_large';
    case 429:
      return 'rate_limit_error';
    case 503:
    case 529:
      return 'overloaded_error';
    case 504:
      return 'timeout_error';
    default:
      return status >= 500 ? 'api_error' : 'invalid_request_error';
  }
}

/** The same error in Anthropic's shape; the OpenAI `code` is kept in the message so the reason stays visible. */
export function toAnthropicErrorBody(error: ApiError): AnthropicErrorBody {
  const message = error.code ? `${error.message} (${error.code})` : error.message;
  return { type: 'error', error: { type: anthropicErrorType(error.status), message } };
}
