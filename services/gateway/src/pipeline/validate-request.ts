import { invalidRequest, type ApiError } from '@switchyard/contracts';

/** The OpenAI POST endpoints the lean hot path serves. */
export type HotEndpointKind = 'chat_completions' | 'completions' | 'embeddings';

/**
 * Every endpoint routed by the request's `model` (issue 17): the hot three, and
 * the others a vLLM / SGLang server exposes, which share the same pipeline (auth,
 * limits, pin, retries, metrics, the access line). `response_by_id` is
 * `/v1/responses/{id}…`, routed to the scheduler that created the response;
 * `passthrough` is a PASSTHROUGH_PATHS path.
 */
export type EndpointKind =
  | HotEndpointKind
  | 'responses'
  | 'response_by_id'
  | 'messages'
  | 'messages_count_tokens'
  | 'audio_transcriptions'
  | 'audio_translations'
  | 'audio_speech'
  | 'images_generations'
  | 'rerank'
  | 'score'
  | 'classify'
  | 'pooling'
  | 'tokenize'
  | 'detokenize'
  | 'passthrough';

export const HOT_ROUTES: ReadonlyMap<string, HotEndpointKind> = new Map([
  ['/v1/chat/completions', 'chat_completions'],
  ['/v1/completions', 'completions'],
  ['/v1/embeddings', 'embeddings'],
]);

/** The other JSON POST endpoints routed by `model`, looked up only when a path is not a hot one. */
export const ROUTED_ROUTES: ReadonlyMap<string, EndpointKind> = new Map([
  ['/v1/responses', 'responses'],
  ['/v1/messages', 'messages'],
  ['/v1/messages/count_tokens', 'messages_count_tokens'],
  ['/v1/audio/speech', 'audio_speech'],
  ['/v1/images/generations', 'images_generations'],
  ['/v1/rerank', 'rerank'],
  ['/rerank', 'rerank'],
  ['/v1/score', 'score'],
  ['/v1/classify', 'classify'],
  ['/pooling', 'pooling'],
  ['/tokenize', 'tokenize'],
  ['/detokenize', 'detokenize'],
]);

/** Multipart uploads routed by the form's `model` field, streamed upstream. */
export const MULTIPART_ROUTES: ReadonlyMap<string, EndpointKind> = new Map([
  ['/v1/audio/transcriptions', 'audio_transcriptions'],
  ['/v1/audio/translations', 'audio_translations'],
]);

/** Where responses are read, deleted and cancelled by id: `/v1/responses/{id}`, `/cancel`, `/input_items`. */
export const RESPONSE_BY_ID_PREFIX = '/v1/responses/';

/** Endpoints whose errors use Anthropic's envelope instead of OpenAI's. */
export function usesAnthropicErrors(endpoint: EndpointKind): boolean {
  return endpoint === 'messages' || endpoint === 'messages_count_tokens';
}

/** What the gateway needs from a valid body; the body itself goes upstream as sent. */
export interface ValidRequest {
  model: string;
  stream: boolean;
  /** The `backend` pin field (removed before the body goes upstream). */
  backend?: string;
  /**
   * The scheduler that created the response this request continues or reads
   * (`previous_response_id`, `/v1/responses/{id}`): routed there only, like a pin
   * the key needs no permission for, and never retried elsewhere.
   */
  affinity?: string;
  body: Record<string, unknown>;
}

export type ValidationResult = { ok: true; request: ValidRequest } | { ok: false; error: ApiError };

/** The field each endpoint cannot do without (besides `model`); the others leave it to the scheduler. */
const REQUIRED_INPUT: Partial<Record<EndpointKind, string>> = { chat_completions: 'messages', completions: 'prompt', embeddings: 'input', responses: 'input', messages: 'messages' };

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
  if (field === undefined) return undefined;
  const value = body[field];
  if (value === undefined || value === null) return invalidRequest(`Missing required parameter: '${field}'.`, field, 'missing_required_parameter');
  if (kind !== 'chat_completions' && kind !== 'messages') return undefined;
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
