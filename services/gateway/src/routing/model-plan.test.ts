import { createPrefixIndex } from '@switchyard/routing';
import { routingTable, schedulerEntry } from '../testing/fixtures';
import { createLocalSignals } from './local-signals';
import { buildModelPlan } from './model-plan';
import { createPeerPlacements } from './peer-placements';
import { resolveStrategy } from './resolve-strategy';
import { buildSnapshot } from './routing-table-store';

const three = ['s1', 's2', 's3'].map((id, i) => schedulerEntry({ id, url: `http://${id}`, models: ['m'], effective_weight: i + 1, state: id === 's3' ? 'degraded' : 'healthy' }));
const snapshotOf = (strategy: string) => buildSnapshot(routingTable({ version: 1, schedulers: three, default_strategy: strategy }), 0);
const resolve = (name: string) => resolveStrategy(name, () => undefined);

describe('model plan', () => {
  it('keeps a cache-aware plan\'s Σ in-flight live (this gateway\'s and the others\' reported) until released', () => {
    const signals = createLocalSignals();
    const peers = createPeerPlacements({ index: createPrefixIndex(), now: () => 0 });
    signals.begin('s1');
    const plan = buildModelPlan(snapshotOf('cache-aware'), 'm', signals, resolve, 0, undefined, peers)!;
    const load = plan.healthyLoad!;
    // Σ capacity weight: base weight × health (s3 degraded: half), not the effective weights 1 + 2 + 3.
    expect([load.inFlight, load.othersInFlight, load.totalWeight]).toEqual([1, 0, 2.5]);
    expect(plan.healthy.map((c) => [c.weight, c.capacityWeight])).toEqual([[1, 1], [2, 1], [3, 0.5]]);
    signals.begin('s2');
    signals.begin('s3');
    signals.end('s1');
    // An end with nothing open stays at 0, and so does the sum.
    signals.end('s1');
    signals.begin('elsewhere');
    expect(load.inFlight).toBe(2);
    peers.apply([{ gateway_id: 'gw-b', placements: [], in_flight: { s1: 2, s3: 1, elsewhere: 9 } }], () => true);
    expect(load.othersInFlight).toBe(3);
    // A malformed count adds nothing (a NaN would stay in the running sum for ever).
    peers.apply([{ gateway_id: 'gw-b', placements: [], in_flight: { s1: Number.NaN, s2: -4, s3: 1 } }], () => true);
    expect(load.othersInFlight).toBe(1);
    // The sums equal the candidates' own counts.
    const sum = (f: (c: (typeof plan.healthy)[number]) => number) => plan.healthy.reduce((total, c) => total + f(c), 0);
    expect([load.inFlight, load.othersInFlight]).toEqual([sum((c) => c.inFlight), sum((c) => c.othersInFlight ?? 0)]);
    plan.release();
    signals.begin('s1');
    expect(load.inFlight).toBe(2);
    expect(plan.panicLoad).toBeDefined();
  });

  it('keeps no sums for strategies that do not read them', () => {
    const plan = buildModelPlan(snapshotOf('least-outstanding'), 'm', createLocalSignals(), resolve)!;
    expect(plan.healthyLoad).toBeUndefined();
    plan.release();
  });
});
