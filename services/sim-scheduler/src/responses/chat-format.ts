import type { ResponseFormat } from './response-format';

/** `chat.completion` and `chat.completion.chunk` (role on the first chunk, finish reason on its own chunk, like OpenAI). */
export const CHAT_FORMAT: ResponseFormat = {
  idPrefix: 'chatcmpl-',
  chunk: (meta, text, first) => ({
    ...meta,
    object: 'chat.completion.chunk',
    choices: [{ index: 0, delta: first ? { role: 'assistant', content: text } : { content: text }, logprobs: null, finish_reason: null }],
  }),
  finishChunk: (meta, finishReason) => ({
    ...meta,
    object: 'chat.completion.chunk',
    choices: [{ index: 0, delta: {}, logprobs: null, finish_reason: finishReason }],
  }),
  usageChunk: (meta, usage) => ({ ...meta, object: 'chat.completion.chunk', choices: [], usage }),
  complete: (meta, text, finishReason, usage) => ({
    ...meta,
    object: 'chat.completion',
    choices: [{ index: 0, message: { role: 'assistant', content: text, refusal: null }, logprobs: null, finish_reason: finishReason }],
    usage,
  }),
};
