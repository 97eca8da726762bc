/**
 * Target 3: many concurrent streams through one process (default 2,000 streams ×
 * 200 chunks, 20 ms apart): no errors, every chunk in order, RSS ≤ 250 MB,
 * event-loop lag p99 ≤ 20 ms, added per-chunk delay p99 ≤ 5 ms over direct.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { BENCH_MODEL } from '../lib/gateway-stack.mjs';
import { startSampler } from '../lib/proc-stats.mjs';
import { runJsonScript } from '../lib/processes.mjs';
import { median } from '../lib/stats.mjs';
import { startTargets } from '../lib/targets.mjs';
import { alternate, perTarget } from '../lib/workload.mjs';

const STREAMS_CLIENT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../load/streams-client.mjs');
export const RSS_GOAL_MB = 250;
export const EVENT_LOOP_GOAL_MS = 20;
export const ADDED_CHUNK_DELAY_GOAL_MS = 5;

/** @param {number | undefined} value @param {(v: number) => boolean} ok */
const check = (value, ok) => (value !== undefined && Number.isFinite(value) ? ok(value) : null);

/**
 * @param {import('../lib/options.mjs').Options} options
 * @param {(message: string) => void} log
 */
export async function run(options, log) {
  const { count, chunks, gapMs, rampMs } = options.streams;
  const stack = await startTargets(options, { chunks, gapMs });
  try {
    const measure = async (/** @type {import('../lib/targets.mjs').Target} */ target) => {
      await target.eventLoopP99(); // a read resets the window to this run
      const sampler = startSampler(target.pid);
      const client = /** @type {import('../lib/load-results.mjs').StreamsResult} */ (await runJsonScript({
        name: 'streams-client', script: STREAMS_CLIENT, pin: options.pin, timeoutMs: rampMs + chunks * gapMs + 120_000,
        input: { url: target.url, count, chunks, gapMs, rampMs, headers: target.headers, model: BENCH_MODEL },
      }));
      const lagMs = (await target.eventLoopP99()) * 1000;
      const proc = sampler.stop();
      const cpuUsPerChunk = client.chunks_received > 0 ? (proc.cpu_s * 1e6) / client.chunks_received : Number.NaN;
      return { ...client, event_loop_p99_ms: lagMs, target_rss_max_mb: proc.rss_max_mb, target_rss_first_mb: proc.rss_first_mb, target_cpu_pct: proc.cpu_pct, target_cpu_us_per_chunk: cpuUsPerChunk };
    };
    const rounds = await alternate(stack.targets, options.rounds.streams, measure, log);
    const errors = perTarget(rounds, (r) => r.errors_total, (v) => v.reduce((a, b) => a + b, 0));
    const rss = perTarget(rounds, (r) => r.target_rss_max_mb, (v) => Math.max(...v));
    const lag = perTarget(rounds, (r) => r.event_loop_p99_ms, median);
    const delay = perTarget(rounds, (r) => r.chunk_delay_p99_ms, median);
    const addedDelay = (delay.gateway ?? Number.NaN) - (delay.direct ?? Number.NaN);
    const label = `${count} × ${chunks} chunks / ${gapMs} ms`;
    /** @type {import('../lib/report.mjs').Row[]} */
    const rows = [
      { scenario: 'streams', metric: `errors incl. order/count, ${label}`, unit: 'count', values: errors, goal: { text: '0', met: check(errors.gateway, (v) => v === 0) } },
      { scenario: 'streams', metric: 'peak concurrent streams (after headers, before end)', unit: 'count', values: perTarget(rounds, (r) => r.peak_concurrent, (v) => Math.min(...v)) },
      { scenario: 'streams', metric: 'chunk delay p99', unit: 'ms', values: delay, goal: { text: `gw − direct ≤ +${ADDED_CHUNK_DELAY_GOAL_MS} ms`, met: check(addedDelay, (v) => v <= ADDED_CHUNK_DELAY_GOAL_MS) } },
      { scenario: 'streams', metric: 'inter-chunk gap p99', unit: 'ms', values: perTarget(rounds, (r) => r.chunk_gap_p99_ms, median) },
      { scenario: 'streams', metric: 'TTFB p99', unit: 'ms', values: perTarget(rounds, (r) => r.ttfb_p99_ms, median) },
      { scenario: 'streams', metric: 'target RSS peak', unit: 'MB', values: rss, goal: { text: `≤ ${RSS_GOAL_MB} MB`, met: check(rss.gateway, (v) => v <= RSS_GOAL_MB) } },
      { scenario: 'streams', metric: 'event-loop lag p99', unit: 'ms', values: lag, goal: { text: `≤ ${EVENT_LOOP_GOAL_MS} ms`, met: check(lag.gateway, (v) => v <= EVENT_LOOP_GOAL_MS) } },
      { scenario: 'streams', metric: 'target CPU (100 = 1 core)', unit: '%', values: perTarget(rounds, (r) => r.target_cpu_pct, median) },
      { scenario: 'streams', metric: 'target CPU per chunk relayed (stream setup included)', unit: 'µs', values: perTarget(rounds, (r) => r.target_cpu_us_per_chunk, median) },
      { scenario: 'streams', metric: 'client CPU (≈100 = client-bound)', unit: '%', values: perTarget(rounds, (r) => r.client_cpu_pct, median) },
    ];
    return { rows, result: { rounds, skipped: stack.skipped, gateway_features: stack.features } };
  } finally {
    await stack.stop();
  }
}
