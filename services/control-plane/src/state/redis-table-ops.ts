import type Redis from 'ioredis';
import type { Logger } from '@switchyard/observability';
import type { RoutingTable } from '@switchyard/proto';
import type { RedisKeys } from '../redis/redis-keys';
import { PUT_TABLE } from './redis-scripts';
import { encodeEvent } from './state-event';
import type { TableFence } from './state-store';

export interface RedisTableOps {
  get(): Promise<RoutingTable | undefined>;
  nextVersion(): Promise<number>;
  put(table: RoutingTable, fence: TableFence | undefined, generation: string | undefined): Promise<boolean>;
}

const FENCE_REASONS: Record<number, string> = { [-1]: 'not the lease holder', [-2]: 'state generation changed', [-3]: 'a newer epoch exists' };

/** The routing table in Redis: one hash, a version counter, writes fenced by the leader lease (redis-scripts.ts). */
export function createRedisTableOps(client: Redis, keys: RedisKeys, logger: Logger): RedisTableOps {
  return {
    async get() {
      const raw = await client.hget(keys.table, 'json');
      return raw === null ? undefined : (JSON.parse(raw) as RoutingTable);
    },
    nextVersion: () => client.incr(keys.tableSeq),
    async put(table, fence, generation) {
      const message = encodeEvent({ kind: 'table', epoch: table.epoch, version: table.version });
      const tableKeys = [keys.table, keys.tableSeq, keys.leader, keys.epoch, keys.generation];
      const args = [JSON.stringify(table), table.epoch, table.version, fence?.owner ?? '', generation ?? '', keys.events, message];
      const result = Number(await PUT_TABLE.run(client, tableKeys, args));
      if (result < 0) logger.warn('table write fenced out', { epoch: table.epoch, version: table.version, reason: FENCE_REASONS[result] });
      return result === 1;
    },
  };
}
