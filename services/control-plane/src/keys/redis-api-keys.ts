import type Redis from 'ioredis';
import { luaScript } from '@switchyard/redis';
import type { RedisKeys } from '../redis/redis-keys';
import { encodeEvent } from '../state/state-event';
import type { StateStore } from '../state/state-store';
import type { StoredApiKey } from './api-key-record';
import { sortedByHash } from './memory-api-keys';

type ApiKeyMethods = Pick<StateStore, 'listApiKeys' | 'getApiKeys' | 'putApiKey' | 'removeApiKey' | 'replaceFileKeys'>;

/** KEYS: admin hash. ARGV: hash, json, channel, message. */
const PUT_ADMIN_KEY = luaScript(`
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
redis.call('PUBLISH', ARGV[3], ARGV[4])
return 1
`);

/** KEYS: admin hash. ARGV: hash, channel, message. */
const REMOVE_ADMIN_KEY = luaScript(`
if redis.call('HDEL', KEYS[1], ARGV[1]) == 0 then return 0 end
redis.call('PUBLISH', ARGV[2], ARGV[3])
return 1
`);

/** Compare-and-set of the whole file key set, so identical reloads on every replica publish nothing. KEYS: file string. ARGV: json, channel, message. */
const REPLACE_FILE_KEYS = luaScript(`
if redis.call('GET', KEYS[1]) == ARGV[1] then return 0 end
redis.call('SET', KEYS[1], ARGV[1])
redis.call('PUBLISH', ARGV[2], ARGV[3])
return 1
`);

/**
 * API keys in Redis (issue 6): the file's keys as one JSON string (written whole
 * by whichever replica loaded the file), admin-created keys in a hash by key
 * hash. Every write announces a 'keys' event on the state channel, atomically,
 * so the leader rebuilds the routing table whichever replica took the write.
 */
export function createRedisApiKeys(client: Redis, keys: RedisKeys): ApiKeyMethods {
  const message = encodeEvent({ kind: 'keys' });
  return {
    async listApiKeys() {
      const [file, admin] = await Promise.all([client.get(keys.apiKeysFile), client.hgetall(keys.apiKeysAdmin)]);
      const fileKeys = file === null ? [] : (JSON.parse(file) as StoredApiKey[]);
      const adminKeys = Object.values(admin).map((json) => JSON.parse(json) as StoredApiKey);
      return [...fileKeys, ...sortedByHash(adminKeys)];
    },
    async getApiKeys(hashes) {
      if (hashes.length === 0) return [];
      const wanted = new Set(hashes);
      const [file, admin] = await Promise.all([client.get(keys.apiKeysFile), client.hmget(keys.apiKeysAdmin, ...hashes)]);
      const fileKeys = file === null ? [] : (JSON.parse(file) as StoredApiKey[]).filter((k) => wanted.has(k.key_sha256));
      const adminKeys = admin.flatMap((json) => (json === null ? [] : [JSON.parse(json) as StoredApiKey]));
      return [...fileKeys, ...sortedByHash(adminKeys)];
    },
    async putApiKey(key) {
      const named = encodeEvent({ kind: 'keys', hashes: [key.key_sha256] });
      await PUT_ADMIN_KEY.run(client, [keys.apiKeysAdmin], [key.key_sha256, JSON.stringify({ ...key, source: 'admin' }), keys.events, named]);
    },
    async removeApiKey(keySha256) {
      const named = encodeEvent({ kind: 'keys', hashes: [keySha256] });
      return (await REMOVE_ADMIN_KEY.run(client, [keys.apiKeysAdmin], [keySha256, keys.events, named])) === 1;
    },
    async replaceFileKeys(fileKeys) {
      const json = JSON.stringify(sortedByHash(fileKeys.map((key) => ({ ...key, source: 'file' as const }))));
      return (await REPLACE_FILE_KEYS.run(client, [keys.apiKeysFile], [json, keys.events, message])) === 1;
    },
  };
}
