import Redis from 'ioredis';
import { luaScript } from '@switchyard/redis';
import { createScriptBatch } from './release-batch';

// The per-turn batch of script calls against a real Redis (never a mock).
const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
const prefix = `switchyard-test:release-batch:${process.pid}:${Date.now().toString(36)}:`;
const INCR = luaScript(`return redis.call('INCRBY', KEYS[1], ARGV[1])`);

describe('createScriptBatch', () => {
  let client: Redis;
  let commands: string[];
  beforeAll(() => {
    client = new Redis(REDIS_URL);
    commands = [];
    const send = client.sendCommand.bind(client);
    client.sendCommand = ((command: { name: string }, stream?: unknown) => {
      commands.push(command.name);
      return send(command as never, stream as never);
    }) as typeof client.sendCommand;
  });
  afterAll(async () => {
    const keys = await client.keys(`${prefix}*`);
    if (keys.length > 0) await client.del(...keys);
    client.disconnect();
  });

  it('sends the calls of one turn in one pipeline and resolves each', async () => {
    const batch = createScriptBatch(client, INCR);
    await client.script('FLUSH'); // the first flush meets NOSCRIPT and retries with EVAL
    await Promise.all([1, 2, 3].map((n) => batch.run([`${prefix}a`], [n])));
    expect(await client.get(`${prefix}a`)).toBe('6');
    commands.length = 0;
    await Promise.all([batch.run([`${prefix}a`], [10]), batch.run([`${prefix}b`], [1])]);
    expect(await client.get(`${prefix}a`)).toBe('16');
    expect(await client.get(`${prefix}b`)).toBe('1');
    expect(commands.filter((c) => c === 'evalsha')).toHaveLength(2);
  });

  it('flush() sends what is queued at once', async () => {
    const batch = createScriptBatch(client, INCR);
    const pending = batch.run([`${prefix}c`], [5]);
    await batch.flush();
    await pending;
    expect(await client.get(`${prefix}c`)).toBe('5');
  });
});
