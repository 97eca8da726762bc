import { hash32 } from '../hashing/hash';

/** How much of the prompt forms the prefix-affinity key. */
export interface PrefixKeyOptions {
  /** Characters per block (≈ 4 characters per token; a 16-token KV block ≈ 64 characters). */
  blockChars: number;
  /** Leading blocks that make up the key. */
  blocks: number;
}

/**
 * 512 characters: enough to cover a typical system prompt's opening, the part
 * most requests share and schedulers cache, without hashing whole conversations.
 */
export const DEFAULT_PREFIX_KEY_OPTIONS: Readonly<PrefixKeyOptions> = Object.freeze({ blockChars: 128, blocks: 4 });

const SECOND_SEED = 0x9e3779b9;

/**
 * The prefix-affinity key of a prompt: a 64-bit hash (16 hex characters) of its
 * first `blocks × blockChars` characters. Only that slice is read, so the cost does
 * not grow with the prompt. Prompts shorter than the slice hash whole. For chat the
 * caller concatenates the system prompt and the first messages, in order.
 */
export function affinityKeyForPrefix(text: string, options: PrefixKeyOptions = DEFAULT_PREFIX_KEY_OPTIONS): string {
  const { blockChars, blocks } = options;
  if (!Number.isInteger(blockChars) || blockChars < 1 || !Number.isInteger(blocks) || blocks < 1) {
    throw new RangeError(`prefix key needs positive integer blockChars and blocks, got ${blockChars} and ${blocks}`);
  }
  const prefix = text.length > blockChars * blocks ? text.slice(0, blockChars * blocks) : text;
  return hex8(hash32(prefix)) + hex8(hash32(prefix, SECOND_SEED));
}

function hex8(value: number): string {
  return value.toString(16).padStart(8, '0');
}
