import * as protoLoader from '@grpc/proto-loader';
import type { ApiKeyRecord, RoutingTable, SchedulerEntry } from './messages';
import { LOADER_OPTIONS, loadServices, protoRoot } from './loader';
import { applyDelta, diffTables, isDelta, mergeKeys } from './table-delta';

const scheduler = (id: string, extra: Partial<SchedulerEntry> = {}): SchedulerEntry => ({
  id, url: `http://${id}:9001`, models: ['m'], weight: 1, effective_weight: 1, priority: 0, labels: {}, state: 'healthy', api_key: '', ...extra,
});
const key = (n: number, extra: Partial<ApiKeyRecord> = {}): ApiKeyRecord => ({
  key_sha256: n.toString(16).padStart(64, '0'), user: `u${n}`, enabled: true, allowed_models: ['*'], rpm: 0, tpm: 0, max_concurrency: 0, allow_backend_pin: false, allow_explain: false, resume_streams: false, ...extra,
});
const route = (served: string[]) => ({ strategy: '', served_names: served, resume_streams: false });
const table = (version: number, parts: Partial<RoutingTable> = {}): RoutingTable => ({
  epoch: 1, version, generated_at_ms: version * 10, default_strategy: 'round-robin', schedulers: [], models: {}, api_keys: [], auth_required: false, ...parts,
});

const base = table(5, { schedulers: [scheduler('a'), scheduler('b'), scheduler('c')], models: { m: route(['m']), x: route(['m']) }, api_keys: [key(1), key(2)], auth_required: true });

describe('diffTables / applyDelta', () => {
  it('round-trips: applying the diff of two tables reproduces the second exactly', () => {
    const next = table(9, {
      schedulers: [scheduler('a', { state: 'draining', effective_weight: 0 }), scheduler('c'), scheduler('d', { models: ['n'] })],
      models: { m: route(['m']), n: route(['n']) },
      api_keys: [key(1, { enabled: false }), key(3)],
      auth_required: true,
      default_strategy: 'least-latency',
    });
    const message = diffTables(base, next);
    expect(isDelta(message)).toBe(true);
    expect(message.delta).toMatchObject({ base_epoch: 1, base_version: 5, scheduler_removals: ['b'], model_removals: ['x'], key_removals: [key(2).key_sha256] });
    expect(message.delta!.scheduler_upserts.map((s) => s.id)).toEqual(['a', 'd']);
    expect(message.delta!.key_upserts.map((k) => k.user)).toEqual(['u1', 'u3']);
    expect(applyDelta(base, message)).toEqual({ ok: true, table: next });
  });

  it('a key change carries only that key, and leaves the other lists as they were (same arrays)', () => {
    const next = { ...base, version: 6, api_keys: [key(1), key(2, { enabled: false })] };
    const message = diffTables(base, next);
    expect(message.delta).toMatchObject({ scheduler_upserts: [], scheduler_removals: [], model_upserts: {}, model_removals: [], key_removals: [], settings: null });
    expect(message.delta!.key_upserts).toEqual([key(2, { enabled: false })]);
    const applied = applyDelta(base, message);
    expect(applied.ok && applied.table.schedulers).toBe(base.schedulers);
    expect(applied.ok && applied.table.api_keys).toEqual(next.api_keys);
  });

  it('rejects stale batches, gaps and malformed batches without touching the base', () => {
    const frozen = JSON.stringify(base);
    const good = diffTables(base, { ...base, version: 7, schedulers: [scheduler('a')] });
    expect(applyDelta({ ...base, version: 7 }, good)).toMatchObject({ ok: false, reason: 'stale' });
    expect(applyDelta({ ...base, version: 4 }, good)).toMatchObject({ ok: false, reason: 'gap' });
    expect(applyDelta({ ...base, epoch: 0 }, good)).toMatchObject({ ok: false, reason: 'gap' });
    const broken = (patch: object) => ({ ...good, delta: { ...good.delta!, ...patch } });
    expect(applyDelta(base, broken({ scheduler_upserts: [{ ...scheduler('z'), id: '' }] }))).toMatchObject({ ok: false, reason: 'malformed' });
    expect(applyDelta(base, broken({ scheduler_upserts: [scheduler('z')], scheduler_removals: ['z'] }))).toMatchObject({ ok: false, reason: 'malformed' });
    expect(applyDelta(base, broken({ key_removals: ['not-a-hash'] }))).toMatchObject({ ok: false, reason: 'malformed' });
    expect(applyDelta(base, broken({ settings: { default_strategy: '', auth_required: false } }))).toMatchObject({ ok: false, reason: 'malformed' });
    expect(applyDelta(base, broken({ scheduler_upserts: null }))).toMatchObject({ ok: false, reason: 'malformed' });
    expect(applyDelta(base, { ...good, delta: null })).toMatchObject({ ok: false, reason: 'malformed' });
    expect(JSON.stringify(base)).toBe(frozen);
  });
});

describe('wire compatibility', () => {
  const definition = protoLoader.loadSync(['switchyard/v1/routing.proto'], { ...LOADER_OPTIONS, includeDirs: [protoRoot()] });
  const tableType = definition['switchyard.v1.RoutingTable'] as protoLoader.MessageTypeDefinition<object, object>;
  const watchType = definition['switchyard.v1.WatchRequest'] as protoLoader.MessageTypeDefinition<object, object>;
  const codec = (type: protoLoader.MessageTypeDefinition<object, object>) => type as unknown as { serialize(v: object): Buffer; deserialize(b: Buffer): object };

  it('a snapshot decodes with delta null, a batch with its delta', () => {
    loadServices();
    const { serialize, deserialize } = codec(tableType);
    expect((deserialize(serialize(base)) as RoutingTable).delta).toBeNull();
    const message = diffTables(base, { ...base, version: 6, schedulers: [scheduler('a')] });
    const decoded = deserialize(serialize(message)) as RoutingTable;
    expect(decoded.delta).toMatchObject({ base_version: 5, scheduler_removals: ['b', 'c'], settings: null });
    expect(applyDelta(base, decoded)).toMatchObject({ ok: true });
  });

  it('a previous-release WatchRequest (no supports_deltas, no supports_packed_keys, no supports_placements, no block_hash_scheme) decodes as false and scheme 0', () => {
    const { serialize, deserialize } = codec(watchType);
    expect(deserialize(serialize({ gateway_id: 'old', have_version: 3, have_epoch: 1 }))).toEqual({ gateway_id: 'old', have_version: 3, have_epoch: 1, supports_deltas: false, supports_packed_keys: false, supports_placements: false, block_hash_scheme: 0 });
  });

  it('a few key changes to a long sorted list patch a copy in order, the base untouched; known key changes skip the comparison (issue 16)', () => {
    const keys = Array.from({ length: 1_000 }, (_, i) => key(i * 2));
    const frozen = JSON.stringify(keys);
    const merged = mergeKeys(keys, [key(7), key(10, { enabled: false }), key(5_000)], [key(0).key_sha256, key(1_998).key_sha256]);
    expect(JSON.stringify(keys)).toBe(frozen);
    expect(merged).toHaveLength(1_000);
    expect(merged.map((k) => k.key_sha256)).toEqual([...merged.map((k) => k.key_sha256)].sort());
    expect(merged.find((k) => k.user === 'u10')?.enabled).toBe(false);
    expect(merged.some((k) => k.user === 'u7') && merged.some((k) => k.user === 'u5000')).toBe(true);

    const withKeys = table(5, { api_keys: keys });
    const known = { upserts: [key(7)], removals: [] };
    const next = table(6, { api_keys: mergeKeys(keys, known.upserts, known.removals) });
    const message = diffTables(withKeys, next, known);
    expect(message.delta).toMatchObject({ key_upserts: [key(7)], key_removals: [], scheduler_upserts: [] });
    const applied = applyDelta(withKeys, message);
    expect(applied.ok && applied.table.api_keys).toEqual(next.api_keys);
  });

  it('diffs long sorted key lists field by field, as the general diff would (issue 16)', () => {
    const before = Array.from({ length: 500 }, (_, i) => key(i * 3));
    const after = [...before.filter((_, i) => i % 50 !== 0).map((k, i) => (i % 70 === 0 ? { ...k, allowed_models: ['m', 'n'] } : i % 90 === 0 ? { ...k } : k)), key(1), key(2_000)]
      .sort((a, b) => (a.key_sha256 < b.key_sha256 ? -1 : 1));
    const message = diffTables(table(5, { api_keys: before }), table(6, { api_keys: after }));
    expect(message.delta!.key_removals).toEqual(before.filter((_, i) => i % 50 === 0).map((k) => k.key_sha256));
    expect(message.delta!.key_upserts.map((k) => k.user).sort()).toEqual([...after.filter((k) => k.allowed_models.length === 2).map((k) => k.user), 'u1', 'u2000'].sort());
    const applied = applyDelta(table(5, { api_keys: before }), message);
    expect(applied.ok && applied.table.api_keys).toEqual(after);
  });
});
