import type { ApiKeyRecord, PackedKeys } from './messages';

/**
 * The packed form of a table's keys (issue 16, RoutingTable.packed_keys): each
 * key's SHA-256 as 32 raw bytes in one buffer, ordered, and an index into the
 * distinct records, since most keys share their user's limits. A snapshot of
 * 100,000 keys is ≈ 3.4 MB instead of ≈ 10.7 MB as ApiKeyRecord messages, and a
 * gateway holds the keys as two arrays instead of 100,000 objects. Pure.
 */

const HASH_BYTES = 32;
/** A key's SHA-256 as hex (any case). */
export const HEX_HASH = /^[0-9a-f]{64}$/i;
/** Distinct records of one user that later keys are compared with. */
const MAX_PROFILES_PER_USER = 16;

/** How many keys a packed set holds. */
export function packedKeyCount(packed: PackedKeys): number {
  return packed.hashes.length / HASH_BYTES;
}

/**
 * Packs `records` (any order; a later duplicate hash wins). Records whose
 * key_sha256 is not 64 hex characters are left out: no presented key hashes to
 * them, so they could never authenticate anyway. A list already in hash order
 * (the control plane's) is packed in one pass.
 */
export function packKeys(records: readonly ApiKeyRecord[]): PackedKeys {
  return packInOrder(records) ?? packInOrder(normalized(records))!;
}

/** One pass over records whose hashes strictly ascend; undefined when one does not (or is not hex). */
function packInOrder(records: readonly ApiKeyRecord[]): PackedKeys | undefined {
  const builder = createPackBuilder(records.length);
  for (const record of records) if (!builder.addHex(record.key_sha256, record)) return undefined;
  return builder.finish();
}

/** Valid hashes only, lowercase, deduplicated (the later wins) and sorted. */
function normalized(records: readonly ApiKeyRecord[]): ApiKeyRecord[] {
  const byHash = new Map<string, ApiKeyRecord>();
  for (const record of records) if (HEX_HASH.test(record.key_sha256)) byHash.set(record.key_sha256.toLowerCase(), record);
  return [...byHash.keys()].sort().map((hash) => ({ ...byHash.get(hash)!, key_sha256: hash }));
}

/** The records of a packed set, in hash order (lowercase hex); the inverse of packKeys. */
export function unpackKeys(packed: PackedKeys): ApiKeyRecord[] {
  const hashes = asBuffer(packed.hashes);
  return packed.profile_of.map((profile, i) => ({ ...packed.profiles[profile]!, key_sha256: hashes.toString('hex', i * HASH_BYTES, (i + 1) * HASH_BYTES) }));
}

/** Index of the key with this hex hash, or -1 (binary search: ≈ 17 compares at 100,000 keys). */
export function findPackedKey(packed: PackedKeys, hexHash: string): number {
  if (!HEX_HASH.test(hexHash)) return -1;
  const at = search(asBuffer(packed.hashes), Buffer.from(hexHash, 'hex'));
  return at >= 0 ? at : -1;
}

/**
 * The set with `removals` (hex hashes) taken out and `upserts` put in, in one
 * walk that copies the unchanged runs of hashes (a batch of a few keys at
 * 100,000 costs a 3 MB copy, no object per key). Profiles nothing uses any more
 * are dropped.
 */
export function mergePackedKeys(packed: PackedKeys, upserts: readonly ApiKeyRecord[], removals: readonly string[]): PackedKeys {
  if (upserts.length === 0 && removals.length === 0) return packed;
  const changes = new Map<string, ApiKeyRecord | null>();
  for (const hash of removals) changes.set(hash.toLowerCase(), null);
  for (const record of upserts) if (HEX_HASH.test(record.key_sha256)) changes.set(record.key_sha256.toLowerCase(), record);
  const hashes = asBuffer(packed.hashes);
  const count = packedKeyCount(packed);
  const builder = createPackBuilder(count + upserts.length);
  let from = 0;
  for (const hex of [...changes.keys()].sort()) {
    const raw = Buffer.from(hex, 'hex');
    const at = search(hashes, raw, from);
    const next = at >= 0 ? at : -at - 1;
    builder.copy(packed, from, next);
    const record = changes.get(hex);
    if (record) builder.add(raw, record);
    from = at >= 0 ? at + 1 : next;
  }
  builder.copy(packed, from, count);
  return builder.finish();
}

/** Why a received packed set cannot be used, or undefined (it may come from anywhere: types are checked). */
export function packedKeysProblem(packed: unknown): string | undefined {
  const p = packed as Partial<PackedKeys> | null;
  if (typeof p !== 'object' || p === null || !(p.hashes instanceof Uint8Array) || !Array.isArray(p.profile_of) || !Array.isArray(p.profiles)) return 'packed keys without hashes, profile_of or profiles';
  if (p.hashes.length % HASH_BYTES !== 0 || p.profile_of.length !== p.hashes.length / HASH_BYTES) return 'packed keys: hashes and profile_of differ in length';
  const profiles = p.profiles;
  if (!profiles.every((r) => typeof r === 'object' && r !== null && typeof r.user === 'string' && Array.isArray(r.allowed_models))) return 'packed keys: a bad profile';
  if (!p.profile_of.every((i) => Number.isInteger(i) && i >= 0 && i < profiles.length)) return 'packed keys: a profile index out of range';
  const hashes = asBuffer(p.hashes);
  for (let i = 1; i < p.profile_of.length; i++) {
    if (hashes.compare(hashes, (i - 1) * HASH_BYTES, i * HASH_BYTES, i * HASH_BYTES, (i + 1) * HASH_BYTES) <= 0) return 'packed keys: hashes not strictly ascending';
  }
  return undefined;
}

interface PackBuilder {
  /** Appends one key (after every key already added: callers add in hash order). */
  add(raw: Buffer, record: ApiKeyRecord): void;
  /** Appends one key given as hex; false (nothing added) when it is not 64 hex characters or not above the last key. */
  addHex(hex: string, record: ApiKeyRecord): boolean;
  /** Appends keys [from, to) of `source` with their records. */
  copy(source: PackedKeys, from: number, to: number): void;
  finish(): PackedKeys;
}

/** Builds a packed set in hash order, interning equal records as one profile. */
function createPackBuilder(capacity: number): PackBuilder {
  const hashes = Buffer.allocUnsafe(capacity * HASH_BYTES);
  const profileOf: number[] = [];
  const profiles: ApiKeyRecord[] = [];
  /** Profile indexes by user: a key's profile is found among its user's few, comparing fields. */
  const byUser = new Map<string, number[]>();
  let remap: { source: PackedKeys; to: Int32Array } | undefined;
  const intern = (record: ApiKeyRecord): number => {
    const candidates = byUser.get(record.user) ?? [];
    const found = candidates.find((index) => sameGrant(profiles[index]!, record));
    if (found !== undefined) return found;
    const index = profiles.push(asProfile(record)) - 1;
    // A user with many distinct records gets no more candidates: packing stays linear, only less compact.
    if (candidates.length < MAX_PROFILES_PER_USER) byUser.set(record.user, [...candidates, index]);
    return index;
  };
  return {
    add(raw, record) {
      raw.copy(hashes, profileOf.length * HASH_BYTES);
      profileOf.push(intern(record));
    },
    addHex(hex, record) {
      const at = profileOf.length * HASH_BYTES;
      if (hex.length !== 2 * HASH_BYTES || hashes.write(hex, at, HASH_BYTES, 'hex') !== HASH_BYTES) return false;
      if (at > 0 && hashes.compare(hashes, at - HASH_BYTES, at, at, at + HASH_BYTES) <= 0) return false;
      profileOf.push(intern(record));
      return true;
    },
    copy(source, from, to) {
      if (to <= from) return;
      asBuffer(source.hashes).copy(hashes, profileOf.length * HASH_BYTES, from * HASH_BYTES, to * HASH_BYTES);
      if (remap?.source !== source) remap = { source, to: new Int32Array(source.profiles.length).fill(-1) };
      const map = remap.to;
      for (let i = from; i < to; i++) {
        const old = source.profile_of[i]!;
        if (map[old] === -1) map[old] = intern(source.profiles[old]!);
        profileOf.push(map[old]!);
      }
    },
    finish: () => ({ hashes: hashes.subarray(0, profileOf.length * HASH_BYTES), profile_of: profileOf, profiles }),
  };
}

/** Every field of a key record but its hash: what keys must share to share one profile. */
const GRANT_FIELDS = ['user', 'enabled', 'allowed_models', 'rpm', 'tpm', 'max_concurrency', 'allow_backend_pin', 'allow_explain', 'resume_streams', 'priority'] as const;
// Fails to compile when ApiKeyRecord gains a field GRANT_FIELDS does not name: keys differing only there would share a profile.
const GRANT_FIELDS_COMPLETE: Exclude<keyof ApiKeyRecord, 'key_sha256' | (typeof GRANT_FIELDS)[number]> extends never ? true : never = true;
void GRANT_FIELDS_COMPLETE;

/** Everything of a record but its hash is equal. */
function sameGrant(a: ApiKeyRecord, b: ApiKeyRecord): boolean {
  for (const field of GRANT_FIELDS) {
    const x = a[field];
    const y = b[field];
    if (Array.isArray(x) && Array.isArray(y)) {
      if (x.length !== y.length || x.some((value, i) => value !== y[i])) return false;
    } else if ((x ?? '') !== (y ?? '')) return false; // priority: '' and absent both mean standard
  }
  return true;
}

function asProfile(r: ApiKeyRecord): ApiKeyRecord {
  const profile = { key_sha256: '' } as Record<string, unknown>;
  for (const field of GRANT_FIELDS) profile[field] = r[field];
  profile.priority = r.priority ?? '';
  return profile as unknown as ApiKeyRecord;
}

function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/** Index of `raw` among the sorted 32-byte hashes (from index `lo`), or -(insertion point) - 1. */
function search(hashes: Buffer, raw: Buffer, lo = 0): number {
  let hi = hashes.length / HASH_BYTES - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    const order = hashes.compare(raw, 0, HASH_BYTES, mid * HASH_BYTES, (mid + 1) * HASH_BYTES);
    if (order === 0) return mid;
    if (order < 0) lo = mid + 1;
    else hi = mid - 1;
  }
  return -lo - 1;
}
