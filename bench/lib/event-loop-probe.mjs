/**
 * The event-loop lag numbers our own proxies (bare proxy, forwarding alternatives)
 * expose at GET /__bench/eventloop, measured the way prom-client measures the
 * gateway's `nodejs_eventloop_lag_p99_seconds` (monitorEventLoopDelay, 10 ms
 * resolution, reset on every read) so the columns compare like with like.
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';

export const EVENT_LOOP_PATH = '/__bench/eventloop';

/** @returns {{read(): string, stop(): void}} */
export function createEventLoopProbe() {
  const histogram = monitorEventLoopDelay({ resolution: 10 });
  histogram.enable();
  return {
    read() {
      const body = JSON.stringify({ p99_seconds: histogram.percentile(99) / 1e9, max_seconds: histogram.max / 1e9 });
      histogram.reset();
      return body;
    },
    stop: () => histogram.disable(),
  };
}
