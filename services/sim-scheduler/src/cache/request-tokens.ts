import { tokenize } from '../generation/tokenizer';
import { tokenAt } from '../generation/word-stream';
import type { GenerationRequest, PromptSegment } from '../requests/generation-request';
import type { PrefixCache } from './prefix-cache';

/** Separates a segment's tag from its first token, so `system: Hi` and `user: Hi` differ. */
const TAG_MARK = '\u0002';

/**
 * The token sequences the prefix cache keys on: the prompt (one token per prompt
 * token, so its length is `promptTokens`), and the answer the sim will generate.
 * Each segment's first token carries its tag, as a chat template puts a role header
 * before every message; a chat answer is tagged `assistant`, so when the next turn
 * sends it back as an assistant message its blocks match. A continued answer
 * (`continue_final_message`, or a completion prompt ending in the sim's own output)
 * extends the prompt's last segment instead.
 */
export function requestTokens(request: GenerationRequest): { prompt: string[]; answer: string[] } {
  const prompt = request.promptSegments.flatMap(segmentTokens);
  const answer: string[] = [];
  for (let i = 0; i < request.completionTokens; i++) answer.push(tokenAt(request.seed, request.startIndex + i, request.kind));
  if (request.kind === 'chat' && request.startIndex === 0 && answer.length > 0) answer[0] = `assistant${TAG_MARK}${answer[0]}`;
  return { prompt, answer };
}

function segmentTokens(segment: PromptSegment): string[] {
  const tokens = typeof segment.content === 'string' ? tokenize(segment.content) : segment.content.map(String);
  if (tokens.length > 0) tokens[0] = `${segment.tag}${TAG_MARK}${tokens[0]}`;
  return tokens;
}

/**
 * Prompt tokens of `request` served from `cache` (0 with the cache off), caching
 * the request's blocks on the way. Called when the request gets its slot: that is
 * when a scheduler looks its prompt up and allocates its blocks.
 */
export function cachedPromptTokens(cache: PrefixCache, request: GenerationRequest): number {
  if (!cache.enabled) return 0;
  const { prompt, answer } = requestTokens(request);
  return cache.serve(prompt, answer);
}
