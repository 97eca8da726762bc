import { invalidRequest, type ApiError } from '@switchyard/contracts';

/** The OpenAI POST endpoints the lean hot path serves. */
export type EndpointKind = 'chat_completions' | 'completions' | 'embeddings';

export const HOT_ROUTES: ReadonlyMap<string, EndpointKind> = new Map([
  ['/v1/chat/completions', 'chat_completions'],
  ['/v1/completions', 'completions'],
  ['/v1/embeddings', 'embeddings'],
]);

/** What the gateway needs from a valid body; the body itself goes upstream as sent. */
export interface ValidRequest {
  model: string;
  stream: boolean;
  /** The `backend` pin field (removed before the body goes upstream). */
  backend?: string;
  body: Record<string, unknown>;
}

export type ValidationResult = { ok: true; request: ValidRequest } | { ok: false; error: ApiError };

/** The field each endpoint cannot do without (besides `model`). */
const REQUIRED_INPUT: Record<EndpointKind, string> = { chat_completions: 'messages', completions: 'prompt', embeddings: 'input' };

/**
 * Checks only what the gateway must get right before routing (issue 2): the
 * scheduler validates the rest and answers with its own 400. `null` counts as
 * absent for optional fields, as in OpenAI's API.
 */
export function validateRequest(kind: EndpointKind, parsed: unknown): ValidationResult {
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    return fail(invalidRequest('Request body must be a JSON object.'));
  }
  const body = parsed as Record<string, unknown>;
  const problem = checkModel(body.model) ?? checkInput(kind, body) ?? checkOptionalFields(body);
  if (problem) return fail(problem);
  const backend = body.backend;
  if (backend !== undefined && (typeof backend !== 'string' || backend === '')) {
    return fail(invalidRequest("'backend' must be a non-empty scheduler id.", 'backend'));
  }
  return { ok: true, request: { model: body.model as string, stream: body.stream === true, backend, body } };
}

function checkModel(model: unknown): ApiError | undefined {
  if (model === undefined || model === null) return invalidRequest("Missing required parameter: 'model'.", 'model', 'missing_required_parameter');
  if (typeof model !== 'string') return invalidRequest("'model' must be a string.", 'model', 'invalid_type');
  if (model.trim() === '') return invalidRequest("'model' must not be empty.", 'model', 'invalid_value');
  return undefined;
}

function checkInput(kind: EndpointKind, body: Record<string, unknown>): ApiError | undefined {
  const field = REQUIRED_INPUT[kind];
  const value = body[field];
  if (value === undefined || value === null) return invalidRequest(`Missing required parameter: '${field}'.`, field, 'missing_required_parameter');
  if (kind !== 'chat_completions') return undefined;
  if (!Array.isArray(value)) return invalidRequest("'messages' must be an array.", 'messages', 'invalid_type');
  if (value.length === 0) return invalidRequest("'messages' must contain at least one message.", 'messages', 'empty_array');
  return undefined;
}

function checkOptionalFields(body: Record<string, unknown>): ApiError | undefined {
  for (const field of ['max_tokens', 'max_completion_tokens']) {
    const value = body[field];
    if (value !== undefined && value !== null && !(Number.isInteger(value) && (value as number) >= 0)) {
      return invalidRequest(`'${field}' must be a non-negative integer.`, field, 'invalid_value');
    }
  }
  if (body.stream !== undefined && body.stream !== null && typeof body.stream !== 'boolean') {
    return invalidRequest("'stream' must be a boolean.", 'stream', 'invalid_type');
  }
  const n = body.n;
  if (n !== undefined && n !== null && !(Number.isInteger(n) && (n as number) >= 1)) {
    return invalidRequest("'n' must be a positive integer.", 'n', 'invalid_value');
  }
  return undefined;
}

function fail(error: ApiError): ValidationResult {
  return { ok: false, error };
}
