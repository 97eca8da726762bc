import { createHash } from 'node:crypto';
import * as protoLoader from '@grpc/proto-loader';
import type { ApiKeyRecord, RoutingTable } from './messages';
import { LOADER_OPTIONS, protoRoot } from './loader';
import { findPackedKey, mergePackedKeys, packedKeyCount, packedKeysProblem, packKeys, unpackKeys } from './packed-keys';
import { applyDelta, diffTables } from './table-delta';

const sha = (text: string) => createHash('sha256').update(text).digest('hex');
const key = (name: string, extra: Partial<ApiKeyRecord> = {}): ApiKeyRecord => ({
  key_sha256: sha(name), user: 'team-a', enabled: true, allowed_models: ['*'], rpm: 0, tpm: 0, max_concurrency: 0, allow_backend_pin: false, allow_explain: false, resume_streams: false, priority: '', ...extra,
});
const byHash = (records: readonly ApiKeyRecord[]) => [...records].sort((a, b) => (a.key_sha256 < b.key_sha256 ? -1 : 1));
const table = (version: number, parts: Partial<RoutingTable> = {}): RoutingTable => ({
  epoch: 1, version, generated_at_ms: version, default_strategy: 'round-robin', schedulers: [], models: {}, api_keys: [], auth_required: true, ...parts,
});

/** Keys with unicode users, limits set and unset, every flag and priority. */
const records = [
  key('k1', { user: 'Zoë 🚀 研究', rpm: 60, tpm: 100_000, max_concurrency: 3 }),
  key('k2', { user: 'Zoë 🚀 研究', rpm: 60, tpm: 100_000, max_concurrency: 3 }),
  key('k3', { allowed_models: [], enabled: false }),
  key('k4', { allowed_models: ['qwen/*', 'llama-3'], allow_backend_pin: true, allow_explain: true, resume_streams: true, priority: 'batch' }),
  key('k5'),
  key('k6', { user: '' }),
];

const definition = protoLoader.loadSync(['switchyard/v1/routing.proto'], { ...LOADER_OPTIONS, includeDirs: [protoRoot()] });
const tableCodec = definition['switchyard.v1.RoutingTable'] as unknown as { serialize(v: object): Buffer; deserialize(b: Buffer): RoutingTable };
const overTheWire = (message: RoutingTable) => tableCodec.deserialize(tableCodec.serialize(message));

describe('packed keys (issue 16)', () => {
  it('round-trips through the wire: every record as it was, in hash order, equal records sharing one profile', () => {
    const packed = packKeys(records);
    expect(packed.profiles).toHaveLength(5);
    const decoded = overTheWire(table(3, { packed_keys: packed }));
    expect(decoded.api_keys).toEqual([]);
    expect(packedKeysProblem(decoded.packed_keys)).toBeUndefined();
    expect(unpackKeys(decoded.packed_keys!)).toEqual(byHash(records));
  });

  it('is about 34 bytes a key on the wire for keys sharing their user\'s limits, a third of ApiKeyRecord messages', () => {
    const many = Array.from({ length: 2_000 }, (_, i) => key(`bulk-${i}`, { user: `user-${i % 20}`, rpm: 600 }));
    const packedBytes = tableCodec.serialize(table(1, { packed_keys: packKeys(many) })).length;
    const listedBytes = tableCodec.serialize(table(1, { api_keys: byHash(many) })).length;
    expect(packedBytes / many.length).toBeLessThan(36);
    expect(packedBytes * 2.5).toBeLessThan(listedBytes);
  });

  it('a table without packed keys (a previous-release control plane) decodes with packed_keys null', () => {
    expect(overTheWire(table(2, { api_keys: records })).packed_keys).toBeNull();
  });

  it('treats absent optional fields as their defaults, accepts upper-case hashes, drops hashes that are not hex, and lets a later duplicate win', () => {
    const { priority: _p, ...withoutPriority } = key('k7');
    const upper = key('k8', { key_sha256: sha('k8').toUpperCase() });
    const packed = packKeys([withoutPriority, upper, key('bad', { key_sha256: 'not-a-hash' }), key('k5', { rpm: 1 }), key('k5', { rpm: 2 })]);
    expect(unpackKeys(packed)).toEqual(byHash([key('k7'), key('k8'), key('k5', { rpm: 2 })]));
  });

  it('finds a key by hex hash in either case, and nothing for unknown or malformed hashes', () => {
    const packed = packKeys(records);
    const sorted = byHash(records);
    sorted.forEach((record, i) => expect(findPackedKey(packed, record.key_sha256)).toBe(i));
    expect(findPackedKey(packed, sha('k4').toUpperCase())).toBe(sorted.findIndex((r) => r.key_sha256 === sha('k4')));
    for (const missing of [sha('unknown'), 'abc', sha('k1').slice(0, 63) + 'z', '']) expect(findPackedKey(packed, missing)).toBe(-1);
    expect(findPackedKey(packKeys([]), sha('k1'))).toBe(-1);
  });

  it('merges upserts and removals without touching the base, as packing the merged list would, dropping unused profiles', () => {
    const base = packKeys(records);
    const frozen = Buffer.from(base.hashes).toString('hex');
    const merged = mergePackedKeys(base, [key('k2', { enabled: false }), key('new', { user: 'Ωmega' })], [sha('k4'), sha('never-there')]);
    expect(Buffer.from(base.hashes).toString('hex')).toBe(frozen);
    const expected = byHash([records[0]!, key('k2', { enabled: false }), records[2]!, records[4]!, records[5]!, key('new', { user: 'Ωmega' })]);
    expect(unpackKeys(merged)).toEqual(expected);
    expect(merged.profiles.some((p) => p.priority === 'batch')).toBe(false);
    expect(mergePackedKeys(base, [], [])).toBe(base);
    expect(unpackKeys(mergePackedKeys(base, [], records.map((r) => r.key_sha256)))).toEqual([]);
  });

  it('a change batch applies to a table holding packed keys (a gateway\'s) by merging into them', () => {
    const before = table(5, { api_keys: byHash(records) });
    const after = table(6, { api_keys: byHash([...records.slice(1), key('k9')]) });
    const gatewayTable = { ...before, api_keys: [], packed_keys: packKeys(before.api_keys) };
    const applied = applyDelta(gatewayTable, overTheWire(diffTables(before, after)));
    expect(applied.ok && unpackKeys(applied.table.packed_keys!)).toEqual(after.api_keys);
    const routingOnly = applyDelta(gatewayTable, diffTables(before, { ...before, version: 6, default_strategy: 'least-latency' }));
    expect(routingOnly.ok && routingOnly.table.packed_keys).toBe(gatewayTable.packed_keys);
  });

  it.each<[string, unknown, string]>([
    ['not an object', null, 'without hashes'],
    ['hashes not bytes', { hashes: 'abc', profile_of: [], profiles: [] }, 'without hashes'],
    ['a partial hash', { hashes: Buffer.alloc(31), profile_of: [0], profiles: [key('x')] }, 'differ in length'],
    ['fewer profile indexes than hashes', { hashes: Buffer.alloc(64, 1), profile_of: [0], profiles: [key('x')] }, 'differ in length'],
    ['an index out of range', { hashes: Buffer.from(sha('a'), 'hex'), profile_of: [1], profiles: [key('x')] }, 'index out of range'],
    ['a bad profile', { hashes: Buffer.from(sha('a'), 'hex'), profile_of: [0], profiles: [{ user: 3 }] }, 'a bad profile'],
    ['hashes out of order', { hashes: Buffer.concat([Buffer.alloc(32, 2), Buffer.alloc(32, 1)]), profile_of: [0, 0], profiles: [key('x')] }, 'not strictly ascending'],
    ['a duplicate hash', { hashes: Buffer.alloc(64, 1), profile_of: [0, 0], profiles: [key('x')] }, 'not strictly ascending'],
  ])('rejects a malformed packed set: %s', (_name, packed, reason) => {
    expect(packedKeysProblem(packed)).toContain(reason);
  });

  it('counts keys', () => {
    expect(packedKeyCount(packKeys(records))).toBe(records.length);
  });
});
