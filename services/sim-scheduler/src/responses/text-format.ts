import type { ResponseFormat } from './response-format';

/**
 * `text_completion`, streamed and not (one shape for both, as OpenAI does). Stream
 * chunks before the last carry `finish_reason: null` like OpenAI and vLLM, although
 * the published schema types it as a non-null string.
 */
export const TEXT_FORMAT: ResponseFormat = {
  idPrefix: 'cmpl-',
  chunk: (meta, text) => ({ ...meta, object: 'text_completion', choices: [{ index: 0, text, logprobs: null, finish_reason: null }] }),
  finishChunk: (meta, finishReason) => ({ ...meta, object: 'text_completion', choices: [{ index: 0, text: '', logprobs: null, finish_reason: finishReason }] }),
  usageChunk: (meta, usage) => ({ ...meta, object: 'text_completion', choices: [], usage }),
  complete: (meta, text, finishReason, usage) => ({
    ...meta,
    object: 'text_completion',
    choices: [{ index: 0, text, logprobs: null, finish_reason: finishReason }],
    usage,
  }),
};
