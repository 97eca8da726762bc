import type Redis from 'ioredis';
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
 * writes fenced by the leader lease (redis-scripts.ts). Issue 16: a version whose
 * key list is the same array as the last one written sends only the routes (a few
 * hundred KB at 1,000 schedulers) and names the stored list; the list (≈ 20 MB at
 * 100,000 keys) goes out only when it changed. The legacy `json` record, which
 * previous releases read, is written with every key change and every table
 * without a change batch, else at most every legacyIntervalMs (a timer writes
 * the last version late when versions stop), so it trails the routes by at most
 * that and never holds a key the current table lost.
 */
export function createRedisTableOps(client: Redis, keys: RedisKeys, logger: Logger, options: RedisTableOpsOptions = {}): RedisTableOps {
  const serializer = createTableSerializer();
  const changeLogSize = options.changeLogSize ?? DEFAULT_CHANGE_LOG_SIZE;
  const legacy = createLegacyWriter(client, keys, logger, serializer, options.legacyIntervalMs ?? LEGACY_TABLE_INTERVAL_MS);
  // The key list this writer last stored, by identity: the publisher hands every version the same array until keys change.
  let written: { list: RoutingTable['api_keys']; ref: string } | undefined;

  const write = async (table: RoutingTable, fence: TableFence | undefined, generation: string | undefined, change: RoutingTable | undefined, withKeys: boolean) => {
    const ref = withKeys || !written ? `${table.epoch}.${table.version}` : written.ref;
    const writeLegacy = withKeys || !change || legacy.due();
    const message = encodeEvent({ kind: 'table', epoch: table.epoch, version: table.version });
    const tableKeys = [keys.table, keys.tableSeq, keys.leader, keys.epoch, keys.generation, keys.tableChanges, tableKeyPartKey(keys.table, ref)];
    const args = [
      serializer.routes(table), table.epoch, table.version, fence?.owner ?? '', generation ?? '', keys.events, message,
      change ? JSON.stringify(change) : '', changeLogSize, ref, table.api_keys.length,
      withKeys ? serializer.keys(table.api_keys) : '', OLD_KEY_PART_TTL_MS, writeLegacy ? serializer.full(table) : '',
    ];
    const result = Number(await PUT_TABLE.run(client, tableKeys, args));
    if (result === 1) {
      written = { list: table.api_keys, ref };
      legacy.stored(table, writeLegacy);
    }
    return result;
  };

  return {
    get: async () => (await readStoredTable(client, keys.table, (reason) => logger.warn('stored table key list unusable: reading the legacy record', { reason }))) as RoutingTable | undefined,
    async getVersion() {
      const [epoch, version] = await client.hmget(keys.table, 'epoch', 'version');
      return epoch === null || version === null ? undefined : { epoch: Number(epoch), version: Number(version) };
    },
    nextVersion: () => client.incr(keys.tableSeq),
    async put(table, fence, generation, change) {
      let result = await write(table, fence, generation, change, written?.list !== table.api_keys);
      if (result === KEY_LIST_MISSING) {
        logger.warn('stored key list is not the one last written: writing it again', { epoch: table.epoch, version: table.version });
        result = await write(table, fence, generation, change, true);
      }
      if (result !== 1) written = undefined;
      if (result < 0) logger.warn('table write fenced out', { epoch: table.epoch, version: table.version, reason: FENCE_REASONS[result] });
      return result === 1;
    },
    async changesSince(version) {
      const raw = await client.zrangebyscore(keys.tableChanges, `(${version}`, '+inf');
      return raw.map((json) => JSON.parse(json) as RoutingTable);
    },
  };
}

/**
 * When the legacy record is due, and the late write of a version that skipped it:
 * the timer runs once per interval at most, and writes only while that version is
 * still the stored one.
 */
function createLegacyWriter(client: Redis, keys: RedisKeys, logger: Logger, serializer: TableSerializer, intervalMs: number) {
  let writtenAt = -Infinity;
  let pending: RoutingTable | undefined;
  let timer: NodeJS.Timeout | undefined;
  const flush = async () => {
    timer = undefined;
    const table = pending;
    pending = undefined;
    if (!table) return;
    writtenAt = Date.now();
    await PUT_LEGACY_TABLE.run(client, [keys.table], [table.epoch, table.version, serializer.full(table)]);
  };
  return {
    due: () => Date.now() - writtenAt >= intervalMs,
    stored(table: RoutingTable, legacyWritten: boolean) {
      if (legacyWritten) {
        writtenAt = Date.now();
        pending = undefined;
        return;
      }
      pending = table;
      if (timer) return;
      timer = setTimeout(() => void flush().catch((err: unknown) => logger.warn('cannot refresh the legacy table record', { error: String(err) })), Math.max(0, writtenAt + intervalMs - Date.now()));
      timer.unref();
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
