import type { RoutingTable } from '@switchyard/proto';
import { createKeyJsonCache, tableJsonBytes } from './redis-table-ops';

describe('tableJsonBytes (issue 16)', () => {
  it('gives exactly JSON.stringify, whatever the number of keys', async () => {
    const keys = [{ key_sha256: 'a'.repeat(64), user: 'team "a"', enabled: true, allowed_models: ['*'], rpm: 1, tpm: 2, max_concurrency: 3, allow_backend_pin: false, allow_explain: false, resume_streams: false }];
    const table: RoutingTable = {
      epoch: 2, version: 9, generated_at_ms: 5, default_strategy: 'round-robin',
      schedulers: [{ id: 's', url: 'http://s', models: ['m'], weight: 1, effective_weight: 1, priority: 0, labels: { note: '"api_keys":[]' }, state: 'healthy', api_key: '' }],
      models: { m: { strategy: '', served_names: ['m'], resume_streams: false } }, api_keys: keys, auth_required: true,
    };
    const keyJson = createKeyJsonCache();
    const toJson = (t: RoutingTable) => tableJsonBytes(t, keyJson);
    expect((await toJson(table)).toString()).toBe(JSON.stringify(table));
    const next = { ...table, version: 10, schedulers: [] };
    expect((await toJson(next)).toString()).toBe(JSON.stringify(next));
    // A record mutated in place would not be seen (its JSON is kept per record): the publisher never does that.
    const moreKeys = { ...next, api_keys: [...keys, { ...keys[0]!, key_sha256: 'b'.repeat(64) }] };
    expect((await toJson(moreKeys)).toString()).toBe(JSON.stringify(moreKeys));
    expect((await toJson({ ...table, api_keys: [] })).toString()).toBe(JSON.stringify({ ...table, api_keys: [] }));
    // More keys than one slice of the serializer (it yields to the event loop between slices).
    const many = { ...table, api_keys: Array.from({ length: 12_345 }, (_, i) => ({ ...keys[0]!, key_sha256: i.toString(16).padStart(64, '0') })) };
    expect((await toJson(many)).toString()).toBe(JSON.stringify(many));
  });
});
