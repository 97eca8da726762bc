import type Redis from 'ioredis';
import { createSerialRunner } from '@switchyard/lifecycle';
import { LEGACY_TABLE_INTERVAL_MS, OLD_KEY_PART_TTL_MS, readStoredTable, tableKeyPartKey } from '@switchyard/redis';
import type { Logger } from '@switchyard/observability';
import type { RoutingTable } from '@switchyard/proto';
import type { RedisKeys } from '../redis/redis-keys';
import { DEFAULT_CHANGE_LOG_SIZE } from './change-log';
import { PUT_LEGACY_TABLE, PUT_TABLE } from './redis-scripts';
import { encodeEvent } from './state-event';
import type { TableFence } from './state-store';

export interface RedisTableOps {
  get(): Promise<RoutingTable | undefined>;
  getVersion(): Promise<Pick<RoutingTable, 'epoch' | 'version'> | undefined>;
  nextVersion(): Promise<number>;
  put(table: RoutingTable, fence: TableFence | undefined, generation: string | undefined, change?: RoutingTable): Promise<boolean>;
  changesSince(version: number): Promise<RoutingTable[]>;
}

const FENCE_REASONS: Record<number, string> = { [-1]: 'not the lease holder', [-2]: 'state generation changed', [-3]: 'a newer epoch exists' };
const KEY_LIST_MISSING = -4;

export interface RedisTableOpsOptions {
  changeLogSize?: number;
  /** The legacy whole-table record's refresh bound (default LEGACY_TABLE_INTERVAL_MS). */
  legacyIntervalMs?: number;
}

/**
 * The routing table in Redis: one hash, its key list apart, a version counter,
 * writes fenced by the leader lease (redis-scripts.ts). Issue 16: the key list
 * (≈ 20 MB of JSON at 100,000 keys) is named by the version that first sent it;
 * a version whose list has the same bytes as one this writer sent before sends
 * only the routes (a few hundred KB at 1,000 schedulers) and names it, however
 * often the list was re-read meanwhile; a refused name (Redis lost the list, or a send timed out)
 * makes it send the list. The legacy `json` record, which previous releases read,
 * is written shortly (LEGACY_URGENT_DELAY_MS) after every version with new keys or
 * without a change batch, else at most every legacyIntervalMs (a timer writes the
 * last version late), in its own command so no table write waits for it: it trails
 * the routes by at most that interval plus a write, and a key change by the delay
 * plus a write.
 */
export function createRedisTableOps(client: Redis, keys: RedisKeys, logger: Logger, options: RedisTableOpsOptions = {}): RedisTableOps {
  const serializer = createTableSerializer();
  const changeLogSize = options.changeLogSize ?? DEFAULT_CHANGE_LOG_SIZE;
  const legacy = createLegacyWriter(client, keys, logger, serializer, options.legacyIntervalMs ?? LEGACY_TABLE_INTERVAL_MS);
  // Key lists this writer stored or sent (a timed-out send may have been stored), by their bytes: the last two, to name instead of sending.
  let sent: { ref: string; bytes: Buffer }[] = [];
  // The list of the last version stored: a version with another one (or without a batch) writes the legacy record at once.
  let storedRef: string | undefined;

  const write = async (table: RoutingTable, fence: TableFence | undefined, generation: string | undefined, change: RoutingTable | undefined, ref: string, withKeys: boolean) => {
    const message = encodeEvent({ kind: 'table', epoch: table.epoch, version: table.version });
    const tableKeys = [keys.table, keys.tableSeq, keys.leader, keys.epoch, keys.generation, keys.tableChanges, tableKeyPartKey(keys.table, ref)];
    const args = [
      serializer.routes(table), table.epoch, table.version, fence?.owner ?? '', generation ?? '', keys.events, message,
      change ? JSON.stringify(change) : '', changeLogSize, ref, table.api_keys.length, withKeys ? serializer.keys(table.api_keys) : '', OLD_KEY_PART_TTL_MS,
    ];
    if (withKeys) sent = [{ ref, bytes: serializer.keys(table.api_keys) }, ...sent.filter((s) => s.ref !== ref)].slice(0, 2);
    return Number(await PUT_TABLE.run(client, tableKeys, args));
  };

  return {
    get: async () => (await readStoredTable(client, keys.table, (reason) => logger.warn('stored table key list unusable: reading the legacy record', { reason }))) as RoutingTable | undefined,
    async getVersion() {
      const [epoch, version] = await client.hmget(keys.table, 'epoch', 'version');
      return epoch === null || version === null ? undefined : { epoch: Number(epoch), version: Number(version) };
    },
    nextVersion: () => client.incr(keys.tableSeq),
    async put(table, fence, generation, change) {
      const bytes = serializer.keys(table.api_keys);
      // A memcmp at worst (20 MB at 100,000 keys), far cheaper than hashing or sending the list.
      const known = sent.find((s) => s.bytes === bytes || s.bytes.equals(bytes));
      const ref = known?.ref ?? `${table.epoch}.${table.version}`;
      let result = await write(table, fence, generation, change, ref, !known);
      if (result === KEY_LIST_MISSING) {
        logger.info('the named key list is not stored: sending it', { epoch: table.epoch, version: table.version });
        result = await write(table, fence, generation, change, ref, true);
      }
      if (result === 1) {
        legacy.stored(table, ref !== storedRef || !change);
        storedRef = ref;
      } else storedRef = undefined;
      if (result < 0) logger.warn('table write fenced out', { epoch: table.epoch, version: table.version, reason: FENCE_REASONS[result] });
      return result === 1;
    },
    async changesSince(version) {
      const raw = await client.zrangebyscore(keys.tableChanges, `(${version}`, '+inf');
      return raw.map((json) => JSON.parse(json) as RoutingTable);
    },
  };
}

/** How long after an urgent version (new keys, a new epoch) its legacy record is written. */
const LEGACY_URGENT_DELAY_MS = 300;

/**
 * The legacy whole-table record: written within LEGACY_URGENT_DELAY_MS for an urgent version (new keys,
 * a new epoch) or when the interval since the last write has passed, else by a
 * timer at the end of the interval; one write at a time, always of the newest
 * stored version, and only while it is still the stored one. A failed write is
 * retried after the interval.
 */
function createLegacyWriter(client: Redis, keys: RedisKeys, logger: Logger, serializer: TableSerializer, intervalMs: number) {
  let writtenAt = -Infinity;
  let latest: RoutingTable | undefined;
  let timer: NodeJS.Timeout | undefined;
  const writeLatest = async () => {
    const table = latest;
    latest = undefined;
    if (!table) return;
    writtenAt = Date.now();
    try {
      await PUT_LEGACY_TABLE.run(client, [keys.table], [table.epoch, table.version, serializer.full(table)]);
    } catch (err) {
      logger.warn('cannot write the legacy table record', { error: String(err), retry_in_ms: intervalMs });
      latest ??= table;
      later();
    }
  };
  const writes = createSerialRunner(writeLatest);
  let dueAt = Infinity;
  // A pending write due sooner stays: a stream of urgent versions does not push it back.
  const writeIn = (ms: number) => {
    if (timer && dueAt <= Date.now() + ms) return;
    clearTimeout(timer);
    dueAt = Date.now() + ms;
    timer = setTimeout(() => {
      timer = undefined;
      void writes.run();
    }, ms);
    timer.unref();
  };
  const later = () => writeIn(Math.max(0, writtenAt + intervalMs - Date.now()));
  return {
    stored(table: RoutingTable, urgent: boolean) {
      latest = table;
      if (!urgent && Date.now() - writtenAt < intervalMs) return later();
      // Not at once: the replicas' change-log reads of this version go first, and the table's stream does not wait behind 20 MB.
      writeIn(LEGACY_URGENT_DELAY_MS);
    },
  };
}

export interface TableSerializer {
  /** JSON.stringify(table) as UTF-8 bytes: the legacy record. */
  full(table: RoutingTable): Buffer;
  /** JSON.stringify(table.api_keys) as UTF-8 bytes: the stored key list. */
  keys(list: RoutingTable['api_keys']): Buffer;
  /** The table's JSON with an empty key list: the routes record. */
  routes(table: RoutingTable): string;
}

/**
 * JSON.stringify of a table and its parts, without serializing 100,000 keys per
 * version (issue 16): the key list's bytes are kept per list (the publisher hands
 * every version the same array until keys change), and each key's bytes per key
 * record (a key change makes a new list of the same records but one), so a
 * scheduler change copies bytes and a key change serializes one key. The bytes
 * are the same JSON.stringify gives.
 */
export function createTableSerializer(): TableSerializer {
  const listBytes = new WeakMap<object, Buffer>();
  const keyBytes = new WeakMap<object, Buffer>();
  const COMMA = Buffer.from(',');
  const encodeKeys = (apiKeys: RoutingTable['api_keys']): Buffer => {
    const parts: Buffer[] = [Buffer.from('[')];
    for (let i = 0; i < apiKeys.length; i++) {
      const key = apiKeys[i]!;
      let bytes = keyBytes.get(key);
      if (!bytes) {
        bytes = Buffer.from(JSON.stringify(key));
        keyBytes.set(key, bytes);
      }
      if (i > 0) parts.push(COMMA);
      parts.push(bytes);
    }
    parts.push(Buffer.from(']'));
    return Buffer.concat(parts);
  };
  const keys = (apiKeys: RoutingTable['api_keys']): Buffer => {
    let bytes = listBytes.get(apiKeys);
    if (bytes === undefined) {
      bytes = encodeKeys(apiKeys);
      listBytes.set(apiKeys, bytes);
    }
    return bytes;
  };
  const routes = (table: RoutingTable) => JSON.stringify({ ...table, api_keys: [] });
  return {
    keys,
    routes,
    full(table) {
      const rest = routes(table);
      // Inside string values quotes are escaped, so this marker can only be the field itself.
      const marker = '"api_keys":[]';
      const at = rest.indexOf(marker);
      return Buffer.concat([Buffer.from(`${rest.slice(0, at)}"api_keys":`), keys(table.api_keys), Buffer.from(rest.slice(at + marker.length))]);
    },
  };
}
