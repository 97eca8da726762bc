/**
 * What every target is sent, and the A B A B alternation every comparison uses so
 * slow drift on a shared machine (other work, thermal, page cache) spreads over all
 * targets instead of landing on one.
 */
import { BENCH_MODEL } from './gateway-stack.mjs';

const MESSAGES = [
  { role: 'system', content: 'You are a benchmark backend. Answer briefly.' },
  { role: 'user', content: 'Say hello in one short sentence.' },
];

/** A typical small chat request (≈ 170 bytes). */
export const CHAT_BODY = JSON.stringify({ model: BENCH_MODEL, messages: MESSAGES });
/** The same as a stream; the responder sends its default chunk count. */
export const STREAM_BODY = JSON.stringify({ model: BENCH_MODEL, messages: MESSAGES, stream: true });

/**
 * Runs `measure` for every target in every round and returns the per-round results
 * by target name. Each round starts one target later (A B C, B C A, C A B …), so no
 * target always runs right after the same other one (with two: A B, B A).
 * @template {{name: string}} Subject
 * @template T
 * @param {Subject[]} targets
 * @param {number} rounds
 * @param {(target: Subject, round: number) => Promise<T>} measure
 * @param {(message: string) => void} log
 * @returns {Promise<Record<string, T[]>>}
 */
export async function alternate(targets, rounds, measure, log) {
  /** @type {Record<string, T[]>} */
  const out = Object.fromEntries(targets.map((t) => [t.name, []]));
  for (let round = 1; round <= rounds; round += 1) {
    for (const target of targets.map((_, i) => targets[(i + round - 1) % targets.length])) {
      log(`round ${round}/${rounds}: ${target.name}`);
      out[target.name].push(await measure(target, round));
    }
  }
  return out;
}

/**
 * One row value per target: the median over rounds of `pick(result)`.
 * @template T
 * @param {Record<string, T[]>} byTarget
 * @param {(result: T) => number} pick
 * @param {(values: number[]) => number} reduce
 */
export function perTarget(byTarget, pick, reduce) {
  return Object.fromEntries(Object.entries(byTarget).map(([name, results]) => [name, reduce(results.map(pick))]));
}
