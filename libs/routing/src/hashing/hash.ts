/**
 * Non-cryptographic string hashing for placement decisions. Speed and spread matter
 * here, not resistance to attack: a client that crafts colliding prefixes only
 * moves its own requests, and the load bound still caps what one scheduler gets.
 */

const FNV_OFFSET_BASIS = 0x811c9dc5;
const FNV_PRIME = 0x01000193;
const TWO_POW_32 = 4294967296;

/** murmur3's 32-bit finaliser: FNV alone leaves near-identical inputs ("a#1", "a#2") close together. */
export function fmix32(value: number): number {
  let h = value;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/**
 * 32-bit hash of a string (FNV-1a over UTF-16 code units, then fmix32). Different
 * seeds give independent-looking hashes of the same text.
 */
export function hash32(text: string, seed = 0): number {
  let h = (FNV_OFFSET_BASIS ^ seed) >>> 0;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, FNV_PRIME);
  }
  return fmix32(h);
}

/** Maps a 32-bit hash into the open interval (0, 1), so its logarithm is finite. */
export function hashToUnit(hash: number): number {
  return (hash + 0.5) / TWO_POW_32;
}
