import { invalidRequest } from '@switchyard/contracts';
import { countTokens } from '../generation/tokenizer';
import { generatedTailLength } from '../generation/word-stream';
import type { GenerationRequest } from './generation-request';
import { generationOptionsOf, requireModel, requireObject, type Body, type ParseContext } from './request-fields';

/**
 * `POST /v1/completions`. `prompt` is a string, an array of token ids, or a
 * one-element array of either (batches are refused). Continuation (issue 10: "the
 * prompt plus the text so far"): when a string prompt ends with the first k tokens
 * of the sim's own answer for this seed, the answer resumes at token k.
 */
export function parseCompletionRequest(raw: unknown, context: ParseContext): GenerationRequest {
  const body = requireObject(raw);
  const model = requireModel(body, context);
  const prompt = requirePrompt(body);
  const options = generationOptionsOf(body, context);
  return {
    kind: 'text',
    model,
    ...options,
    startIndex: typeof prompt === 'string' ? generatedTailLength(prompt, options.seed) : 0,
    promptTokens: typeof prompt === 'string' ? countTokens(prompt) : prompt.length,
    promptSegments: [{ tag: 'prompt', content: prompt }],
  };
}

function requirePrompt(body: Body): string | number[] {
  const prompt = body.prompt;
  if (prompt === undefined || prompt === null) throw invalidRequest("Missing required parameter: 'prompt'.", 'prompt', 'missing_required_parameter');
  if (typeof prompt === 'string') return prompt;
  if (isTokenIds(prompt)) return prompt;
  if (Array.isArray(prompt) && prompt.length === 1 && (typeof prompt[0] === 'string' || isTokenIds(prompt[0]))) return prompt[0] as string | number[];
  if (Array.isArray(prompt) && prompt.length > 1) throw invalidRequest('The sim scheduler does not support batched prompts.', 'prompt', 'unsupported_value');
  throw invalidRequest("'prompt' must be a string, an array of token ids, or a one-element array of either.", 'prompt', 'invalid_type');
}

function isTokenIds(value: unknown): value is number[] {
  return Array.isArray(value) && value.length > 0 && value.every((v) => Number.isInteger(v));
}
