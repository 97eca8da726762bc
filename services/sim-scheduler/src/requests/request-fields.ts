import { invalidRequest, modelNotFound } from '@switchyard/contracts';
import { normalizeSeed } from '../generation/word-stream';
import type { GenerationRequest } from './generation-request';

/** What the request parsers need to know about the sim. */
export interface ParseContext {
  models: ReadonlySet<string>;
  /** SIM_SEED, used when the request has no `seed`. */
  seed: number;
  defaultMaxTokens: number;
}

/** Above this the sim refuses, so one request cannot keep it busy for hours. */
export const MAX_TOKENS_LIMIT = 100_000;

export type Body = Record<string, unknown>;

/** The body as an object, or a 400 (arrays and scalars are valid JSON but not requests). */
export function requireObject(body: unknown): Body {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw invalidRequest('The request body must be a JSON object.');
  return body as Body;
}

/** `model`: present, a non-empty string, and served here (else 404 model_not_found). */
export function requireModel(body: Body, context: ParseContext): string {
  const model = body.model;
  if (model === undefined || model === null || model === '') throw invalidRequest("Missing required parameter: 'model'.", 'model', 'missing_required_parameter');
  if (typeof model !== 'string') throw invalidRequest("'model' must be a string.", 'model', 'invalid_type');
  if (!context.models.has(model)) throw modelNotFound(model);
  return model;
}

export function optionalBoolean(body: Body, name: string): boolean | undefined {
  const value = body[name];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'boolean') throw invalidRequest(`'${name}' must be a boolean.`, name, 'invalid_type');
  return value;
}

/** An optional integer in [min, max]; `null` counts as absent, as in OpenAI's API. */
export function optionalInt(body: Body, name: string, min: number, max: number): number | undefined {
  const value = body[name];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'number' || !Number.isInteger(value)) throw invalidRequest(`'${name}' must be an integer.`, name, 'invalid_type');
  if (value < min || value > max) throw invalidRequest(`'${name}' must be between ${min} and ${max}.`, name, 'invalid_value');
  return value;
}

/** Generated token count: `max_completion_tokens`, else `max_tokens`, else SIM_DEFAULT_MAX_TOKENS. */
function maxTokensOf(body: Body, context: ParseContext): { count: number; explicit: boolean } {
  const explicit = optionalInt(body, 'max_completion_tokens', 1, MAX_TOKENS_LIMIT) ?? optionalInt(body, 'max_tokens', 1, MAX_TOKENS_LIMIT);
  return explicit === undefined ? { count: context.defaultMaxTokens, explicit: false } : { count: explicit, explicit: true };
}

/** The request's `seed` (any integer) or SIM_SEED. */
function seedOf(body: Body, context: ParseContext): number {
  const seed = body.seed;
  if (seed === undefined || seed === null) return context.seed;
  if (typeof seed !== 'number' || !Number.isSafeInteger(seed)) throw invalidRequest("'seed' must be an integer.", 'seed', 'invalid_type');
  return normalizeSeed(seed);
}

/** The sim generates one choice; `n` (and `best_of`) other than 1 are refused rather than ignored. */
function requireSingleChoice(body: Body): void {
  for (const name of ['n', 'best_of']) {
    const value = optionalInt(body, name, 1, 128);
    if (value !== undefined && value !== 1) throw invalidRequest(`The sim scheduler supports only ${name}=1.`, name, 'unsupported_value');
  }
}

/** `stream_options.include_usage`, only meaningful with `stream: true`. */
function includeUsageOf(body: Body): boolean {
  const options = body.stream_options;
  if (options === undefined || options === null) return false;
  if (typeof options !== 'object' || Array.isArray(options)) throw invalidRequest("'stream_options' must be an object.", 'stream_options', 'invalid_type');
  return optionalBoolean(options as Body, 'include_usage') === true;
}

/** What chat and text completions generate alike, whatever their prompt looks like. */
export type GenerationOptions = Pick<GenerationRequest, 'stream' | 'includeUsage' | 'seed' | 'completionTokens' | 'finishReason'>;

/** Validates the fields chat and text completions share: `n`/`best_of`, `stream`, `stream_options`, `seed`, the token limit. */
export function generationOptionsOf(body: Body, context: ParseContext): GenerationOptions {
  requireSingleChoice(body);
  const stream = optionalBoolean(body, 'stream') ?? false;
  const maxTokens = maxTokensOf(body, context);
  return {
    stream,
    includeUsage: stream && includeUsageOf(body),
    seed: seedOf(body, context),
    completionTokens: maxTokens.count,
    finishReason: maxTokens.explicit ? 'length' : 'stop',
  };
}
