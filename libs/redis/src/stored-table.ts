import type Redis from 'ioredis';

/**
 * The routing table's layout in Redis (issue 16; docs/contracts.md, "Storage").
 * The hash at `<prefix>table` holds `epoch` and `version`; `routes`, the table's
 * JSON with an empty `api_keys`, written on every version; `keys_ref` and
 * `keys_count`, naming the content of the key set, a hash at
 * `<prefix>table:keyset` of key SHA-256 → key record JSON that a key change
 * patches field by field; and `json`, the whole table as earlier releases wrote
 * and read it, refreshed at most every {@link LEGACY_TABLE_INTERVAL_MS} (and soon
 * after a new epoch).
 */
export const LEGACY_TABLE_INTERVAL_MS = 5_000;

/** The hash holding the table's keys, one field per key SHA-256. */
export function tableKeySetKey(tableKey: string): string {
  return `${tableKey}:keyset`;
}

/** A stored table as a plain object (callers check its shape), or undefined when none is stored. */
export type StoredTable = Record<string, unknown> & { api_keys: unknown[] };

/**
 * Reads the stored table in the split form (its fields and its key set in one
 * MULTI, so both are of the same version), or the legacy `json` field when the
 * split form is not the current version (a previous-release leader wrote last)
 * or its key set is incomplete or corrupt (reported through onFallback, since the
 * routes must never be served without their keys). Throws when neither form is
 * usable. Keys come back ordered by their SHA-256, as the writer lists them.
 */
export async function readStoredTable(client: Redis, tableKey: string, onFallback: (reason: string) => void): Promise<StoredTable | undefined> {
  const replies = await client.multi().hmget(tableKey, 'epoch', 'version', 'routes', 'keys_count').hvals(tableKeySetKey(tableKey)).exec();
  const [[headError, head], [setError, values]] = replies as [[Error | null, (string | null)[]], [Error | null, string[]]];
  if (headError) throw headError;
  const [epoch, version, routes, count] = head;
  if (epoch == null || version == null) return undefined;
  if (routes != null && count != null) {
    const parsed = parseJson(routes) as StoredTable | undefined;
    if (!parsed) onFallback('the routes record is not JSON');
    else if (parsed.epoch === Number(epoch) && parsed.version === Number(version)) {
      const keys = setError ? `the key set cannot be read: ${setError.message}` : keySetList(values, Number(count));
      if (Array.isArray(keys)) return { ...parsed, api_keys: keys };
      onFallback(keys);
    }
  }
  const legacy = await client.hget(tableKey, 'json');
  if (legacy === null) throw new Error('the stored table has no usable key set and no legacy record');
  return JSON.parse(legacy) as StoredTable;
}

function parseJson(raw: string): unknown {
  try {
    return JSON.parse(raw);
  } catch {
    return undefined;
  }
}

/** The key set's records ordered by hash, or why they cannot be used. */
function keySetList(values: string[], count: number): Record<string, unknown>[] | string {
  if (values.length !== count) return `the key set holds ${values.length} keys, the table ${count}`;
  const keys: Record<string, unknown>[] = [];
  for (const value of values) {
    const key = parseJson(value) as Record<string, unknown> | undefined;
    if (typeof key?.key_sha256 !== 'string') return 'the key set holds a record that is not a key';
    keys.push(key);
  }
  return keys.sort((a, b) => ((a.key_sha256 as string) < (b.key_sha256 as string) ? -1 : 1));
}
