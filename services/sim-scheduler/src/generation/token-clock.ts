/**
 * When tokens appear: the first after `ttftMs`, then one every `itlMs`. With
 * `itlMs` 0 every token after the first is emitted at once (benchmarks use it).
 */
export interface TokenClockOptions {
  count: number;
  ttftMs: number;
  itlMs: number;
  /** Called per token index 0..count-1; return false to stop early (e.g. die-after). */
  onToken(index: number): boolean;
  /** Called once after the last token, unless stopped early or cancelled. */
  onDone(): void;
}

/** Starts the clock; the returned function cancels it (client went away). */
export function startTokenClock(options: TokenClockOptions): () => void {
  let index = 0;
  let timer: NodeJS.Timeout | undefined;

  function tick(): void {
    timer = undefined;
    do {
      if (!options.onToken(index)) return;
      index += 1;
    } while (options.itlMs === 0 && index < options.count);
    if (index >= options.count) options.onDone();
    else schedule(options.itlMs);
  }

  function schedule(delayMs: number): void {
    timer = setTimeout(tick, delayMs);
    // Cleared on completion or client close; unref so a stuck stream never holds the process.
    timer.unref();
  }

  if (options.count <= 0) options.onDone();
  else schedule(options.ttftMs);
  return () => {
    if (timer) clearTimeout(timer);
    timer = undefined;
  };
}

/** When a non-streamed answer of `count` tokens is ready: the time its last token would appear. */
export function answerDelayMs(count: number, ttftMs: number, itlMs: number): number {
  return count <= 0 ? 0 : ttftMs + itlMs * (count - 1);
}
