/**
 * Test-only helpers (excluded from the build): a seeded PRNG so statistical
 * assertions are exact for a seed, and a terse candidate builder.
 */
import type { Candidate, PickContext } from '../types';
import { createStrategyMemory } from '../types';

/** mulberry32: tiny, fast, and good enough for routing simulations. Uniform in [0, 1). */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A candidate with weight 1, priority 0 and nothing in flight unless overridden. */
export function candidate(id: string, overrides: Partial<Omit<Candidate, 'id'>> = {}): Candidate {
  return { id, weight: 1, priority: 0, inFlight: 0, ...overrides };
}

/** A pick context on a seeded PRNG with fresh memory. */
export function seededContext(seed: number, overrides: Partial<PickContext> = {}): PickContext {
  return { rand: seededRandom(seed), now: 0, model: 'm', memory: createStrategyMemory(), ...overrides };
}

/**
 * Wraps a PRNG and records every value it hands out, so a test can replay exactly
 * what a strategy drew.
 */
export function recordingRandom(rand: () => number): { rand: () => number; drawn: number[] } {
  const drawn: number[] = [];
  return {
    drawn,
    rand: () => {
      const value = rand();
      drawn.push(value);
      return value;
    },
  };
}
