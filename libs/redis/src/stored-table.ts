import type Redis from 'ioredis';

/**
 * The routing table's layout in Redis (issue 16; docs/contracts.md, "Storage").
 * The hash at `<prefix>table` holds `epoch` and `version`; `routes`, the table's
 * JSON with an empty `api_keys`, written on every version; `keys_ref` and
 * `keys_count`, naming the key list stored apart as a JSON array at
 * `<prefix>table:keys:<keys_ref>` and rewritten only when the list changes; and
 * `json`, the whole table as earlier releases wrote and read it, refreshed at most
 * every {@link LEGACY_TABLE_INTERVAL_MS} and with every key change.
 */
export const LEGACY_TABLE_INTERVAL_MS = 5_000;

/** How long a replaced key list stays readable, for a reader between its two reads. */
export const OLD_KEY_PART_TTL_MS = 60_000;

export function tableKeyPartKey(tableKey: string, ref: string): string {
  return `${tableKey}:keys:${ref}`;
}

/** A stored table as a plain object (callers check its shape), or undefined when none is stored. */
export type StoredTable = Record<string, unknown> & { api_keys: unknown[] };

/**
 * Reads the stored table in the split form, or the legacy `json` field when the
 * split form is not the current version (a previous-release leader wrote last)
 * or its key list is missing or corrupt (reported through onFallback, since the
 * routes must never be served without their keys). Throws when neither form is
 * usable.
 */
export async function readStoredTable(client: Redis, tableKey: string, onFallback: (reason: string) => void): Promise<StoredTable | undefined> {
  const [epoch, version, routes, ref, count] = await client.hmget(tableKey, 'epoch', 'version', 'routes', 'keys_ref', 'keys_count');
  if (epoch == null || version == null) return undefined;
  if (routes != null && ref != null) {
    const head = parseRoutes(routes);
    if (!head) onFallback('the routes record is not JSON');
    else if (head.epoch === Number(epoch) && head.version === Number(version)) {
      const keys = await readKeyPart(client, tableKey, ref, Number(count));
      if (Array.isArray(keys)) return { ...head, api_keys: keys };
      onFallback(keys);
    }
  }
  const legacy = await client.hget(tableKey, 'json');
  if (legacy === null) throw new Error('the stored table has no usable key list and no legacy record');
  return JSON.parse(legacy) as StoredTable;
}

function parseRoutes(raw: string): StoredTable | undefined {
  try {
    return JSON.parse(raw) as StoredTable;
  } catch {
    return undefined;
  }
}

/** The key list, or why it cannot be used. */
async function readKeyPart(client: Redis, tableKey: string, ref: string, count: number): Promise<unknown[] | string> {
  const raw = await client.get(tableKeyPartKey(tableKey, ref));
  if (raw === null) return `the key list ${ref} is missing`;
  let keys: unknown;
  try {
    keys = JSON.parse(raw);
  } catch {
    return `the key list ${ref} is not JSON`;
  }
  if (!Array.isArray(keys) || keys.length !== count) return `the key list ${ref} does not hold ${count} keys`;
  return keys;
}
