/**
 * Target 4 (not in the default run): mixed traffic through the gateway for
 * BENCH_SOAK_MINUTES (30) — non-streaming at BENCH_RATE (200/s) plus streams at a
 * tenth of that — sampling the gateway's RSS every 5 s. Growth is the median RSS of
 * the last minute against the median of the minute after warm-up; goal ≤ 10%.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startSampler } from '../lib/proc-stats.mjs';
import { runJsonScript } from '../lib/processes.mjs';
import { simpleTable } from '../lib/report.mjs';
import { median } from '../lib/stats.mjs';
import { startTargets } from '../lib/targets.mjs';
import { CHAT_BODY, STREAM_BODY } from '../lib/workload.mjs';

const OPEN_LOOP = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../load/open-loop.mjs');
export const RSS_GROWTH_GOAL_PCT = 10;
const SAMPLE_INTERVAL_MS = 5_000;
const WINDOW_MS = 60_000;

/**
 * @param {number[]} samples  one per SAMPLE_INTERVAL_MS from the start
 * @param {number} warmupMs
 */
export function rssGrowth(samples, warmupMs) {
  const perWindow = Math.max(1, Math.round(WINDOW_MS / SAMPLE_INTERVAL_MS));
  const first = Math.round(warmupMs / SAMPLE_INTERVAL_MS);
  const afterWarmup = median(samples.slice(first, first + perWindow));
  const end = median(samples.slice(-perWindow));
  return { after_warmup_mb: afterWarmup, end_mb: end, growth_pct: (100 * (end - afterWarmup)) / afterWarmup };
}

/**
 * @param {import('../lib/options.mjs').Options} options
 * @param {(message: string) => void} log
 */
export async function run(options, log) {
  const durationS = options.soak.minutes * 60;
  const stack = await startTargets({ ...options, targets: ['gateway'] }, { chunks: 20, gapMs: 5 });
  try {
    const gateway = stack.targets.find((t) => t.name === 'gateway');
    if (!gateway) throw new Error(`soak needs the gateway: ${stack.skipped.map((s) => s.reason).join('; ')}`);
    log(`${options.soak.minutes} min of mixed traffic, warm-up ${options.soak.warmupMinutes} min`);
    const sampler = startSampler(gateway.pid, SAMPLE_INTERVAL_MS);
    /** @type {(stream: boolean, rate: number) => Promise<import('../lib/load-results.mjs').OpenLoopResult>} */
    const load = (stream, rate) => runJsonScript({
      name: stream ? 'open-loop-streams' : 'open-loop', script: OPEN_LOOP, pin: options.pin, timeoutMs: durationS * 1000 + 120_000,
      input: { url: `${gateway.url}/v1/chat/completions`, rate, durationS, warmupS: 0, body: stream ? STREAM_BODY : CHAT_BODY, headers: gateway.headers, stream, timeoutMs: 10_000 },
    });
    await gateway.eventLoopP99();
    const [plain, streams] = await Promise.all([load(false, options.rate), load(true, Math.max(1, options.rate / 10))]);
    const lagMs = (await gateway.eventLoopP99()) * 1000;
    const proc = sampler.stop();
    const growth = rssGrowth(proc.samples, options.soak.warmupMinutes * 60_000);
    const met = Number.isFinite(growth.growth_pct) ? growth.growth_pct <= RSS_GROWTH_GOAL_PCT : null;
    const table = simpleTable(
      ['minutes', 'requests', 'errors', 'RSS after warm-up MB', 'RSS at end MB', 'growth %', 'peak MB', 'event-loop p99 ms', 'target', 'met'],
      [[String(options.soak.minutes), String(plain.sent + streams.sent), String(plain.errors + plain.unfinished + streams.errors + streams.unfinished), growth.after_warmup_mb, growth.end_mb, growth.growth_pct, proc.rss_max_mb, lagMs, `≤ ${RSS_GROWTH_GOAL_PCT}%`, met === null ? '–' : met ? 'yes' : '**no**']],
    );
    return { rows: [], table, result: { non_streaming: plain, streams, rss: { ...growth, samples_mb: proc.samples, interval_ms: SAMPLE_INTERVAL_MS }, event_loop_p99_ms: lagMs, skipped: stack.skipped, gateway_features: stack.features } };
  } finally {
    await stack.stop();
  }
}
