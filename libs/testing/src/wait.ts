/**
 * How many times longer than asked `waitFor` waits before it gives up. A deadline
 * here only tells a hang from a slow machine: CI runs the suite on two loaded cores,
 * where a condition a test expects in 1 s sometimes takes 2. A test that claims a
 * time bound measures it with its own clock and asserts that. TEST_WAIT_SLACK=1
 * gives the bare deadlines back.
 */
const WAIT_SLACK = Math.max(1, Number(process.env.TEST_WAIT_SLACK ?? 3) || 1);

/** Polls `check` until it returns a truthy value or `timeoutMs` (times the slack) passes. */
export async function waitFor<T>(check: () => T | Promise<T>, timeoutMs = 5_000, intervalMs = 20, what = 'condition'): Promise<NonNullable<T>> {
  // Capped so a failing wait still ends with its own message inside jest's 30 s test timeout.
  const waitMs = Math.max(timeoutMs, Math.min(timeoutMs * WAIT_SLACK, 20_000));
  const deadline = Date.now() + waitMs;
  let lastError: unknown;
  while (Date.now() < deadline) {
    try {
      const value = await check();
      if (value) return value as NonNullable<T>;
    } catch (err) {
      lastError = err;
    }
    await sleep(intervalMs);
  }
  throw new Error(`timed out after ${waitMs} ms waiting for ${what}${lastError ? `: ${String(lastError)}` : ''}`);
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
