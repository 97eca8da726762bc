import { setImmediate } from 'node:timers/promises';
import type Redis from 'ioredis';
import { createSerialRunner } from '@switchyard/lifecycle';
import { LEGACY_TABLE_INTERVAL_MS, readStoredTable, tableKeySetKey, type ScriptArg } from '@switchyard/redis';
import type { Logger } from '@switchyard/observability';
import type { ApiKeyRecord, RoutingTable } from '@switchyard/proto';
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

const KEY_SET_NOT_BASE = -4;
const REFUSALS: Record<number, string> = { [-1]: 'not the lease holder', [-2]: 'state generation changed', [-3]: 'a newer epoch exists', [KEY_SET_NOT_BASE]: 'the key set does not hold the table\'s keys' };

export interface RedisTableOpsOptions {
  changeLogSize?: number;
  /** The legacy whole-table record's refresh bound (default LEGACY_TABLE_INTERVAL_MS). */
  legacyIntervalMs?: number;
  /** The connection for whole-table writes (the legacy record, staging a key set); default: the table's own. */
  bulkClient?: Redis;
}

/** What this writer last stored: the base of its next key write. */
interface StoredKeys {
  epoch: number;
  version: number;
  ref: string;
  list: readonly ApiKeyRecord[];
}

/** How one version's keys reach the key set (PUT_TABLE): as they are, as the batch's key changes, or all of them. */
interface KeyWrite {
  mode: 'keep' | 'patch' | 'full';
  ref: string;
  baseRef: string;
  upserts: readonly ApiKeyRecord[];
  removals: readonly string[];
}

/**
 * The routing table in Redis: one hash, its keys in a hash of their own, a
 * version counter, writes fenced by the leader lease (redis-scripts.ts). Issue 16:
 * a version writes its routes (a few hundred KB at 1,000 schedulers) and, of the
 * keys, only what its change batch changed (one field per created, disabled or
 * deleted key), based on the key set this writer stored last; a refused base
 * (Redis lost the set, another writer replaced it, a timed-out write landed after
 * all) makes it send every key once. The legacy `json` record, which previous
 * releases read, is written shortly (LEGACY_URGENT_DELAY_MS) after a version
 * without a change batch (a new epoch, a resync), else at most every
 * legacyIntervalMs (a timer writes the last version late), in its own command so
 * no table write waits for it: it trails the table by at most that interval plus
 * a write.
 */
export function createRedisTableOps(client: Redis, keys: RedisKeys, logger: Logger, options: RedisTableOpsOptions = {}): RedisTableOps {
  const changeLogSize = options.changeLogSize ?? DEFAULT_CHANGE_LOG_SIZE;
  const bulk = options.bulkClient ?? client;
  const keyJson = createKeyJsonCache();
  const legacy = createLegacyWriter(bulk, keys, logger, keyJson, options.legacyIntervalMs ?? LEGACY_TABLE_INTERVAL_MS);
  let stored: StoredKeys | undefined;

  const write = async (table: RoutingTable, fence: TableFence | undefined, generation: string | undefined, change: RoutingTable | undefined, keyWrite: KeyWrite) => {
    const message = encodeEvent({ kind: 'table', epoch: table.epoch, version: table.version });
    const keySet = tableKeySetKey(keys.table);
    const staged = `${keySet}:staged:${keyWrite.ref}`;
    if (keyWrite.mode === 'full') await stageKeySet(bulk, staged, table.api_keys, keyJson);
    const tableKeys = [keys.table, keys.tableSeq, keys.leader, keys.epoch, keys.generation, keys.tableChanges, keySet, staged];
    const args: ScriptArg[] = [
      JSON.stringify({ ...table, api_keys: [] }), table.epoch, table.version, fence?.owner ?? '', generation ?? '', keys.events, message,
      change ? JSON.stringify(change) : '', changeLogSize, keyWrite.ref, table.api_keys.length, keyWrite.mode, keyWrite.baseRef, keyWrite.upserts.length,
    ];
    for (const key of keyWrite.upserts) args.push(key.key_sha256, keyJson.of(key));
    for (const hash of keyWrite.removals) args.push(hash);
    return Number(await PUT_TABLE.run(client, tableKeys, args));
  };

  return {
    get: async () => (await readStoredTable(client, keys.table, (reason) => logger.warn('stored table key set unusable: reading the legacy record', { reason }))) as RoutingTable | undefined,
    async getVersion() {
      const [epoch, version] = await client.hmget(keys.table, 'epoch', 'version');
      return epoch === null || version === null ? undefined : { epoch: Number(epoch), version: Number(version) };
    },
    nextVersion: () => client.incr(keys.tableSeq),
    async put(table, fence, generation, change) {
      let keyWrite = planKeyWrite(stored, table, change);
      let result = await write(table, fence, generation, change, keyWrite);
      // A refused full write (its staged set lacks keys: duplicate hashes in the list) is not tried again.
      if (result === KEY_SET_NOT_BASE && keyWrite.mode !== 'full') {
        logger.info('the stored key set is not this writer\'s: sending every key', { epoch: table.epoch, version: table.version, keys: table.api_keys.length });
        keyWrite = allKeys(table);
        result = await write(table, fence, generation, change, keyWrite);
      }
      if (result === 1) {
        stored = { epoch: table.epoch, version: table.version, ref: keyWrite.ref, list: table.api_keys };
        legacy.stored(table, !change);
      }
      if (result < 0) logger.warn('table write refused', { epoch: table.epoch, version: table.version, reason: REFUSALS[result] });
      return result === 1;
    },
    async changesSince(version) {
      const raw = await client.zrangebyscore(keys.tableChanges, `(${version}`, '+inf');
      return raw.map((json) => JSON.parse(json) as RoutingTable);
    },
  };
}

/** Keys per command while staging a whole key set: ≈ 200 KB, so no command holds Redis or waits on its timeout. */
const STAGE_BATCH = 1_000;
/** A staged set that never became the table's (its writer died or was fenced out) is dropped after this. */
const STAGED_TTL_MS = 120_000;

/**
 * Every key into a fresh hash, in small HSETs, PUT_TABLE renames it into place.
 * The loop yields between commands: serializing 100,000 keys at once would hold
 * the event loop long enough for other commands' timeouts to fire.
 */
async function stageKeySet(client: Redis, staged: string, apiKeys: readonly ApiKeyRecord[], keyJson: KeyJsonCache): Promise<void> {
  const replies: Promise<unknown>[] = [client.del(staged)];
  for (let i = 0; i < apiKeys.length; i += STAGE_BATCH) {
    const fields: string[] = [];
    for (let j = i; j < Math.min(i + STAGE_BATCH, apiKeys.length); j++) fields.push(apiKeys[j]!.key_sha256, keyJson.of(apiKeys[j]!));
    replies.push(client.hset(staged, fields));
    // Right after the first batch (HSET keeps it): a writer that dies while staging leaves nothing behind for good.
    if (i === 0) replies.push(client.pexpire(staged, STAGED_TTL_MS));
    await setImmediate();
  }
  await Promise.all(replies);
}

/** Every key, staged beforehand: the script renames the staged set into place and sends no key itself. */
const allKeys = (table: RoutingTable): KeyWrite => ({ mode: 'full', ref: `${table.epoch}.${table.version}`, baseRef: '', upserts: [], removals: [] });

/**
 * The cheapest key write that gives the table's keys: none when the list is the
 * one stored last or the batch from that version changes no key, the batch's key
 * changes when it leads from that version, else every key.
 */
function planKeyWrite(stored: StoredKeys | undefined, table: RoutingTable, change: RoutingTable | undefined): KeyWrite {
  if (!stored) return allKeys(table);
  const keep: KeyWrite = { mode: 'keep', ref: stored.ref, baseRef: stored.ref, upserts: [], removals: [] };
  if (table.api_keys === stored.list) return keep;
  const delta = change?.delta;
  if (!delta || delta.base_epoch !== stored.epoch || delta.base_version !== stored.version) return allKeys(table);
  if (delta.key_upserts.length === 0 && delta.key_removals.length === 0) return keep;
  return { mode: 'patch', ref: `${table.epoch}.${table.version}`, baseRef: stored.ref, upserts: delta.key_upserts, removals: delta.key_removals };
}

/** How long after an urgent version (without a change batch: a new epoch, a resync) its legacy record is written. */
const LEGACY_URGENT_DELAY_MS = 300;

/**
 * The legacy whole-table record: written within LEGACY_URGENT_DELAY_MS for an urgent version
 * or when the interval since the last write has passed, else by a
 * timer at the end of the interval; one write at a time, always of the newest
 * stored version, and only while it is still the stored one. A failed write is
 * retried after the interval.
 */
function createLegacyWriter(client: Redis, keys: RedisKeys, logger: Logger, keyJson: KeyJsonCache, intervalMs: number) {
  let writtenAt = -Infinity;
  let latest: RoutingTable | undefined;
  let timer: NodeJS.Timeout | undefined;
  const writeLatest = async () => {
    const table = latest;
    latest = undefined;
    if (!table) return;
    writtenAt = Date.now();
    try {
      await PUT_LEGACY_TABLE.run(client, [keys.table], [table.epoch, table.version, await tableJsonBytes(table, keyJson)]);
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

/** Each key record's JSON, kept per record: the publisher hands every version the same records but the changed ones. */
export interface KeyJsonCache {
  of(key: ApiKeyRecord): string;
}

export function createKeyJsonCache(): KeyJsonCache {
  const cache = new WeakMap<ApiKeyRecord, string>();
  return {
    of(key) {
      let json = cache.get(key);
      if (json === undefined) {
        json = JSON.stringify(key);
        cache.set(key, json);
      }
      return json;
    },
  };
}

/** Keys serialized between two yields of the event loop. */
const SERIALIZE_SLICE = 5_000;

/**
 * JSON.stringify(table) as UTF-8 bytes, the legacy record, without serializing
 * 100,000 keys per write (issue 16): each key's JSON is kept per key record, so a
 * write serializes the routes and the changed keys and copies the rest, yielding
 * to the event loop every few thousand keys.
 */
export async function tableJsonBytes(table: RoutingTable, keyJson: KeyJsonCache): Promise<Buffer> {
  const rest = JSON.stringify({ ...table, api_keys: [] });
  // Inside string values quotes are escaped, so this marker can only be the field itself.
  const marker = '"api_keys":[]';
  const at = rest.indexOf(marker);
  return Buffer.concat([Buffer.from(`${rest.slice(0, at)}"api_keys":[`), await keyListBytes(table.api_keys, keyJson), Buffer.from(`]${rest.slice(at + marker.length)}`)]);
}

/** The key list's bytes per list: versions that change no key share the list, and their legacy records copy it (≈ 20 MB at 100,000 keys). */
const keyListCache = new WeakMap<readonly ApiKeyRecord[], Buffer>();

/** The records' JSON joined by commas, built once per list, a slice of keys between yields. */
async function keyListBytes(apiKeys: readonly ApiKeyRecord[], keyJson: KeyJsonCache): Promise<Buffer> {
  const cached = keyListCache.get(apiKeys);
  if (cached) return cached;
  const parts: Buffer[] = [];
  for (let i = 0; i < apiKeys.length; i += SERIALIZE_SLICE) {
    const slice = apiKeys.slice(i, i + SERIALIZE_SLICE).map((key) => keyJson.of(key));
    parts.push(Buffer.from(`${i > 0 ? ',' : ''}${slice.join(',')}`));
    await setImmediate();
  }
  const bytes = Buffer.concat(parts);
  keyListCache.set(apiKeys, bytes);
  return bytes;
}
