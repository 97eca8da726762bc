import { roundRobin } from './round-robin';
import { createStrategyMemory, type Candidate } from '../types';

const candidates: Candidate[] = ['a', 'b', 'c'].map((id) => ({ id, weight: 1, priority: 0, inFlight: 0 }));

describe('roundRobin', () => {
  it('cycles exactly through the candidates, per model', () => {
    const memory = createStrategyMemory();
    const ctx = (model: string) => ({ rand: Math.random, now: 0, model, memory });
    const picks = Array.from({ length: 7 }, () => roundRobin(candidates, ctx('m1'))!.id);
    expect(picks).toEqual(['a', 'b', 'c', 'a', 'b', 'c', 'a']);
    expect(roundRobin(candidates, ctx('m2'))!.id).toBe('a');
  });

  it('returns undefined with no candidates', () => {
    expect(roundRobin([], { rand: Math.random, now: 0, model: 'm', memory: createStrategyMemory() })).toBeUndefined();
  });
});

describe('roundRobin with zero weights', () => {
  it('skips zero-weight candidates while another has weight, and uses all when none has', () => {
    const memory = createStrategyMemory();
    const ctx = { rand: Math.random, now: 0, model: 'm', memory };
    const mixed: Candidate[] = [
      { id: 'a', weight: 1, priority: 0, inFlight: 0 },
      { id: 'down', weight: 0, priority: 0, inFlight: 0 },
      { id: 'c', weight: 2, priority: 0, inFlight: 0 },
    ];
    expect(Array.from({ length: 4 }, () => roundRobin(mixed, ctx)!.id)).toEqual(['a', 'c', 'a', 'c']);
    const allZero = mixed.map((c) => ({ ...c, weight: 0 }));
    const picks = new Set(Array.from({ length: 3 }, () => roundRobin(allZero, ctx)!.id));
    expect(picks).toEqual(new Set(['a', 'down', 'c']));
  });
});
