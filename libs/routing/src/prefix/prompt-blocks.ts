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
import { writePrompt, type PromptSink } from './render-prompt';

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

export const DEFAULT_PROMPT_BLOCK_OPTIONS: Readonly<PromptBlockOptions> = Object.freeze({ blockChars: 256, maxChars: 65_536 });

/** The chained block hashes of one prompt; `hashes[count - 1]` names the whole (bounded) prefix. */
export interface PrefixQuery {
  readonly hashes: Uint32Array;
  /** Blocks, the trailing partial one included (so a prompt shorter than a block still has one). */
  readonly count: number;
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
  const hasher = new BlockHasher(seed, options);
  hasher.instructionLimit = instructionChars;
  let from = 0;
  for (const end of messageEnds) {
    if (end <= from) continue;
    hasher.write(text.slice(from, end));
    hasher.endMessage();
    from = end;
  }
  if (from < text.length) hasher.write(from === 0 ? text : text.slice(from));
  hasher.finish(continued);
  return hasher.query();
}

/**
 * The chained block hashes of a request's prompt (render-prompt.ts's rendering,
 * at most `options.maxChars` of it), hashed piece by piece as the body is walked:
 * the rendering is never joined into one string. Undefined without a prompt.
 */
export function prefixQueryOf(body: Readonly<Record<string, unknown>> | undefined, seed: number, options: PromptBlockOptions = DEFAULT_PROMPT_BLOCK_OPTIONS): PrefixQuery | undefined {
  const hasher = new BlockHasher(seed, options);
  writePrompt(body, hasher);
  const query = hasher.query();
  return query.count === 0 ? undefined : query;
}

const FNV_OFFSET_BASIS = 0x811c9dc5;
/** Short blocks (cut at a message's end) a prompt may have beyond its full ones: a conversation of 128 messages. */
const MESSAGE_END_BLOCKS = 128;

let scratch = new Uint32Array(0);

/** One buffer for the hashes of the prompt being hashed (hashing is synchronous): a large zeroed array per request would cost more than the copy. */
function scratchOf(size: number): Uint32Array {
  if (scratch.length < size) scratch = new Uint32Array(size);
  return scratch;
}

/**
 * A PromptSink that cuts what it is written into blocks and chains their hashes.
 * Block i's hash is FNV over pairs of UTF-16 units from the block's start (two
 * units per multiply: half the dependent multiplies of a per-character loop), then
 * fmix32 with the block's end offset, the chain entering as FNV's offset basis.
 * A block ends at `blockChars` characters or at a message's end.
 */
class BlockHasher implements PromptSink {
  /** Blocks ending at or before this offset are instructions (promptBlocks); Infinity inside leading instruction messages. */
  instructionLimit = 0;
  private readonly hashes: Uint32Array;
  /** Blocks kept at most. */
  private readonly limit: number;
  private readonly blockChars: number;
  private readonly maxChars: number;
  private count = 0;
  private instructionBlocks = 0;
  private continued = false;
  private position = 0;
  private blockStart = 0;
  private parent: number;
  private h: number;
  /** The first unit of a pair whose second has not been written yet; -1 when none. */
  private pending = -1;

  constructor(seed: number, options: PromptBlockOptions) {
    const { blockChars, maxChars } = options;
    if (!Number.isInteger(blockChars) || blockChars < 1 || !Number.isInteger(maxChars) || maxChars < 1) {
      throw new RangeError(`prompt blocks need positive integer blockChars and maxChars, got ${blockChars} and ${maxChars}`);
    }
    this.blockChars = blockChars;
    this.maxChars = maxChars;
    // Full blocks, plus one short block per message end up to a bound, so a pathological list of tiny messages stays cheap.
    this.limit = Math.ceil(maxChars / blockChars) + MESSAGE_END_BLOCKS;
    this.hashes = scratchOf(this.limit);
    this.parent = seed >>> 0;
    this.h = (FNV_OFFSET_BASIS ^ this.parent) >>> 0;
  }

  get full(): boolean {
    return this.position >= this.maxChars || this.count >= this.limit;
  }

  write(text: string): void {
    let i = 0;
    const end = Math.min(text.length, this.maxChars - this.position);
    while (i < end && this.count < this.limit) {
      const upTo = Math.min(end, i + this.blockStart + this.blockChars - this.position);
      this.hashRange(text, i, upTo);
      this.position += upTo - i;
      i = upTo;
      if (this.position - this.blockStart === this.blockChars) this.endBlock();
    }
  }

  beginMessage(instruction: boolean): void {
    this.instructionLimit = instruction ? Number.POSITIVE_INFINITY : Math.min(this.instructionLimit, this.position);
  }

  endMessage(): void {
    if (this.position > this.blockStart && this.count < this.limit) this.endBlock();
  }

  finish(continued: boolean): void {
    this.continued = continued;
  }

  query(): PrefixQuery {
    if (this.position > this.blockStart && this.count < this.limit) this.endBlock();
    const { hashes, count } = this;
    // A copy of the used part: the scratch serves the next prompt.
    return { hashes: hashes.slice(0, count), count, instructionBlocks: this.instructionBlocks, continued: this.continued };
  }

  private hashRange(text: string, from: number, to: number): void {
    let h = this.h;
    let i = from;
    if (this.pending >= 0 && i < to) {
      h = Math.imul(h ^ (this.pending | (text.charCodeAt(i) << 16)), FNV_PRIME);
      this.pending = -1;
      i += 1;
    }
    for (; i + 1 < to; i += 2) h = Math.imul(h ^ (text.charCodeAt(i) | (text.charCodeAt(i + 1) << 16)), FNV_PRIME);
    if (i < to) this.pending = text.charCodeAt(i);
    this.h = h;
  }

  private endBlock(): void {
    let h = this.h;
    if (this.pending >= 0) {
      h = Math.imul(h ^ this.pending, FNV_PRIME);
      this.pending = -1;
    }
    this.parent = fmix32(h ^ this.position);
    this.hashes[this.count++] = this.parent;
    if (this.position <= this.instructionLimit) this.instructionBlocks = this.count;
    this.blockStart = this.position;
    this.h = (FNV_OFFSET_BASIS ^ this.parent) >>> 0;
  }
}
