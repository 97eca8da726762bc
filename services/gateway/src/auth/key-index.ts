import { createHash } from 'node:crypto';
import { findPackedKey, packedKeyCount, packKeys, type ApiKeyRecord, type RoutingTable } from '@switchyard/proto';
import { compileModelAccess } from './model-access';

/** A key's record without its hash: shared by every key with the same user and limits. */
export type KeyGrant = Omit<ApiKeyRecord, 'key_sha256'>;

/** A client key as the hot path checks it: its record plus what is derived once per table. */
export interface AuthKey {
  readonly record: KeyGrant;
  /** The first 16 hex characters of the hash: names the key in Redis limit keys (and in the admin API). */
  readonly id: string;
  readonly mayUse: (model: string) => boolean;
  /** Any of rpm, tpm or max_concurrency is set. */
  readonly limited: boolean;
}

/** The keys of one routing table. */
export interface KeyIndex {
  readonly authRequired: boolean;
  /** How many keys the table has. */
  readonly size: number;
  /** The key whose SHA-256 is this hex string, if the table has it. */
  find(hexHash: string): AuthKey | undefined;
}

/**
 * Pure: the index of a table's keys (issue 6: checked locally; issue 16: held
 * packed). A lookup is a binary search of the raw hashes (≈ 17 compares at
 * 100,000 keys); what is derived from a record (model access, limits) is built
 * once per distinct record, not per key, so 100,000 keys cost two arrays.
 */
export function buildKeyIndex(table: Pick<RoutingTable, 'api_keys' | 'packed_keys' | 'auth_required'>): KeyIndex {
  const packed = table.packed_keys ?? packKeys(table.api_keys ?? []);
  const grants = packed.profiles.map(({ key_sha256: _hash, ...record }) => ({ record, mayUse: compileModelAccess(record.allowed_models), limited: record.rpm > 0 || record.tpm > 0 || record.max_concurrency > 0 }));
  const size = packedKeyCount(packed);
  // The keys clients present (found ones only, so at most the table's keys), by hash: a repeated lookup is one Map.get, no search.
  const presented = new Map<string, AuthKey>();
  return {
    authRequired: table.auth_required === true || size > 0,
    size,
    find(hexHash) {
      const known = presented.get(hexHash);
      if (known !== undefined) return known;
      const at = findPackedKey(packed, hexHash);
      if (at < 0) return undefined;
      const key: AuthKey = { ...grants[packed.profile_of[at]!]!, id: hexHash.slice(0, 16).toLowerCase() };
      presented.set(hexHash, key);
      return key;
    },
  };
}

/** Hex SHA-256 of a key. */
export function hashKey(key: string): string {
  return createHash('sha256').update(key, 'utf8').digest('hex');
}

/** How many presented keys' hashes are remembered; past it, the memory starts over. */
export const PRESENTED_KEY_MEMORY = 1024;

/**
 * hashKey for keys presented by clients, remembered: a gateway sees the same few
 * keys all day, and a SHA-256 per request was ~2% of its CPU (issue 9). The keys
 * are held only as long as the process (they pass through its memory on every
 * request anyway) and never leave it. A flood of distinct keys only makes the
 * memory start over, at the cost of one hash each as before.
 */
export function createPresentedKeyHasher(): (key: string) => string {
  let hashes = new Map<string, string>();
  return (key) => {
    let hash = hashes.get(key);
    if (hash !== undefined) return hash;
    if (hashes.size >= PRESENTED_KEY_MEMORY) hashes = new Map();
    hash = hashKey(key);
    hashes.set(key, hash);
    return hash;
  };
}
