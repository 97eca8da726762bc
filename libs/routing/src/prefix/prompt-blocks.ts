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
  /**
   * A plain array, not a typed one: a typed array of more than 16 hashes gets a
   * buffer outside the heap, which cost more to allocate than the route's index
   * lookups, and the placements shared with other gateways are sent as arrays.
   */
  readonly hashes: readonly number[];
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

/** Below this many units a piece is copied by a loop; above, by the runtime's UTF-16 encoder (Node 24: one call ≈ 60 ns, the loop's cost at ≈ 48 units). */
const NATIVE_COPY_UNITS = 48;
let unitBuffer = Buffer.alloc(0);
let unitScratch = new Uint16Array(0);

/**
 * The first `count` UTF-16 code units of `text` in a reused array (hashing is
 * synchronous). Reading a typed array costs a fraction of `charCodeAt`, which
 * checks the string's representation on every call: copying first makes hashing
 * a long prompt about three times cheaper. Code units are copied as they are,
 * lone surrogates included.
 */
function unitsOf(text: string, count: number): Uint16Array {
  if (unitScratch.length < count) {
    // Doubling: a run of ever longer pieces reallocates a few times, not once per piece.
    unitBuffer = Buffer.alloc(Math.max(count, 2 * unitScratch.length, 1024) * 2);
    unitScratch = new Uint16Array(unitBuffer.buffer, unitBuffer.byteOffset, unitBuffer.length / 2);
  }
  if (count >= NATIVE_COPY_UNITS) unitBuffer.write(text, 0, count * 2, 'utf16le');
  else for (let i = 0; i < count; i++) unitScratch[i] = text.charCodeAt(i);
  return unitScratch;
}

/** One buffer for the hashes of the prompt being hashed (hashing is synchronous): a large zeroed array per request would cost more than the copy. */
function scratchOf(size: number): Uint32Array {
  if (scratch.length < size) scratch = new Uint32Array(size);
  return scratch;
}

/** Lane seeds: each lane's chain starts from the parent hash xor its own constant, so words swapped between lanes hash differently. */
const LANE_SALT_B = 0x9e3779b9;
const LANE_SALT_C = 0x85ebca6b;
const LANE_SALT_D = 0xc2b2ae35;

/**
 * The block-hash scheme of this release, sent with shared placements
 * (docs/routing.md "Several gateways"): gateways index only placements hashed
 * the way they hash. 0 was the single FNV chain over pairs of units (before
 * 2026-12-07); 1 is the four-lane FNV below.
 */
export const BLOCK_HASH_SCHEME = 1;

/**
 * A PromptSink that cuts what it is written into blocks and chains their hashes.
 * Within a block, the UTF-16 units (copied into a typed array, unitsOf) are read
 * in pairs (one 32-bit word per multiply) and word k goes to FNV lane k mod 4: four
 * independent multiply chains
 * run side by side, a quarter of the dependent multiplies of one chain (issue 18's
 * routing cost: one chain over a 6,000-character prompt was a quarter of the
 * route). At the block's end the lanes are folded with fmix32, the block's end
 * offset mixed in. The chain enters every lane through its seed. A block ends at
 * `blockChars` characters or at a message's end. The words and lanes follow the
 * block's own units, so how the text was split into writes does not matter.
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
  /** The four lanes of the block being hashed, and the lane the next word goes to. */
  private a = 0;
  private b = 0;
  private c = 0;
  private d = 0;
  private lane = 0;
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
    this.startBlock();
  }

  get full(): boolean {
    return this.position >= this.maxChars || this.count >= this.limit;
  }

  write(text: string): void {
    let i = 0;
    const end = Math.min(text.length, this.maxChars - this.position);
    if (end <= 0 || this.count >= this.limit) return;
    const units = unitsOf(text, end);
    while (i < end && this.count < this.limit) {
      const upTo = Math.min(end, i + this.blockStart + this.blockChars - this.position);
      this.hashRange(units, i, upTo);
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
    const kept = new Array<number>(count);
    for (let i = 0; i < count; i++) kept[i] = hashes[i]!;
    return { hashes: kept, count, instructionBlocks: this.instructionBlocks, continued: this.continued };
  }

  /** Hashes units [from, to) into the block: words one at a time up to lane 0, then four at a time. */
  private hashRange(units: Uint16Array, from: number, to: number): void {
    let i = from;
    if (this.pending >= 0 && i < to) {
      this.mix(this.pending | (units[i]! << 16));
      this.pending = -1;
      i += 1;
    }
    while (this.lane !== 0 && i + 1 < to) {
      this.mix(units[i]! | (units[i + 1]! << 16));
      i += 2;
    }
    if (this.lane === 0 && i + 7 < to) {
      let { a, b, c, d } = this;
      for (; i + 7 < to; i += 8) {
        a = Math.imul(a ^ (units[i]! | (units[i + 1]! << 16)), FNV_PRIME);
        b = Math.imul(b ^ (units[i + 2]! | (units[i + 3]! << 16)), FNV_PRIME);
        c = Math.imul(c ^ (units[i + 4]! | (units[i + 5]! << 16)), FNV_PRIME);
        d = Math.imul(d ^ (units[i + 6]! | (units[i + 7]! << 16)), FNV_PRIME);
      }
      this.a = a;
      this.b = b;
      this.c = c;
      this.d = d;
    }
    for (; i + 1 < to; i += 2) this.mix(units[i]! | (units[i + 1]! << 16));
    if (i < to) this.pending = units[i]!;
  }

  /** One word into the next lane. */
  private mix(word: number): void {
    switch (this.lane) {
      case 0:
        this.a = Math.imul(this.a ^ word, FNV_PRIME);
        break;
      case 1:
        this.b = Math.imul(this.b ^ word, FNV_PRIME);
        break;
      case 2:
        this.c = Math.imul(this.c ^ word, FNV_PRIME);
        break;
      default:
        this.d = Math.imul(this.d ^ word, FNV_PRIME);
    }
    this.lane = (this.lane + 1) & 3;
  }

  private startBlock(): void {
    const basis = FNV_OFFSET_BASIS ^ this.parent;
    this.a = basis;
    this.b = basis ^ LANE_SALT_B;
    this.c = basis ^ LANE_SALT_C;
    this.d = basis ^ LANE_SALT_D;
    this.lane = 0;
  }

  private endBlock(): void {
    if (this.pending >= 0) {
      this.mix(this.pending);
      this.pending = -1;
    }
    // Folded in lane order: the same four lane values in another order give another hash.
    const folded = fmix32(fmix32(fmix32(fmix32(this.a ^ this.position) ^ this.b) ^ this.c) ^ this.d);
    this.parent = folded;
    this.hashes[this.count++] = folded;
    if (this.position <= this.instructionLimit) this.instructionBlocks = this.count;
    this.blockStart = this.position;
    this.startBlock();
  }
}
