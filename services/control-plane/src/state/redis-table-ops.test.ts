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

  it('serializes a key list once: versions that share it (no key change) copy its bytes', async () => {
    const inner = createKeyJsonCache();
    let reads = 0;
    const counting = { of: (key: Parameters<typeof inner.of>[0]) => ((reads += 1), inner.of(key)) };
    const apiKeys = Array.from({ length: 7_000 }, (_, i) => ({ key_sha256: i.toString(16).padStart(64, '0'), user: 'u', enabled: true, allowed_models: ['*'], rpm: 0, tpm: 0, max_concurrency: 0, allow_backend_pin: false, allow_explain: false, resume_streams: false }));
    const table = (version: number): RoutingTable => ({ epoch: 1, version, generated_at_ms: version, default_strategy: 'round-robin', schedulers: [], models: {}, api_keys: apiKeys, auth_required: true });
    expect((await tableJsonBytes(table(1), counting)).toString()).toBe(JSON.stringify(table(1)));
    expect(reads).toBe(7_000);
    expect((await tableJsonBytes(table(2), counting)).toString()).toBe(JSON.stringify(table(2)));
    expect(reads).toBe(7_000);
  });
});
