import { decideRetry, parseRetryAfterMs, type RetryInput } from './retry-decision';

const base: RetryInput = {
  failure: { kind: 'connect' },
  attempts: 1,
  maxAttempts: 3,
  pinned: false,
  untried: 2,
  backoffMs: 20,
  retryAfterMaxMs: 1_000,
  remainingMs: Number.POSITIVE_INFINITY,
  takeBudget: () => true,
};

const decide = (over: Partial<RetryInput>) => decideRetry({ ...base, ...over });

describe('retry decision table', () => {
  it.each([
    ['connect error', { failure: { kind: 'connect' } }, { retry: true, delayMs: 20, reason: 'connect' }],
    ['reset before headers', { failure: { kind: 'reset' } }, { retry: true, delayMs: 20, reason: 'reset' }],
    ['timeout before headers', { failure: { kind: 'timeout' } }, { retry: true, delayMs: 20, reason: 'timeout' }],
    ['502', { failure: { kind: 'status', status: 502 } }, { retry: true, delayMs: 20, reason: 'status_5xx' }],
    ['503 with a short retry-after', { failure: { kind: 'status', status: 503, retryAfterMs: 500 } }, { retry: true, delayMs: 500, reason: 'status_5xx' }],
    ['429 with retry-after at the cap', { failure: { kind: 'status', status: 429, retryAfterMs: 1_000 } }, { retry: true, delayMs: 1_000, reason: 'status_429' }],
    ['429 with retry-after over the cap: moves on', { failure: { kind: 'status', status: 429, retryAfterMs: 30_000 } }, { retry: true, delayMs: 20, reason: 'status_429' }],
    ['retry-after shorter than the backoff', { failure: { kind: 'status', status: 429, retryAfterMs: 5 } }, { retry: true, delayMs: 20, reason: 'status_429' }],
    ['pinned request', { pinned: true }, { retry: false, why: 'pinned' }],
    ['attempts used up', { attempts: 3 }, { retry: false, why: 'attempts' }],
    ['no other scheduler', { untried: 0 }, { retry: false, why: 'no_scheduler_left' }],
    ['total deadline before the backoff ends', { remainingMs: 10 }, { retry: false, why: 'deadline' }],
    ['budget spent', { takeBudget: () => false }, { retry: false, why: 'budget' }],
  ] as Array<[string, Partial<RetryInput>, object]>)('%s', (_name, over, expected) => {
    expect(decide(over)).toEqual(expected);
  });

  it('spends the budget only when every other rule allows the retry', () => {
    const takeBudget = jest.fn(() => true);
    decide({ takeBudget, pinned: true });
    decide({ takeBudget, attempts: 3 });
    decide({ takeBudget, untried: 0 });
    decide({ takeBudget, remainingMs: 0 });
    expect(takeBudget).not.toHaveBeenCalled();
    decide({ takeBudget });
    expect(takeBudget).toHaveBeenCalledTimes(1);
  });
});

describe('parseRetryAfterMs', () => {
  const now = Date.parse('2026-01-01T00:00:00Z');
  it.each([
    [undefined, undefined],
    ['', undefined],
    ['2', 2_000],
    [' 0 ', 0],
    [['3', '9'], 3_000],
    ['Thu, 01 Jan 2026 00:00:05 GMT', 5_000],
    ['Wed, 31 Dec 2025 23:59:00 GMT', 0],
    ['soon', undefined],
  ] as Array<[string | string[] | undefined, number | undefined]>)('%p → %p', (value, expected) => {
    expect(parseRetryAfterMs(value, now)).toBe(expected);
  });
});
