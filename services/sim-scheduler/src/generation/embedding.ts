import { mix } from './word-stream';

/**
 * A deterministic unit vector for `text`: the same input always embeds the same,
 * different inputs almost surely differently. Meaningless otherwise.
 */
export function embeddingFor(text: string, dimensions: number): number[] {
  const seed = fnv1a(text);
  const vector = Array.from({ length: dimensions }, (_, j) => mix(seed, j) / 0x7fffffff - 1);
  const norm = Math.sqrt(vector.reduce((sum, v) => sum + v * v, 0)) || 1;
  return vector.map((v) => v / norm);
}

/** The OpenAI `encoding_format: "base64"` form: little-endian float32 bytes. */
export function toBase64(vector: readonly number[]): string {
  const floats = Float32Array.from(vector);
  return Buffer.from(floats.buffer, floats.byteOffset, floats.byteLength).toString('base64');
}

function fnv1a(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  return h >>> 0;
}
