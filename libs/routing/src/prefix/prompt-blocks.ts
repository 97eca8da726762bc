/**
 * A prompt cut into blocks whose hashes chain (issue 18 item 1), as vLLM's
 * automatic prefix caching keys its KV blocks: block i's hash covers block i's
 * text and the hash of block i-1, so equal hashes mean equal prefixes up to the
 * end of that block. Blocks are characters of a template-free rendering of the
 * prompt (render-prompt.ts), not tokens: the gateway has no tokenizer, and what
 * matters is which prefixes two requests share, not where the engine's block
 * boundaries fall. A chat message's end also ends a block, so a message's last
 * block is the same in every later turn that repeats it: turn k + 1 matches all
 * of turn k, not only turn k's full blocks. Only `maxChars` of the prompt is read.
 */
import { fmix32, hash32 } from '../hashing/hash';

const FNV_PRIME = 0x01000193;

/** How a prompt is cut. */
export interface PromptBlockOptions {
  /** Characters per block (256 ≈ 64 tokens of English, 4 of vLLM's 16-token blocks). */
  blockChars: number;
  /** Characters of the prompt read at most; the rest is never looked at. */
  maxChars: number;
}

/** Characters per token to convert an engine's KV size in tokens into prompt blocks (English text, BPE tokenizers). */
export const PROMPT_CHARS_PER_TOKEN = 4;

export const DEFAULT_PROMPT_BLOCK_OPTIONS: Readonly<PromptBlockOptions> = Object.freeze({ blockChars: 256, maxChars: 16_384 });

/** The chained block hashes of one prompt; `hashes[count - 1]` names the whole (bounded) prefix. */
export interface PrefixQuery {
  readonly hashes: Uint32Array;
  /** Blocks, the trailing partial one included (so a prompt shorter than a block still has one). */
  readonly count: number;
  /** Blocks that end at a full block or at a message's end (later prompts repeating them match them). */
  readonly fullBlocks: number;
  /**
   * Leading blocks made only of the prompt's instructions (system / developer
   * messages): a match no longer than this finds the tenant, not the conversation.
   */
  readonly instructionBlocks: number;
  /** The prompt carries earlier turns of its conversation (chat with an assistant or tool message). */
  readonly continued?: boolean;
}

/** 32-bit seed of a chain (the model: the same prompt sent to two models shares no KV). */
export function chainSeed(text: string): number {
  return hash32(text.length > 256 ? text.slice(0, 256) : text);
}

/**
 * The chained hashes of `text`'s blocks, of at most `maxChars` characters of it.
 * 32-bit hashes: with 10^5 indexed blocks a lookup finds a false match with
 * probability ≈ 2 × 10^-5, and a false match only misplaces one request.
 */
export function promptBlocks(
  text: string,
  seed = 0,
  options: PromptBlockOptions = DEFAULT_PROMPT_BLOCK_OPTIONS,
  instructionChars = 0,
  messageEnds: readonly number[] = [],
  continued = false,
): PrefixQuery {
  const { blockChars, maxChars } = options;
  if (!Number.isInteger(blockChars) || blockChars < 1 || !Number.isInteger(maxChars) || maxChars < 1) {
    throw new RangeError(`prompt blocks need positive integer blockChars and maxChars, got ${blockChars} and ${maxChars}`);
  }
  const length = Math.min(text.length, maxChars);
  // At most one extra (short) block per message end; the bound keeps a pathological list cheap.
  const hashes = new Uint32Array(Math.ceil(length / blockChars) + Math.min(messageEnds.length, Math.ceil(length / blockChars) + 1));
  let parent = seed >>> 0;
  let count = 0;
  let fullBlocks = 0;
  let instructionBlocks = 0;
  let nextEnd = 0;
  for (let start = 0; start < length && count < hashes.length; ) {
    while (nextEnd < messageEnds.length && messageEnds[nextEnd]! <= start) nextEnd += 1;
    const end = Math.min(length, start + blockChars, nextEnd < messageEnds.length ? messageEnds[nextEnd]! : length);
    let h = (0x811c9dc5 ^ parent) >>> 0;
    // Two UTF-16 units per multiply (FNV over 32-bit words): half the dependent multiplies
    // of a per-character loop, and the block's fmix32 spreads the result.
    let i = start;
    for (; i + 1 < end; i += 2) h = Math.imul(h ^ (text.charCodeAt(i) | (text.charCodeAt(i + 1) << 16)), FNV_PRIME);
    if (i < end) h = Math.imul(h ^ text.charCodeAt(i), FNV_PRIME);
    parent = fmix32(h ^ end);
    hashes[count++] = parent;
    if (end - start === blockChars || end === messageEnds[nextEnd]) fullBlocks += 1;
    if (end <= instructionChars) instructionBlocks = count;
    start = end;
  }
  return { hashes: count === hashes.length ? hashes : hashes.subarray(0, count), count, fullBlocks, instructionBlocks, continued };
}
