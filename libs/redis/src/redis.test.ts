import { createHash } from 'node:crypto';
import type Redis from 'ioredis';
import { freePort } from '@switchyard/testing';
import { luaScript } from './lua-script';
import { createRedisClient } from './redis-client';

/** The shared Redis tests use (a real one, never a mock); override with TEST_REDIS_URL. */
const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
const PREFIX = `switchyard-test:libs-redis:${process.pid}:${Date.now().toString(36)}:`;

describe('libs/redis on a real Redis', () => {
  let client: Redis;

  beforeAll(async () => {
    client = createRedisClient(REDIS_URL, { connectionName: 'switchyard libs redis test' });
    await client.connect();
  });

  afterAll(async () => {
    const keys = await client.keys(`${PREFIX}*`);
    if (keys.length > 0) await client.del(...keys);
    client.disconnect();
  });

  it('names the connection without whitespace', async () => {
    expect(await client.client('GETNAME')).toBe('switchyard_libs_redis_test');
  });

  it('runs a script Redis has never seen (NOSCRIPT → EVAL), then by its SHA', async () => {
    // A source unique to this run, so Redis cannot have it cached yet.
    const source = `-- ${PREFIX}\nreturn redis.call('INCRBY', KEYS[1], ARGV[1])`;
    const sha = createHash('sha1').update(source).digest('hex');
    const script = luaScript(source);
    expect(await client.script('EXISTS', sha)).toEqual([0]);
    expect(await script.run(client, [`${PREFIX}counter`], [2])).toBe(2);
    expect(await client.script('EXISTS', sha)).toEqual([1]);
    expect(await script.run(client, [`${PREFIX}counter`], ['3'])).toBe(5);
  });

  it('passes script errors other than NOSCRIPT through', async () => {
    const script = luaScript(`-- ${PREFIX}\nreturn redis.error_reply('ERR refused by test')`);
    await expect(script.run(client, [], [])).rejects.toThrow('refused by test');
  });

  it('fails fast while Redis is unreachable: no queue, no hang', async () => {
    const down = createRedisClient(`redis://127.0.0.1:${await freePort()}`, { maxRetriesPerRequest: 0 });
    try {
      await expect(down.connect()).rejects.toThrow();
      const started = Date.now();
      await expect(down.get(`${PREFIX}x`)).rejects.toThrow();
      expect(Date.now() - started).toBeLessThan(500);
      expect(down.options.maxRetriesPerRequest).toBe(0);
      expect(down.options.enableOfflineQueue).toBe(false);
    } finally {
      down.disconnect();
    }
  });
});
