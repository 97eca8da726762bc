import { formatDuration } from './duration-format';
import { createLocalLimiter } from './local-limiter';
import { remaining, resetMs, usedInWindow, waitMs, WINDOW_MS } from './sliding-window';

describe('sliding window', () => {
  it('weighs the previous minute by the share still inside the window', () => {
    expect(usedInWindow({ current: 10, previous: 60, elapsedMs: 15_000 })).toBe(55);
    expect(remaining(60, { current: 10, previous: 60, elapsedMs: 15_000 })).toBe(5);
    expect(remaining(60, { current: 70, previous: 0, elapsedMs: 0 })).toBe(0);
  });

  it('says how long until one more unit fits, and until the limit is fully back', () => {
    // Previous minute still decaying: 60 × (60 - 30 - d)/60 + 30 + 1 <= 60 → d = 1 s.
    expect(waitMs(60, { current: 30, previous: 60, elapsedMs: 30_000 })).toBe(1_000);
    // This minute alone is full: the next window, once 60 × (60 - e)/60 + 1 <= 60 → e = 1 s.
    expect(waitMs(60, { current: 60, previous: 0, elapsedMs: 45_000 })).toBe(15_000 + 1_000);
    expect(waitMs(60, { current: 1, previous: 0, elapsedMs: 0 })).toBe(0);
    expect(resetMs({ current: 1, previous: 5, elapsedMs: 20_000 })).toBe(40_000 + WINDOW_MS);
    expect(resetMs({ current: 0, previous: 5, elapsedMs: 20_000 })).toBe(40_000);
    expect(resetMs({ current: 0, previous: 0, elapsedMs: 20_000 })).toBe(0);
  });

  it('formats durations like OpenAI (Go durations)', () => {
    expect([0, 20, 999, 1_000, 1_500, 59_999, 60_000, 360_000, 61_250, 3_723_000].map(formatDuration)).toEqual(['0ms', '20ms', '999ms', '1s', '1.5s', '59.999s', '1m0s', '6m0s', '1m1.25s', '1h2m3s']);
  });
});

describe('local limiter', () => {
  it('admits rpm requests per sliding minute, carrying the previous minute over', async () => {
    let now = 10 * WINDOW_MS + 59_000;
    const limiter = createLocalLimiter(() => now);
    const subject = { id: 'k', rpm: 10, tpm: 0, maxConcurrency: 0 };
    const verdicts = [];
    for (let i = 0; i < 12; i++) verdicts.push((await limiter.acquire(subject)).verdict);
    expect(verdicts.filter((v) => v === 'ok')).toHaveLength(10);
    now += 2_000; // 1 s into the next minute: 10 × 59/60 ≈ 9.83 used, no room
    expect((await limiter.acquire(subject)).verdict).toBe('rpm');
    now += 6_000; // 7 s in: 10 × 53/60 ≈ 8.83 used
    expect((await limiter.acquire(subject)).verdict).toBe('ok');
  });

  it('refuses tokens once the minute is used up and frees concurrency slots on release', async () => {
    const limiter = createLocalLimiter(() => 5 * WINDOW_MS);
    const subject = { id: 'k', rpm: 0, tpm: 100, maxConcurrency: 2 };
    const first = await limiter.acquire(subject);
    const second = await limiter.acquire(subject);
    expect([first.verdict, second.verdict, (await limiter.acquire(subject)).verdict]).toEqual(['ok', 'ok', 'concurrency']);
    await limiter.release(subject, first, 100);
    const third = await limiter.acquire(subject);
    expect(third.verdict).toBe('tpm');
    expect(third.tokens.current).toBe(100);
    await limiter.release(subject, second, 0);
  });
});
