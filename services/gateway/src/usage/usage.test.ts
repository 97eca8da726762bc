import Redis from 'ioredis';
import { createLogger } from '@switchyard/observability';
import { usageBucketKey } from '@switchyard/redis';
import { createUsageChunkFilter } from './usage-chunk-filter';
import { createUsageRecorder } from './usage-recorder';

const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
const content = (i: number) => `data: {"id":"c","object":"chat.completion.chunk","choices":[{"index":0,"delta":{"content":"t${i}"}}]}\n\n`;
const usageEvent = 'data: {"id":"c","object":"chat.completion.chunk","choices":[],"usage":{"prompt_tokens":5,"completion_tokens":3,"total_tokens":8}}\n\n';
const done = 'data: [DONE]\n\n';

/** Runs a stream through a filter in the given chunk sizes. */
function filtered(stream: string, size: number): string {
  const filter = createUsageChunkFilter();
  const bytes = Buffer.from(stream);
  let out = '';
  for (let i = 0; i < bytes.length; i += size) out += filter.push(bytes.subarray(i, i + size)).toString();
  return out + filter.end().toString();
}

describe('usage chunk filter', () => {
  const stream = content(0) + content(1) + usageEvent + done;

  it.each([1, 7, 64, 10_000])('drops the usage-only event whatever the chunking (%i-byte chunks)', (size) => {
    expect(filtered(stream, size)).toBe(content(0) + content(1) + done);
  });

  it('removes a usage object riding on a content chunk, keeps "usage": null and other events as they are', () => {
    const riding = 'data: {"choices":[{"index":0,"delta":{"content":"x"}}],"usage":{"prompt_tokens":1,"completion_tokens":1}}\n\n';
    const nulled = 'data: {"choices":[{"index":0,"delta":{"content":"y"}}],"usage":null}\n\n';
    const comment = ': keep-alive\n\n';
    expect(filtered(riding + nulled + comment + done, 5)).toBe('data: {"choices":[{"index":0,"delta":{"content":"x"}}]}\n\n' + nulled + comment + done);
  });

  it('handles CRLF event boundaries and a stream that ends without one', () => {
    expect(filtered(content(0).replace('\n\n', '\r\n\r\n') + usageEvent.replace('\n\n', '\r\n\r\n'), 3)).toBe(content(0).replace('\n\n', '\r\n\r\n'));
    expect(filtered(content(0) + usageEvent.trimEnd(), 9)).toBe(content(0));
  });

  it('passes through, unbuffered, a body that never ends an event', () => {
    const filter = createUsageChunkFilter();
    const big = Buffer.alloc(70 * 1024, 'a');
    expect(filter.push(big).length).toBe(big.length);
  });
});

describe('usage recorder', () => {
  const prefix = `switchyard-test:usage:${process.pid}:${Date.now().toString(36)}:`;
  let redis: Redis;
  beforeAll(() => {
    redis = new Redis(REDIS_URL);
  });
  afterAll(async () => {
    const keys = await redis.keys(`${prefix}*`);
    if (keys.length > 0) await redis.del(...keys);
    redis.disconnect();
  });

  it('counts in Prometheus at once and in hourly Redis buckets on flush, with an expiry', async () => {
    const client = new Redis(REDIS_URL);
    const counted: unknown[] = [];
    const now = Date.parse('2026-03-10T12:34:56Z');
    const recorder = createUsageRecorder({ client, keyPrefix: prefix, logger: createLogger({ service: 'gateway', level: 'error' }), count: (...args) => counted.push(args), now: () => now, flushIntervalMs: 60_000 });
    recorder.start();
    recorder.record('team-a', 'm1', 5, 3);
    recorder.record('team-a', 'm1', 2, 0);
    recorder.record('team-b', 'm2', 0, 0);
    expect(counted).toEqual([['team-a', 'm1', 5, 3], ['team-a', 'm1', 2, 0], ['team-b', 'm2', 0, 0]]);
    await recorder.stop();
    const bucket = usageBucketKey(prefix, now);
    expect(bucket).toBe(`${prefix}usage:2026031012`);
    expect(await redis.hgetall(bucket)).toEqual({
      '["team-a","m1","requests"]': '2',
      '["team-a","m1","prompt_tokens"]': '7',
      '["team-a","m1","completion_tokens"]': '3',
      '["team-b","m2","requests"]': '1',
    });
    expect(await redis.ttl(bucket)).toBeGreaterThan(30 * 24 * 3600);
    client.disconnect();
  });

  it('keeps the counts of a failed flush and writes them with the next one', async () => {
    const client = new Redis(REDIS_URL);
    const now = Date.parse('2026-03-11T08:00:00Z');
    const bucket = usageBucketKey(prefix, now);
    await redis.set(bucket, 'not a hash'); // every HINCRBY on it fails with WRONGTYPE
    const recorder = createUsageRecorder({ client, keyPrefix: prefix, logger: createLogger({ service: 'gateway', level: 'error' }), count: () => undefined, now: () => now, flushIntervalMs: 60_000 });
    recorder.record('team-d', 'm1', 4, 1);
    await recorder.stop();
    expect(await redis.get(bucket)).toBe('not a hash');
    await redis.del(bucket);
    recorder.record('team-d', 'm1', 6, 0);
    await recorder.stop();
    expect(await redis.hgetall(bucket)).toEqual({
      '["team-d","m1","requests"]': '2',
      '["team-d","m1","prompt_tokens"]': '10',
      '["team-d","m1","completion_tokens"]': '1',
    });
    client.disconnect();
  });

  it('moves to the next hour bucket at the hour boundary', async () => {
    const client = new Redis(REDIS_URL);
    let now = Date.parse('2026-03-10T13:59:59.999Z');
    const recorder = createUsageRecorder({ client, keyPrefix: prefix, logger: createLogger({ service: 'gateway', level: 'error' }), count: () => undefined, now: () => now, flushIntervalMs: 60_000 });
    recorder.record('team-c', 'm1', 1, 1);
    now += 1;
    recorder.record('team-c', 'm1', 2, 2);
    await recorder.stop();
    expect(await redis.hget(`${prefix}usage:2026031013`, '["team-c","m1","prompt_tokens"]')).toBe('1');
    expect(await redis.hget(`${prefix}usage:2026031014`, '["team-c","m1","prompt_tokens"]')).toBe('2');
    client.disconnect();
  });
});
