import type { TokenStyle } from '../generation/word-stream';

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
  /** `length` when the client set a token limit (the sim always reaches it), else `stop`. */
  finishReason: 'length' | 'stop';
}
