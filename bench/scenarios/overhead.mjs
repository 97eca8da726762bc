/**
 * Target 1: non-streaming saturation throughput. autocannon (closed loop, 50
 * connections) against each target in turn; the gateway must reach ≥ 0.7 × the bare
 * node:http proxy of the same run.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startSampler } from '../lib/proc-stats.mjs';
import { runJsonScript } from '../lib/processes.mjs';
import { median } from '../lib/stats.mjs';
import { startTargets } from '../lib/targets.mjs';
import { CHAT_BODY, alternate, perTarget } from '../lib/workload.mjs';

const CLOSED_LOOP = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../load/closed-loop.mjs');
export const SATURATION_RATIO_GOAL = 0.7;

/**
 * @param {import('../lib/options.mjs').Options} options
 * @param {(message: string) => void} log
 */
export async function run(options, log) {
  const stack = await startTargets(options, { chunks: 20, gapMs: 5 });
  try {
    const measure = async (/** @type {import('../lib/targets.mjs').Target} */ target) => {
      const sampler = startSampler(target.pid);
      const load = /** @type {import('../lib/load-results.mjs').ClosedLoopResult} */ (await runJsonScript({
        name: 'closed-loop', script: CLOSED_LOOP, pin: options.pin, timeoutMs: (options.warmupS + options.durationS) * 1000 + 60_000,
        input: { url: `${target.url}/v1/chat/completions`, connections: options.connections, durationS: options.durationS, warmupS: options.warmupS, body: CHAT_BODY, headers: target.headers },
      }));
      const proc = sampler.stop();
      // CPU per request is the number that survives a busy machine: contention slows
      // the target down but hardly changes how much CPU each request costs it.
      const cpuUsPerRequest = (proc.cpu_s * 1e6) / (load.requests_total + load.warmup_requests_total);
      return { ...load, target_cpu_pct: proc.cpu_pct, target_cpu_us_per_request: cpuUsPerRequest, target_rss_max_mb: proc.rss_max_mb };
    };
    const rounds = await alternate(stack.targets, options.rounds.overhead, measure, log);
    const rps = perTarget(rounds, (r) => r.requests_per_sec, median);
    const gw = rps.gateway ?? Number.NaN;
    const bare = rps['bare-proxy'] ?? Number.NaN;
    const met = Number.isFinite(gw) && Number.isFinite(bare) ? gw >= SATURATION_RATIO_GOAL * bare : null;
    /** @type {import('../lib/report.mjs').Row[]} */
    const rows = [
      { scenario: 'overhead', metric: `saturation, ${options.connections} conns`, unit: 'req/s', values: rps, goal: { text: `≥ ${SATURATION_RATIO_GOAL} × bare`, met } },
      { scenario: 'overhead', metric: 'latency p99 at saturation', unit: 'ms', values: perTarget(rounds, (r) => r.latency_p99_ms, median) },
      { scenario: 'overhead', metric: 'target CPU (100 = 1 core)', unit: '%', values: perTarget(rounds, (r) => r.target_cpu_pct, median) },
      { scenario: 'overhead', metric: 'target CPU per request', unit: 'µs', values: perTarget(rounds, (r) => r.target_cpu_us_per_request, median) },
      { scenario: 'overhead', metric: 'one-core capacity = 10⁶ ÷ CPU µs per request', unit: 'req/s', values: perTarget(rounds, (r) => 1e6 / r.target_cpu_us_per_request, median) },
      { scenario: 'overhead', metric: 'errors + non-2xx, all rounds', unit: 'count', values: perTarget(rounds, (r) => r.errors + r.non_2xx + r.timeouts, (v) => v.reduce((a, b) => a + b, 0)) },
    ];
    return { rows, result: { rounds, skipped: stack.skipped, gateway_features: stack.features } };
  } finally {
    await stack.stop();
  }
}
