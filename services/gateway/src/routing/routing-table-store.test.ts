import { routingTable, schedulerEntry } from '../testing/fixtures';
import { buildSnapshot, createRoutingTableStore } from './routing-table-store';

const table = routingTable({
  epoch: 2,
  version: 10,
  generated_at_ms: 1_000,
  schedulers: [
    schedulerEntry({ id: 'a', url: 'http://a', models: ['llama', 'qwen-7b'] }),
    schedulerEntry({ id: 'b', url: 'http://b', models: ['llama'], state: 'draining' }),
    schedulerEntry({ id: 'c', url: 'http://c', models: ['llama'], state: 'unhealthy' }),
    schedulerEntry({ id: 'd', url: 'http://d', models: ['llama'], state: 'degraded' }),
  ],
  models: { qwen: { strategy: '', served_names: ['qwen-7b'], resume_streams: false } },
});

describe('routing table store', () => {
  it('indexes models: every serving scheduler, and the usable ones', () => {
    const store = createRoutingTableStore(() => 5_000);
    expect(store.current()).toBeUndefined();
    expect(store.apply(table)).toBe(true);
    const snapshot = store.current()!;
    expect(snapshot.modelNames).toEqual(['llama', 'qwen', 'qwen-7b']);
    expect(snapshot.targetsByModel.get('llama')!.map((t) => t.entry.id)).toEqual(['a', 'b', 'c', 'd']);
    expect(snapshot.usableByModel.get('llama')!.map((t) => t.entry.id)).toEqual(['a', 'd']);
    expect(snapshot.usableByModel.get('qwen')).toEqual([{ entry: table.schedulers[0], servedName: 'qwen-7b' }]);
    expect(snapshot.byId.get('c')!.url).toBe('http://c');
    expect(store.ageSeconds(4_000)).toBe(3);
  });

  it('offers a model for listing only while one of its schedulers is usable (issue 21)', () => {
    const snapshot = buildSnapshot(
      routingTable({
        version: 1,
        schedulers: [
          schedulerEntry({ id: 'a', url: 'http://a', models: ['up', 'mixed'] }),
          schedulerEntry({ id: 'b', url: 'http://b', models: ['down', 'mixed'], state: 'unhealthy' }),
          schedulerEntry({ id: 'c', url: 'http://c', models: ['drained'], state: 'draining' }),
          schedulerEntry({ id: 'd', url: 'http://d', models: ['slow'], state: 'degraded', effective_weight: 0 }),
        ],
      }),
      0,
    );
    expect(snapshot.modelNames).toEqual(['down', 'drained', 'mixed', 'slow', 'up']);
    expect(snapshot.availableModelNames).toEqual(['mixed', 'slow', 'up']);
  });

  it('ignores tables that are not newer by (epoch, version), and tells listeners of the others', () => {
    const store = createRoutingTableStore();
    const applied: number[] = [];
    store.onApply((s) => applied.push(s.table.version));
    store.apply(table);
    expect(store.apply({ ...table, version: 10 })).toBe(false);
    expect(store.apply({ ...table, version: 9 })).toBe(false);
    expect(store.apply({ ...table, epoch: 1, version: 500 })).toBe(false);
    expect(store.apply({ ...table, epoch: 3, version: 1 })).toBe(true);
    expect(store.apply({ ...table, epoch: 3, version: 2 })).toBe(true);
    expect(applied).toEqual([10, 1, 2]);
  });
});

describe('buildSnapshot: aliases and states', () => {
  const schedulers = [
    schedulerEntry({ id: 'a', url: 'http://a', models: ['llama-8b'] }),
    schedulerEntry({ id: 'b', url: 'http://b', models: ['llama-8b-awq', 'llama'] }),
    schedulerEntry({ id: 'c', url: 'http://c', models: ['llama'] }),
    schedulerEntry({ id: 'd', url: 'http://d', models: ['llama-8b'], state: 'degraded', effective_weight: 0.5 }),
    schedulerEntry({ id: 'e', url: 'http://e', models: ['llama-8b'], state: 'unhealthy', effective_weight: 0 }),
    schedulerEntry({ id: 'f', url: 'http://f', models: ['llama-8b'], state: 'draining', effective_weight: 0 }),
    schedulerEntry({ id: 'g', url: 'http://g', models: ['llama-8b'], state: 'healthy', effective_weight: 0 }),
  ];
  const route = (served: string[]) => ({ strategy: '', served_names: served, resume_streams: false });

  it('routes an alias to every scheduler serving one of its served names, under the first it has; the alias shadows a served model', () => {
    const snapshot = buildSnapshot(routingTable({ version: 1, schedulers, models: { llama: route(['llama-8b', 'llama-8b-awq']), 'llama-8b': route(['llama-8b']) } }), 0);
    const llama = snapshot.targetsByModel.get('llama')!;
    expect(llama.map((t) => [t.entry.id, t.servedName])).toEqual([
      ['a', 'llama-8b'],
      ['b', 'llama-8b-awq'],
      ['d', 'llama-8b'],
      ['e', 'llama-8b'],
      ['f', 'llama-8b'],
      ['g', 'llama-8b'],
    ]);
    // c serves "llama" itself, but the alias named llama shadows it (the control plane's rule).
    expect(llama.some((t) => t.entry.id === 'c')).toBe(false);
    // Served names the models map does not list (an older control plane) route to themselves.
    expect(snapshot.targetsByModel.get('llama-8b-awq')!.map((t) => t.entry.id)).toEqual(['b']);
  });

  it('splits healthy (healthy/degraded with weight), routable (not draining) and the usable pool', () => {
    const snapshot = buildSnapshot(routingTable({ version: 1, schedulers, models: {} }), 0);
    const ids = (map: ReadonlyMap<string, readonly { entry: { id: string } }[]>) => map.get('llama-8b')!.map((t) => t.entry.id);
    expect(ids(snapshot.healthyByModel)).toEqual(['a', 'd']);
    expect(ids(snapshot.routableByModel)).toEqual(['a', 'd', 'e', 'g']);
    expect(ids(snapshot.usableByModel)).toEqual(['a', 'd']);
  });

  it('uses every non-draining scheduler as the usable pool when none is healthy (panic mode)', () => {
    const sick = schedulers.filter((s) => ['e', 'f', 'g'].includes(s.id));
    const snapshot = buildSnapshot(routingTable({ version: 1, schedulers: sick }), 0);
    expect(snapshot.healthyByModel.get('llama-8b')).toEqual([]);
    expect(snapshot.usableByModel.get('llama-8b')!.map((t) => t.entry.id)).toEqual(['e', 'g']);
  });
});
