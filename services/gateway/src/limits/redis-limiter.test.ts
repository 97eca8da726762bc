import Redis from 'ioredis';
import { createLogger } from '@switchyard/observability';
import { freePort, sleep, startRedisServer, waitFor } from '@switchyard/testing';
import { createFallbackLimiter } from './fallback-limiter';
import type { Admission, LimitSubject } from './limiter';
import { createLimitsRedisClient } from './limits-redis';
import { createLocalLimiter } from './local-limiter';
import { createRedisLimiter } from './redis-limiter';

// The limiter scripts against a real Redis (issue 6): a unique key prefix per
// run, every key deleted afterwards.
const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
const prefix = `switchyard-test:limits:${process.pid}:${Date.now().toString(36)}:`;
let subjectCount = 0;
const subject = (fields: Partial<LimitSubject>): LimitSubject => ({ id: `key${(subjectCount += 1)}`, rpm: 0, tpm: 0, maxConcurrency: 0, ...fields });
const silent = createLogger({ service: 'gateway', level: 'error' });

describe('Redis limiter scripts', () => {
  let client: Redis;
  let admin: Redis;
  beforeAll(async () => {
    client = createLimitsRedisClient(REDIS_URL, 'test');
    await client.connect();
    admin = new Redis(REDIS_URL);
  });
  afterAll(async () => {
    const keys = await admin.keys(`${prefix}*`);
    if (keys.length > 0) await admin.del(...keys);
    admin.disconnect();
    client.disconnect();
  });

  it('admits exactly rpm requests in a minute across limiter instances (two gateways), atomically', async () => {
    const s = subject({ rpm: 50 });
    const a = createRedisLimiter({ client, keyPrefix: prefix, gatewayId: 'gw-a', timeoutMs: 500 });
    const other = createLimitsRedisClient(REDIS_URL, 'test-b');
    await other.connect();
    const b = createRedisLimiter({ client: other, keyPrefix: prefix, gatewayId: 'gw-b', timeoutMs: 500 });
    const results = await Promise.all(Array.from({ length: 120 }, (_, i) => (i % 2 === 0 ? a : b).acquire(s)));
    other.disconnect();
    expect(results.filter((r) => r.verdict === 'ok')).toHaveLength(50);
    expect(results.filter((r) => r.verdict === 'rpm')).toHaveLength(70);
    const refused = results.find((r) => r.verdict === 'rpm')!;
    expect(refused).toMatchObject({ mode: 'redis', requests: { current: 50 } });
    // How far into its minute window the limiter was: this machine's clock a moment ago, so now − elapsed is (nearly) a minute boundary.
    const offBoundaryMs = (Date.now() - refused.requests.elapsedMs) % 60_000;
    expect(Math.min(offBoundaryMs, 60_000 - offBoundaryMs)).toBeLessThan(2_000);
  });

  it('counts tokens after the fact and refuses once the minute is used up', async () => {
    const s = subject({ tpm: 100 });
    const limiter = createRedisLimiter({ client, keyPrefix: prefix, gatewayId: 'gw', timeoutMs: 500 });
    const first = await limiter.acquire(s);
    expect(first.verdict).toBe('ok');
    await limiter.release(s, first, 60);
    const second = await limiter.acquire(s);
    expect([second.verdict, second.tokens.current]).toEqual(['ok', 60]);
    await limiter.release(s, second, 45);
    const third = await limiter.acquire(s);
    expect([third.verdict, third.tokens.current]).toEqual(['tpm', 105]);
  });

  it('holds max_concurrency slots until released, and a crashed holder\'s slot runs out with its lease', async () => {
    const s = subject({ maxConcurrency: 2, rpm: 1000 });
    const limiter = createRedisLimiter({ client, keyPrefix: prefix, gatewayId: 'gw', slotLeaseMs: 300, timeoutMs: 500 });
    const held = [await limiter.acquire(s), await limiter.acquire(s)];
    expect(held.map((h) => h.slot)).toEqual([expect.stringMatching(/^gw:\d+$/), expect.stringMatching(/^gw:\d+$/)]);
    const refused = await limiter.acquire(s);
    expect(refused.verdict).toBe('concurrency');
    // A refusal does not count against rpm.
    expect(refused.requests.current).toBe(2);
    await limiter.release(s, held[0]!, 0);
    expect((await limiter.acquire(s)).verdict).toBe('ok');
    // Never released (the gateway "crashed"): free again once the lease ran out.
    await sleep(350);
    expect((await limiter.acquire(s)).verdict).toBe('ok');
    expect((await limiter.acquire(s)).verdict).toBe('ok');
    expect((await limiter.acquire(s)).verdict).toBe('concurrency');
  });

  it('does not take its own event-loop lag for a slow Redis (the answer waiting in the socket wins)', async () => {
    const s = subject({ rpm: 10 });
    await createRedisLimiter({ client, keyPrefix: prefix, gatewayId: 'gw', timeoutMs: 500 }).acquire(s); // script cached: one round trip below
    const limiter = createRedisLimiter({ client, keyPrefix: prefix, gatewayId: 'gw', timeoutMs: 20 });
    const written = client.stream.bytesWritten;
    const pending = limiter.acquire(s);
    // A busy gateway once the command has left (the turn batch and auto-pipelining
    // send it a turn or two later): nothing runs for 200 ms, 10× the deadline, while
    // Redis answers into the socket. Blocking before the send would prove nothing.
    await blockOnceSent(client, written, 200);
    expect((await pending).verdict).toBe('ok');
  });

  it('decides the requests of one turn in one script call as if they had come one by one', async () => {
    const s = subject({ rpm: 5, maxConcurrency: 3 });
    const limiter = createRedisLimiter({ client, keyPrefix: prefix, gatewayId: 'gw', timeoutMs: 500 });
    const calls = countScriptCalls(client);
    const burst = await Promise.all(Array.from({ length: 4 }, () => limiter.acquire(s)));
    expect(calls.stop()).toBe(1);
    expect(burst.map((a) => [a.verdict, a.requests.current])).toEqual([['ok', 1], ['ok', 2], ['ok', 3], ['concurrency', 3]]);
    const slots = burst.filter((a) => a.slot !== undefined);
    expect(new Set(slots.map((a) => a.slot)).size).toBe(3);
    // Releases of one turn are one call too: every slot comes back and the tokens add up.
    const releases = countScriptCalls(client);
    await Promise.all(slots.map((a) => limiter.release(s, a, 10)));
    expect(releases.stop()).toBe(1);
    const next = await Promise.all(Array.from({ length: 3 }, () => limiter.acquire(s)));
    expect(next.map((a) => [a.verdict, a.requests.current])).toEqual([['ok', 4], ['ok', 5], ['rpm', 5]]);
    expect(await admin.zcard(`${prefix}ratelimit:{${s.id}}:slots`)).toBe(2);
    const tokens = await admin.hvals(`${prefix}ratelimit:{${s.id}}:tokens`);
    expect(tokens.map(Number).reduce((a, b) => a + b, 0)).toBe(30);
  });

  it('keeps different keys apart in one turn', async () => {
    const [a, b] = [subject({ rpm: 1 }), subject({ rpm: 2 })];
    const limiter = createRedisLimiter({ client, keyPrefix: prefix, gatewayId: 'gw', timeoutMs: 500 });
    const verdicts = await Promise.all([a, b, a, b, b].map((s) => limiter.acquire(s)));
    expect(verdicts.map((v) => v.verdict)).toEqual(['ok', 'ok', 'rpm', 'ok', 'rpm']);
  });

  it('agrees with the local limiter on the same sequence', async () => {
    const s = subject({ rpm: 5, tpm: 50, maxConcurrency: 3 });
    const redis = createRedisLimiter({ client, keyPrefix: prefix, gatewayId: 'gw', timeoutMs: 500 });
    const local = createLocalLimiter();
    const run = async (limiter: typeof local) => {
      const verdicts: string[] = [];
      const open: Admission[] = [];
      for (let i = 0; i < 8; i++) {
        const admission = await limiter.acquire(s);
        verdicts.push(admission.verdict);
        if (admission.verdict === 'ok') open.push(admission);
        if (open.length === 3) await limiter.release(s, open.shift()!, 20);
      }
      return verdicts;
    };
    expect(await run(redis)).toEqual(await run(local));
  });
});

/** Counts the EVALSHA/EVAL commands `client` sends until stop(). */
function countScriptCalls(client: Redis): { stop(): number } {
  let count = 0;
  const send = client.sendCommand;
  client.sendCommand = function (this: Redis, command: { name: string }, ...rest: unknown[]) {
    if (/^eval(sha)?$/i.test(command.name)) count += 1;
    return (send as (...args: unknown[]) => unknown).call(this, command, ...rest);
  } as typeof client.sendCommand;
  return {
    stop() {
      client.sendCommand = send;
      return count;
    },
  };
}

describe('fallback limiter', () => {
  it('uses local limits while Redis does not answer, and reports it once', async () => {
    const port = await freePort();
    const client = createLimitsRedisClient(`redis://127.0.0.1:${port}`, 'test');
    await client.connect().catch(() => undefined);
    const fallbacks: boolean[] = [];
    const limiter = createFallbackLimiter({
      shared: createRedisLimiter({ client, keyPrefix: prefix, gatewayId: 'gw', timeoutMs: 50 }),
      sharedReady: () => client.status === 'ready',
      local: createLocalLimiter(),
      logger: silent,
      onFallback: (active) => fallbacks.push(active),
    });
    const s = subject({ rpm: 3 });
    const started = performance.now();
    const verdicts = [];
    for (let i = 0; i < 5; i++) verdicts.push(await limiter.acquire(s));
    expect(performance.now() - started).toBeLessThan(500);
    expect(verdicts.map((v) => [v.verdict, v.mode])).toEqual([['ok', 'local'], ['ok', 'local'], ['ok', 'local'], ['rpm', 'local'], ['rpm', 'local']]);
    expect(fallbacks).toEqual([true]);
    await limiter.release(s, verdicts[0]!, 10);
    client.disconnect();
  });

  it('hands back a slot that Redis granted after the caller had given up on it', async () => {
    const server = await startRedisServer();
    const client = createLimitsRedisClient(server.url, 'test');
    const watcher = new Redis(server.url);
    try {
      await client.connect();
      const s = subject({ maxConcurrency: 5, rpm: 100 });
      const limiter = createRedisLimiter({ client, keyPrefix: prefix, gatewayId: 'gw', timeoutMs: 100 });
      server.pause();
      await expect(limiter.acquire(s)).rejects.toThrow(/no answer from Redis/);
      server.resume();
      const base = `${prefix}ratelimit:{${s.id}}`;
      // Redis runs the queued acquire once it wakes up (the request counter shows it); the late slot is released right after.
      await waitFor(async () => (await watcher.hlen(`${base}:requests`)) === 1, 3_000, 20, 'late acquire ran');
      await waitFor(async () => (await watcher.zcard(`${base}:slots`)) === 0, 3_000, 20, 'late slot released');
    } finally {
      server.resume();
      watcher.disconnect();
      client.disconnect();
      await server.stop();
    }
  });

  it('gives up on a hung Redis after its timeout, answers from local counters, and goes back to Redis', async () => {
    const server = await startRedisServer();
    const client = createLimitsRedisClient(server.url, 'test');
    try {
      await client.connect();
      const fallbacks: boolean[] = [];
      const TIMEOUT_MS = 300;
      const limiter = createFallbackLimiter({ shared: createRedisLimiter({ client, keyPrefix: prefix, gatewayId: 'gw', timeoutMs: TIMEOUT_MS }), sharedReady: () => client.status === 'ready', local: createLocalLimiter(), logger: silent, onFallback: (active) => fallbacks.push(active) });
      const s = subject({ rpm: 10 });
      expect((await limiter.acquire(s)).mode).toBe('redis');
      server.pause();
      const timed = async () => {
        const started = performance.now();
        const verdict = await limiter.acquire(s);
        return { verdict, ms: performance.now() - started };
      };
      const during = [await timed(), await timed()];
      // The first waits out the timeout; the next one does not ask the hung Redis again.
      expect(during[0]!.ms).toBeGreaterThanOrEqual(TIMEOUT_MS - 10);
      expect(during[0]!.ms).toBeLessThan(TIMEOUT_MS + 700);
      expect(during[1]!.ms).toBeLessThan(TIMEOUT_MS / 2);
      expect(during.map((d) => [d.verdict.verdict, d.verdict.mode])).toEqual([['ok', 'local'], ['ok', 'local']]);
      server.resume();
      await sleep(1_100);
      expect((await limiter.acquire(s)).mode).toBe('redis');
      expect(fallbacks).toEqual([true, false]);
    } finally {
      server.resume();
      client.disconnect();
      await server.stop();
    }
  });
});

/** Resolves after blocking the event loop for `ms`, starting in the first check phase after `client` wrote past `writtenBefore` bytes. */
function blockOnceSent(client: Redis, writtenBefore: number, ms: number): Promise<void> {
  return new Promise((resolve) => {
    const check = () => {
      if (client.stream.bytesWritten === writtenBefore) return void setImmediate(check);
      const until = performance.now() + ms;
      while (performance.now() < until);
      resolve();
    };
    setImmediate(check);
  });
}
