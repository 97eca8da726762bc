/**
 * Issue 6 acceptance 3 over real processes: with their Redis gone, gateways keep
 * serving under per-gateway limits (metric switchyard_gateway_rate_limit_fallback_active),
 * no 5xx comes from the limiter, and shared limits resume when Redis is back.
 */
import { startRedisServer, waitFor, type RedisServer } from '@switchyard/testing';
import { chat, inParallel, startKeysStack, type KeysStack } from './keys-stack';

jest.setTimeout(120_000);

const KEYS = { limited: 'sk-e2e-outage-limited-01234', open: 'sk-e2e-outage-open-0123456' };

let redis: RedisServer;
let stack: KeysStack;

const fallbackGauge = async (url: string) => /^switchyard_gateway_rate_limit_fallback_active\{[^}]*\} (\d)/m.exec(await (await fetch(`${url}/metrics`)).text())?.[1];

beforeAll(async () => {
  redis = await startRedisServer();
  stack = await startKeysStack(
    [
      { key: KEYS.limited, user: 'limited', rpm: 20, max_concurrency: 8 },
      { key: KEYS.open, user: 'open' },
    ],
    { sims: ['sim-1'], gateways: 2, gatewayEnv: { REDIS_URL: redis.url, REDIS_KEY_PREFIX: 'e2e-outage:' } },
  );
  for (const url of stack.gatewayUrls) await waitFor(async () => (await chat(url, KEYS.open)).status === 200, 10_000, 50, `${url} serving with keys`);
});

afterAll(async () => {
  await stack?.stop();
  await redis?.stop();
});

it('acceptance 3: Redis stopped → requests served under local limits, no 5xx from the limiter, shared again once it is back', async () => {
  const [gw0, gw1] = stack.gatewayUrls as [string, string];
  expect((await chat(gw0, KEYS.limited)).status).toBe(200);
  expect(await fallbackGauge(gw0)).toBe('0');
  expect(await redis.command('KEYS', 'e2e-outage:ratelimit:*')).not.toBe('');

  await redis.kill();
  const started = Date.now();
  const during = await inParallel(30, 6, async () => {
    const res = await chat(gw0, KEYS.limited);
    await res.text();
    return res.status;
  });
  const elapsedMs = Date.now() - started;
  // Local counters start from zero: the full limit of 20 on this gateway, the rest 429.
  expect(during.filter((s) => s === 200)).toHaveLength(20);
  expect(during.filter((s) => s === 429)).toHaveLength(10);
  expect(elapsedMs).toBeLessThan(10_000);
  expect(await fallbackGauge(gw0)).toBe('1');
  // Unlimited keys never touch the limiter; the other gateway counts on its own.
  const others = await Promise.all([chat(gw0, KEYS.open), chat(gw1, KEYS.open), chat(gw1, KEYS.limited)]);
  expect(others.map((r) => r.status)).toEqual([200, 200, 200]);

  await redis.restart();
  await waitFor(async () => (await chat(gw1, KEYS.limited)).status === 200 && (await fallbackGauge(gw1)) === '0', 10_000, 200, 'gw1 back on Redis');
  await waitFor(async () => {
    await (await chat(gw0, KEYS.open)).text();
    const res = await chat(gw0, KEYS.limited);
    await res.text();
    return (await fallbackGauge(gw0)) === '0';
  }, 10_000, 200, 'gw0 back on Redis');
  expect(await redis.command('KEYS', 'e2e-outage:ratelimit:*')).not.toBe('');
});
