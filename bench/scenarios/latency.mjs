/**
 * Target 2: added latency at a fixed rate (open loop, 200 req/s by default),
 * non-streaming and time to first byte of streams: p50 ≤ +0.5 ms and p99 ≤ +2.5 ms
 * over the direct path.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { runJsonScript } from '../lib/processes.mjs';
import { median } from '../lib/stats.mjs';
import { startTargets } from '../lib/targets.mjs';
import { CHAT_BODY, STREAM_BODY, alternate, perTarget } from '../lib/workload.mjs';

const OPEN_LOOP = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../load/open-loop.mjs');
export const ADDED_P50_GOAL_MS = 0.5;
export const ADDED_P99_GOAL_MS = 2.5;

/**
 * @param {Record<string, number>} values
 * @param {number} goalMs
 */
function addedGoal(values, goalMs) {
  const added = (values.gateway ?? Number.NaN) - (values.direct ?? Number.NaN);
  return { text: `gw − direct ≤ +${goalMs} ms`, met: Number.isFinite(added) ? added <= goalMs : null };
}

/**
 * @param {import('../lib/options.mjs').Options} options
 * @param {(message: string) => void} log
 */
export async function run(options, log) {
  const stack = await startTargets(options, { chunks: 20, gapMs: 5 });
  try {
    /** @type {(target: import('../lib/targets.mjs').Target, stream: boolean) => Promise<import('../lib/load-results.mjs').OpenLoopResult>} */
    const openLoop = (target, stream) => runJsonScript({
      name: 'open-loop', script: OPEN_LOOP, pin: options.pin, timeoutMs: (options.warmupS + options.durationS) * 1000 + 60_000,
      input: {
        url: `${target.url}/v1/chat/completions`, rate: options.rate, durationS: options.durationS, warmupS: options.warmupS,
        body: stream ? STREAM_BODY : CHAT_BODY, headers: target.headers, stream, timeoutMs: 10_000,
      },
    });
    const rounds = await alternate(stack.targets, options.rounds.latency, async (target) => ({
      non_streaming: await openLoop(target, false),
      stream_ttfb: await openLoop(target, true),
    }), log);
    /** @type {import('../lib/report.mjs').Row[]} */
    const rows = [];
    for (const [kind, label] of /** @type {const} */ ([['non_streaming', 'non-streaming'], ['stream_ttfb', 'stream TTFB']])) {
      const p50 = perTarget(rounds, (r) => r[kind].p50_ms, median);
      const p99 = perTarget(rounds, (r) => r[kind].p99_ms, median);
      rows.push(
        { scenario: 'latency', metric: `${label} p50 @ ${options.rate}/s`, unit: 'ms', values: p50, goal: addedGoal(p50, ADDED_P50_GOAL_MS) },
        { scenario: 'latency', metric: `${label} p99 @ ${options.rate}/s`, unit: 'ms', values: p99, goal: addedGoal(p99, ADDED_P99_GOAL_MS) },
        { scenario: 'latency', metric: `${label} max @ ${options.rate}/s`, unit: 'ms', values: perTarget(rounds, (r) => r[kind].max_ms, median) },
        { scenario: 'latency', metric: `${label} errors, all rounds`, unit: 'count', values: perTarget(rounds, (r) => r[kind].errors + r[kind].unfinished, (v) => v.reduce((a, b) => a + b, 0)) },
      );
    }
    rows.push(
      { scenario: 'latency', metric: 'non-streaming p99 from actual send (hides queueing; info)', unit: 'ms', values: perTarget(rounds, (r) => r.non_streaming.service_p99_ms, median) },
      { scenario: 'latency', metric: 'generator send lag p99 (noise floor in every column)', unit: 'ms', values: perTarget(rounds, (r) => r.non_streaming.generator_send_lag_p99_ms, median) },
    );
    return { rows, result: { rounds, skipped: stack.skipped, gateway_features: stack.features } };
  } finally {
    await stack.stop();
  }
}
