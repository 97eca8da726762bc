import { candidate, seededContext } from '../test-support/seeded-random';
import { priorityFailover } from './priority-failover';

function shares(ids: string[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const id of ids) counts[id] = (counts[id] ?? 0) + 1 / ids.length;
  return counts;
}

describe('priorityFailover', () => {
  const primary = [candidate('p1', { priority: 0, weight: 1 }), candidate('p2', { priority: 0, weight: 3 })];
  const standby = [candidate('s1', { priority: 1 }), candidate('s2', { priority: 1 })];
  const last = [candidate('l1', { priority: 5 })];

  it('uses only the lowest priority group, weighted-random within it', () => {
    const ctx = seededContext(4);
    const picks = Array.from({ length: 20_000 }, () => priorityFailover([...standby, ...primary, ...last], ctx)!.id);
    const share = shares(picks);
    expect(Object.keys(share).sort()).toEqual(['p1', 'p2']);
    expect(Math.abs(share.p2! - 0.75)).toBeLessThan(0.75 * 0.03);
  });

  it('uses the next group only when the first is empty', () => {
    const ctx = seededContext(5);
    const picks = new Set(Array.from({ length: 500 }, () => priorityFailover([...standby, ...last], ctx)!.id));
    expect(picks).toEqual(new Set(['s1', 's2']));
    expect(priorityFailover(last, ctx)!.id).toBe('l1');
    expect(priorityFailover([], ctx)).toBeUndefined();
  });

  it('treats a group whose members all have weight 0 as empty, but routes somewhere in panic', () => {
    const ctx = seededContext(6);
    const deadPrimary = primary.map((c) => ({ ...c, weight: 0 }));
    for (let i = 0; i < 100; i++) expect(priorityFailover([...deadPrimary, ...last], ctx)!.id).toBe('l1');
    const allDead = [...deadPrimary, { ...last[0]!, weight: 0 }];
    const pick = priorityFailover(allDead, ctx)!;
    expect(['p1', 'p2']).toContain(pick.id);
    expect(pick.reason).toMatch(/^priority 0 group of 2/);
  });
});
