import Redis from 'ioredis';
import { startHarness, type Harness } from '../test-support/control-plane-harness';
import { deleteKeys, TEST_REDIS_URL, uniquePrefix } from '../test-support/redis-fixture';
import { USAGE_BUCKET_MS as HOUR_MS, usageBucketKey, usageField as field } from '@switchyard/redis';
import { parseSince } from './usage-routes';

const prefix = uniquePrefix('usage');
const NOW = Date.parse('2026-03-10T12:30:00Z');

describe('GET /admin/usage', () => {
  let h: Harness;
  let redis: Redis;

  beforeAll(async () => {
    redis = new Redis(TEST_REDIS_URL);
    await redis.hset(usageBucketKey(prefix, NOW), field('team-a', 'm1', 'requests'), 3, field('team-a', 'm1', 'prompt_tokens'), 30, field('team-a', 'm1', 'completion_tokens'), 12, field('team-b', 'm2', 'requests'), 1, 'garbage', 5);
    await redis.hset(usageBucketKey(prefix, NOW - HOUR_MS), field('team-a', 'm1', 'requests'), 2, field('team-a', 'm1', 'completion_tokens'), 8);
    await redis.hset(usageBucketKey(prefix, NOW - 48 * HOUR_MS), field('team-a', 'm1', 'requests'), 100);
    h = await startHarness({ REDIS_URL: TEST_REDIS_URL, REDIS_KEY_PREFIX: prefix }, { now: () => NOW });
  });
  afterAll(async () => {
    await h.stop();
    redis.disconnect();
    await deleteKeys(prefix);
  });

  it('sums requests and tokens per user and model over the hourly buckets since `since`', async () => {
    const all = await h.call('GET', '/admin/usage');
    expect(all.status).toBe(200);
    expect(all.body).toEqual({
      since: '2026-03-09T12:00:00.000Z',
      until: '2026-03-10T12:30:00.000Z',
      usage: [
        { user: 'team-a', model: 'm1', requests: 5, prompt_tokens: 30, completion_tokens: 20, total_tokens: 50 },
        { user: 'team-b', model: 'm2', requests: 1, prompt_tokens: 0, completion_tokens: 0, total_tokens: 0 },
      ],
    });
    expect((await h.call('GET', '/admin/usage?user=team-a&since=30m')).body.usage).toEqual([{ user: 'team-a', model: 'm1', requests: 3, prompt_tokens: 30, completion_tokens: 12, total_tokens: 42 }]);
    expect((await h.call('GET', '/admin/usage?model=m1&since=3d')).body.usage).toEqual([expect.objectContaining({ requests: 105 })]);
    expect((await h.call('GET', '/admin/usage?model=none')).body.usage).toEqual([]);
    expect((await h.call('GET', '/admin/usage?since=yesterday')).body.error?.code).toBe('invalid_since');
  });

  it('reads since as ISO 8601, unix seconds or relative, within the 35 days kept', () => {
    expect(parseSince('2026-03-10T00:00:00Z', NOW)).toBe(Date.parse('2026-03-10T00:00:00Z'));
    expect(parseSince(String(NOW / 1000 - 60), NOW)).toBe(NOW - 60_000);
    expect(parseSince('7d', NOW)).toBe(NOW - 7 * 24 * HOUR_MS);
    expect(() => parseSince('40d', NOW)).toThrow(/35 days/);
    expect(parseSince('2030-01-01', NOW)).toBe(NOW);
  });
});
