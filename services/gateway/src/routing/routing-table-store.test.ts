import { createHash } from 'node:crypto';
import { diffTables, packKeys, unpackKeys, type ApiKeyRecord } from '@switchyard/proto';
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

describe('routing table store: keys held packed (issue 16)', () => {
  const record = (name: string, user = 'team-a'): ApiKeyRecord => ({
    key_sha256: createHash('sha256').update(name).digest('hex'), user, enabled: true, allowed_models: ['*'], rpm: 0, tpm: 0, max_concurrency: 0, allow_backend_pin: false, allow_explain: false, resume_streams: false, priority: '',
  });
  const sorted = (records: ApiKeyRecord[]) => [...records].sort((a, b) => (a.key_sha256 < b.key_sha256 ? -1 : 1));

  it('packs the api_keys of a previous-release snapshot, keeps packed ones, and merges a batch\'s keys into them', () => {
    const store = createRoutingTableStore();
    const listed = routingTable({ version: 1, schedulers: [], api_keys: [record('a'), record('b', 'Zoë')] });
    expect(store.apply(listed)).toBe(true);
    expect(store.current()!.table.api_keys).toEqual([]);
    expect(unpackKeys(store.current()!.table.packed_keys!)).toEqual(sorted(listed.api_keys));
    const next = { ...listed, version: 2, api_keys: sorted([record('b', 'Zoë'), record('c')]) };
    expect(store.applyBatch(diffTables(listed, next))).toEqual({ ok: true });
    expect(unpackKeys(store.current()!.table.packed_keys!)).toEqual(next.api_keys);
    const packed = routingTable({ version: 3, schedulers: [], packed_keys: packKeys([record('d')]) });
    expect(store.apply(packed)).toBe(true);
    expect(store.current()!.table.packed_keys).toBe(packed.packed_keys);
  });

  it('a batch that brings the first keys to a table without any leaves them packed too', () => {
    const store = createRoutingTableStore();
    const empty = routingTable({ version: 1, schedulers: [] });
    store.apply(empty);
    expect(store.applyBatch(diffTables(empty, { ...empty, version: 2, api_keys: [record('a')] }))).toEqual({ ok: true });
    expect(store.current()!.table.api_keys).toEqual([]);
    expect(unpackKeys(store.current()!.table.packed_keys!)).toEqual([record('a')]);
  });

  it('does not apply a snapshot whose packed keys are malformed, and keeps the table it has', () => {
    const store = createRoutingTableStore();
    store.apply(routingTable({ version: 1, schedulers: [], api_keys: [record('a')] }));
    const before = store.current();
    const broken = { hashes: Buffer.alloc(40), profile_of: [0], profiles: [record('x')] };
    expect(store.apply(routingTable({ version: 2, schedulers: [], packed_keys: broken }))).toBe(false);
    expect(store.current()).toBe(before);
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
