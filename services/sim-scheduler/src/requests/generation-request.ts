import type { TokenStyle } from '../generation/word-stream';

/**
 * One piece of the prompt as the prefix cache sees it: a chat message (tag = its
 * role, standing in for the chat template's role header) or the completion prompt.
 */
export interface PromptSegment {
  tag: string;
  /** Text, or token ids for a `/v1/completions` prompt given as ids. */
  content: string | readonly number[];
}

/** A validated chat or text completion request, reduced to what the sim generates. */
export interface GenerationRequest {
  kind: TokenStyle;
  model: string;
  stream: boolean;
  includeUsage: boolean;
  seed: number;
  /** Token index the answer starts at: > 0 when continuing a partial answer. */
  startIndex: number;
  /** Tokens to generate. */
  completionTokens: number;
  promptTokens: number;
  /** The prompt in order, tokenized only when the prefix cache is on (cache/request-tokens.ts). */
  promptSegments: readonly PromptSegment[];
  /** `length` when the client set a token limit (the sim always reaches it), else `stop`. */
  finishReason: 'length' | 'stop';
}
