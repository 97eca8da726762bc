import { invalidRequest } from '@switchyard/contracts';
import { countTokens } from '../generation/tokenizer';
import { optionalInt, requireModel, requireObject, type Body, type ParseContext } from './request-fields';

export interface EmbeddingsRequest {
  model: string;
  /** One text per embedding; token-id inputs become their ids joined by spaces. */
  inputs: string[];
  promptTokens: number;
  encoding: 'float' | 'base64';
  dimensions: number | undefined;
}

/** `POST /v1/embeddings`: `input` is a string, an array of strings, token ids, or arrays of token ids. */
export function parseEmbeddingsRequest(raw: unknown, context: ParseContext): EmbeddingsRequest {
  const body = requireObject(raw);
  const model = requireModel(body, context);
  const items = requireInput(body);
  const encoding = body.encoding_format ?? 'float';
  if (encoding !== 'float' && encoding !== 'base64') throw invalidRequest("'encoding_format' must be 'float' or 'base64'.", 'encoding_format', 'invalid_value');
  return {
    model,
    inputs: items.map((item) => (typeof item === 'string' ? item : item.join(' '))),
    promptTokens: items.reduce((sum, item) => sum + (typeof item === 'string' ? countTokens(item) : item.length), 0),
    encoding,
    dimensions: optionalInt(body, 'dimensions', 1, 8_192),
  };
}

function requireInput(body: Body): (string | number[])[] {
  const input = body.input;
  if (input === undefined || input === null) throw invalidRequest("Missing required parameter: 'input'.", 'input', 'missing_required_parameter');
  if (typeof input === 'string') return [input];
  if (Array.isArray(input) && input.length > 0) {
    if (input.every((v) => typeof v === 'string')) return input as string[];
    if (input.every((v) => Number.isInteger(v))) return [input as number[]];
    if (input.every((v) => Array.isArray(v) && v.every((t) => Number.isInteger(t)))) return input as number[][];
  }
  throw invalidRequest("'input' must be a non-empty string, array of strings, or array of token ids.", 'input', 'invalid_type');
}
