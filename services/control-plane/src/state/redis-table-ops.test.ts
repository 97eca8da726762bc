import type { RoutingTable } from '@switchyard/proto';
import { createTableSerializer } from './redis-table-ops';

describe('createTableSerializer (issue 16)', () => {
  it('gives exactly JSON.stringify, re-encoding the key list only when it is another list', () => {
    const keys = [{ key_sha256: 'a'.repeat(64), user: 'team "a"', enabled: true, allowed_models: ['*'], rpm: 1, tpm: 2, max_concurrency: 3, allow_backend_pin: false, allow_explain: false, resume_streams: false }];
    const table: RoutingTable = {
      epoch: 2, version: 9, generated_at_ms: 5, default_strategy: 'round-robin',
      schedulers: [{ id: 's', url: 'http://s', models: ['m'], weight: 1, effective_weight: 1, priority: 0, labels: { note: '"api_keys":[]' }, state: 'healthy', api_key: '' }],
      models: { m: { strategy: '', served_names: ['m'], resume_streams: false } }, api_keys: keys, auth_required: true,
    };
    const toJson = createTableSerializer().full;
    expect(toJson(table).toString()).toBe(JSON.stringify(table));
    const next = { ...table, version: 10, schedulers: [] };
    expect(toJson(next).toString()).toBe(JSON.stringify(next));
    // The same array mutated in place would not be seen: the publisher never does that, a new list is re-encoded.
    const moreKeys = { ...next, api_keys: [...keys, { ...keys[0]!, key_sha256: 'b'.repeat(64) }] };
    expect(toJson(moreKeys).toString()).toBe(JSON.stringify(moreKeys));
    expect(toJson({ ...table, api_keys: [] }).toString()).toBe(JSON.stringify({ ...table, api_keys: [] }));
  });
});
