import type { TokenStyle } from '../generation/word-stream';
import { CHAT_FORMAT } from './chat-format';
import { TEXT_FORMAT } from './text-format';

/** Fields every chunk of one answer shares. */
export interface AnswerMeta {
  id: string;
  created: number;
  model: string;
}

export interface Usage {
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
  /** With the prefix cache on: the prompt tokens it served, as vLLM reports them (`--enable-prompt-tokens-details`). */
  prompt_tokens_details?: { cached_tokens: number };
}

export type FinishReason = 'length' | 'stop';

/** The wire shapes of one endpoint's answers (OpenAI schemas in ../shared/spec). */
export interface ResponseFormat {
  idPrefix: string;
  /** A stream chunk carrying `text`; `first` marks the answer's first chunk. */
  chunk(meta: AnswerMeta, text: string, first: boolean): object;
  /** The chunk with the finish reason, after the last text chunk. */
  finishChunk(meta: AnswerMeta, finishReason: FinishReason): object;
  /** `stream_options.include_usage`: empty choices, usage filled. */
  usageChunk(meta: AnswerMeta, usage: Usage): object;
  /** The non-streamed answer. */
  complete(meta: AnswerMeta, text: string, finishReason: FinishReason, usage: Usage): object;
}

export const RESPONSE_FORMATS = { chat: CHAT_FORMAT, text: TEXT_FORMAT } satisfies Record<TokenStyle, ResponseFormat>;

/** `cachedTokens` undefined (the prefix cache off): no `prompt_tokens_details`, as vLLM without it. */
export function usageOf(promptTokens: number, completionTokens: number, cachedTokens?: number): Usage {
  const usage: Usage = { prompt_tokens: promptTokens, completion_tokens: completionTokens, total_tokens: promptTokens + completionTokens };
  if (cachedTokens !== undefined) usage.prompt_tokens_details = { cached_tokens: cachedTokens };
  return usage;
}
