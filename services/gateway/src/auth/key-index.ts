import { createHash } from 'node:crypto';
import type { ApiKeyRecord, RoutingTable } from '@switchyard/proto';
import { compileModelAccess } from './model-access';

/** A client key as the hot path checks it: the table's record plus what is derived once per table. */
export interface AuthKey {
  readonly record: ApiKeyRecord;
  /** The first 16 hex characters of the hash: names the key in Redis limit keys (and in the admin API). */
  readonly id: string;
  readonly mayUse: (model: string) => boolean;
  /** Any of rpm, tpm or max_concurrency is set. */
  readonly limited: boolean;
}

/** The keys of one routing table, by SHA-256 hex. */
export interface KeyIndex {
  readonly authRequired: boolean;
  readonly byHash: ReadonlyMap<string, AuthKey>;
}

/** Pure: the index of a table's `api_keys` (issue 6: checked locally, constant time per request). */
export function buildKeyIndex(table: RoutingTable): KeyIndex {
  const byHash = new Map<string, AuthKey>();
  for (const record of table.api_keys ?? []) {
    const limited = record.rpm > 0 || record.tpm > 0 || record.max_concurrency > 0;
    byHash.set(record.key_sha256.toLowerCase(), { record, id: record.key_sha256.slice(0, 16).toLowerCase(), mayUse: compileModelAccess(record.allowed_models), limited });
  }
  return { authRequired: table.auth_required === true || byHash.size > 0, byHash };
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
