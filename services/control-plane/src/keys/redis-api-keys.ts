import { createHash } from 'node:crypto';
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

/**
 * Compare-and-set of the whole file key set, so identical reloads on every replica
 * publish nothing; the set's digest is written with it. A set stored under another
 * digest was written by a previous release (which knows no digest): the digest is
 * mended and announced, or replicas would keep serving the set their digest names.
 * KEYS: file string, digest string. ARGV: json, channel, message, digest.
 */
const REPLACE_FILE_KEYS = luaScript(`
if redis.call('GET', KEYS[1]) == ARGV[1] and redis.call('GET', KEYS[2]) == ARGV[4] then return 0 end
redis.call('SET', KEYS[1], ARGV[1])
redis.call('SET', KEYS[2], ARGV[4])
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
  const fileKeys = createFileKeysCache(client, keys);
  return {
    async listApiKeys() {
      const [file, admin] = await Promise.all([fileKeys.read(), client.hgetall(keys.apiKeysAdmin)]);
      const adminKeys = Object.values(admin).map((json) => JSON.parse(json) as StoredApiKey);
      return [...file.list.map(copyKey), ...sortedByHash(adminKeys)];
    },
    async getApiKeys(hashes) {
      if (hashes.length === 0) return [];
      const [file, admin] = await Promise.all([fileKeys.read(), client.hmget(keys.apiKeysAdmin, ...hashes)]);
      const fromFile = sortedByHash(hashes.flatMap((hash) => file.byHash.get(hash) ?? [])).map(copyKey);
      const adminKeys = admin.flatMap((json) => (json === null ? [] : [JSON.parse(json) as StoredApiKey]));
      return [...fromFile, ...sortedByHash(adminKeys)];
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
      const digest = createHash('sha256').update(json).digest('hex');
      return (await REPLACE_FILE_KEYS.run(client, [keys.apiKeysFile, keys.apiKeysFileDigest], [json, keys.events, message, digest])) === 1;
    },
  };
}

interface FileKeys {
  list: StoredApiKey[];
  byHash: Map<string, StoredApiKey>;
}

/**
 * The file's key set, parsed once per version (issue 16: 100,000 keys are 20 MB
 * of JSON, and a key change must not parse them again): the digest stored with
 * the set says whether the parsed copy is current. A hit is one small GET; a miss
 * reads the set and its digest in one MGET (atomic, so the pair matches). A set
 * written by an older release has no digest and is read every time.
 */
function createFileKeysCache(client: Redis, keys: RedisKeys): { read(): Promise<FileKeys> } {
  let cached: { digest: string; keys: FileKeys } | undefined;
  const parse = (json: string | null): FileKeys => {
    const list = json === null ? [] : (JSON.parse(json) as StoredApiKey[]);
    return { list, byHash: new Map(list.map((key) => [key.key_sha256, key])) };
  };
  return {
    async read() {
      const current = await client.get(keys.apiKeysFileDigest);
      if (current !== null && cached?.digest === current) return cached.keys;
      const [digest, json] = await client.mget(keys.apiKeysFileDigest, keys.apiKeysFile);
      const parsed = parse(json ?? null);
      if (digest) cached = { digest, keys: parsed };
      return parsed;
    },
  };
}

/** A copy callers may change (the only nested value is the model list): cheaper than structuredClone for 100,000 keys. */
function copyKey(key: StoredApiKey): StoredApiKey {
  return { ...key, allowed_models: [...key.allowed_models] };
}
