import { tokenize } from './tokenizer';

/**
 * Deterministic "model output" (README, "Determinism"): token `i` of an answer is a
 * function of `(seed, i)` only, so an answer continued from token k by another sim
 * equals the uninterrupted answer's tail. Words are plain letters (one token each)
 * and deliberately uncommon, so a prompt rarely ends with them by accident.
 */
export const WORDS = [
  'amber', 'basalt', 'cobalt', 'dune', 'ember', 'fjord', 'garnet', 'harbor',
  'indigo', 'juniper', 'kelp', 'lichen', 'marble', 'nectar', 'obsidian', 'pebble',
  'quartz', 'rivulet', 'saffron', 'tundra', 'umber', 'velvet', 'willow', 'xenon',
  'yarrow', 'zephyr', 'aurora', 'bramble', 'cinder', 'delta', 'estuary', 'fennel',
  'glacier', 'heather', 'islet', 'jasper', 'kestrel', 'lagoon', 'meadow', 'nimbus',
  'orchid', 'prairie', 'quill', 'reef', 'sierra', 'thistle', 'upland', 'vortex',
  'wren', 'yonder', 'zinnia', 'alder', 'beacon', 'canyon', 'drizzle', 'egret',
  'falcon', 'grotto', 'hollow', 'ivy', 'jetty', 'knoll', 'lantern', 'mistral',
] as const;

/**
 * `chat`: the first token has no leading space (an assistant message starts with a
 * word). `text`: every token has one, because a text completion continues a prompt.
 */
export type TokenStyle = 'chat' | 'text';

/** Token `index` of the answer for `seed`. */
export function tokenAt(seed: number, index: number, style: TokenStyle): string {
  const word = WORDS[mix(seed, index) % WORDS.length]!;
  return index === 0 && style === 'chat' ? word : ` ${word}`;
}

/** Tokens `[start, start + count)` joined. */
export function textOf(seed: number, start: number, count: number, style: TokenStyle): string {
  let text = '';
  for (let i = start; i < start + count; i++) text += tokenAt(seed, i, style);
  return text;
}

/**
 * For `/v1/completions` continuation (issue 10: "the prompt plus the text so far"):
 * how many tokens of the sim's own answer for `seed` the prompt ends with. The
 * longest such tail wins; 0 when the prompt does not end with token 0.
 */
export function generatedTailLength(prompt: string, seed: number): number {
  const tokens = tokenize(prompt);
  const first = tokenAt(seed, 0, 'text');
  for (let start = 0; start < tokens.length; start++) {
    if (tokens[start] !== first) continue;
    let i = 1;
    while (start + i < tokens.length && tokens[start + i] === tokenAt(seed, i, 'text')) i += 1;
    if (start + i === tokens.length) return i;
  }
  return 0;
}

/** A 32-bit seed from any integer (request seeds are int64). */
export function normalizeSeed(seed: number): number {
  return Number(BigInt.asUintN(32, BigInt(Math.trunc(seed))));
}

/** murmur3-style finalizer over (seed, index): well spread, stable across platforms. */
export function mix(seed: number, index: number): number {
  let h = Math.imul(seed ^ 0x9e3779b9, 0x85ebca6b) ^ Math.imul(index + 1, 0xc2b2ae35);
  h ^= h >>> 16;
  h = Math.imul(h, 0x7feb352d);
  h ^= h >>> 15;
  h = Math.imul(h, 0x846ca68b);
  h ^= h >>> 16;
  return h >>> 0;
}
