import type Redis from 'ioredis';
import type { Logger } from '@switchyard/observability';
import type { RoutingTable } from '@switchyard/proto';
import type { RedisKeys } from '../redis/redis-keys';
import { DEFAULT_CHANGE_LOG_SIZE } from './change-log';
import { PUT_TABLE } from './redis-scripts';
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

/** The routing table in Redis: one hash, a version counter, writes fenced by the leader lease (redis-scripts.ts). */
export function createRedisTableOps(client: Redis, keys: RedisKeys, logger: Logger, changeLogSize = DEFAULT_CHANGE_LOG_SIZE): RedisTableOps {
  const toJson = createTableSerializer();
  return {
    async get() {
      const raw = await client.hget(keys.table, 'json');
      return raw === null ? undefined : (JSON.parse(raw) as RoutingTable);
    },
    async getVersion() {
      const [epoch, version] = await client.hmget(keys.table, 'epoch', 'version');
      return epoch === null || version === null ? undefined : { epoch: Number(epoch), version: Number(version) };
    },
    nextVersion: () => client.incr(keys.tableSeq),
    async put(table, fence, generation, change) {
      const message = encodeEvent({ kind: 'table', epoch: table.epoch, version: table.version });
      const tableKeys = [keys.table, keys.tableSeq, keys.leader, keys.epoch, keys.generation, keys.tableChanges];
      const args = [toJson(table), table.epoch, table.version, fence?.owner ?? '', generation ?? '', keys.events, message, change ? JSON.stringify(change) : '', changeLogSize];
      const result = Number(await PUT_TABLE.run(client, tableKeys, args));
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
 * JSON.stringify of a table as UTF-8 bytes, without serializing 100,000 keys per
 * version (issue 16): the key list's bytes are kept per list (the publisher hands
 * every version the same array until keys change), and each key's bytes per key
 * record (a key change makes a new list of the same records but one), so a
 * scheduler change copies bytes and a key change serializes one key. The bytes
 * are the same JSON.stringify gives.
 */
export function createTableSerializer(): (table: RoutingTable) => Buffer {
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
  return (table) => {
    let keys = listBytes.get(table.api_keys);
    if (keys === undefined) {
      keys = encodeKeys(table.api_keys);
      listBytes.set(table.api_keys, keys);
    }
    const rest = JSON.stringify({ ...table, api_keys: [] });
    // Inside string values quotes are escaped, so this marker can only be the field itself.
    const marker = '"api_keys":[]';
    const at = rest.indexOf(marker);
    return Buffer.concat([Buffer.from(`${rest.slice(0, at)}"api_keys":`), keys, Buffer.from(rest.slice(at + marker.length))]);
  };
}
