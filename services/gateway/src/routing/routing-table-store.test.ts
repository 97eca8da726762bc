import { routingTable, schedulerEntry } from '../testing/fixtures';
import { createRoutingTableStore } from './routing-table-store';

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
