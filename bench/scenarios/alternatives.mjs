/**
 * Forwarding alternatives for the gateway's hot path (docs/decisions/001), on bare
 * node without the gateway around them, against the same backend and load:
 * saturation (closed loop), latency at a fixed rate (open loop), and a short
 * streaming check (chunks must pass through one by one, in order).
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { BENCH_MODEL } from '../lib/gateway-stack.mjs';
import { startSampler } from '../lib/proc-stats.mjs';
import { LOAD_CORE, TARGET_CORE, runJsonScript } from '../lib/processes.mjs';
import { simpleTable } from '../lib/report.mjs';
import { median } from '../lib/stats.mjs';
import { startNodeServer } from '../lib/targets.mjs';
import { CHAT_BODY, alternate, perTarget } from '../lib/workload.mjs';

const LOAD_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../load');
/** name → script; each reads the body, parses it, then forwards its own way. */
export const ALTERNATIVES = {
  'bare-proxy (no parse)': 'baselines/bare-proxy.mjs',
  'node:http forward': 'alternatives/node-http-forward.mjs',
  'undici forward': 'alternatives/undici-forward.mjs',
  'hpm 3 on bare node': 'alternatives/hpm-bare-node.mjs',
  'express 5 + hpm 3': 'alternatives/express-hpm.mjs',
};
const STREAM_CHECK = { count: 200, chunks: 50, gapMs: 20, rampMs: 500 };

/**
 * @param {import('../lib/options.mjs').Options} options
 * @param {(message: string) => void} log
 */
export async function run(options, log) {
  /** @type {Array<{stop(): Promise<void>}>} */
  const owned = [];
  try {
    const backendFlags = [`--chunks=${STREAM_CHECK.chunks}`, `--gap-ms=${STREAM_CHECK.gapMs}`, `--model=${BENCH_MODEL}`];
    const direct = await startNodeServer({ name: 'direct', script: 'backends/static-responder.mjs', flags: backendFlags, core: TARGET_CORE, pin: options.pin });
    const upstream = await startNodeServer({ name: 'upstream', script: 'backends/static-responder.mjs', flags: backendFlags, core: LOAD_CORE, pin: options.pin });
    owned.push(direct.proc, upstream.proc);
    const targets = [{ name: 'direct', url: direct.url, pid: direct.proc.pid }];
    for (const [name, script] of Object.entries(ALTERNATIVES)) {
      const server = await startNodeServer({ name, script, flags: [`--upstream=${upstream.url}`], core: TARGET_CORE, pin: options.pin });
      owned.push(server.proc);
      targets.push({ name, url: server.url, pid: server.proc.pid });
    }
    const timeoutMs = (options.warmupS + options.durationS) * 1000 + 60_000;
    const rounds = await alternate(targets, options.rounds.overhead, async (target) => {
      const sampler = startSampler(target.pid);
      const saturation = /** @type {import('../lib/load-results.mjs').ClosedLoopResult} */ (await runJsonScript({
        name: 'closed-loop', script: path.join(LOAD_DIR, 'closed-loop.mjs'), pin: options.pin, timeoutMs,
        input: { url: `${target.url}/v1/chat/completions`, connections: options.connections, durationS: options.durationS, warmupS: options.warmupS, body: CHAT_BODY, headers: {} },
      }));
      const proc = sampler.stop();
      const cpuUsPerRequest = (proc.cpu_s * 1e6) / (saturation.requests_total + saturation.warmup_requests_total);
      const latency = /** @type {import('../lib/load-results.mjs').OpenLoopResult} */ (await runJsonScript({
        name: 'open-loop', script: path.join(LOAD_DIR, 'open-loop.mjs'), pin: options.pin, timeoutMs,
        input: { url: `${target.url}/v1/chat/completions`, rate: options.rate, durationS: options.durationS, warmupS: options.warmupS, body: CHAT_BODY, headers: {}, stream: false, timeoutMs: 10_000 },
      }));
      const streams = /** @type {import('../lib/load-results.mjs').StreamsResult} */ (await runJsonScript({
        name: 'streams-client', script: path.join(LOAD_DIR, 'streams-client.mjs'), pin: options.pin, timeoutMs: 120_000,
        input: { url: target.url, ...STREAM_CHECK, headers: {}, model: BENCH_MODEL },
      }));
      return { saturation, cpu_pct: proc.cpu_pct, cpu_us_per_request: cpuUsPerRequest, latency, streams };
    }, log);
    const rps = perTarget(rounds, (r) => r.saturation.requests_per_sec, median);
    const p50 = perTarget(rounds, (r) => r.latency.p50_ms, median);
    const p99 = perTarget(rounds, (r) => r.latency.p99_ms, median);
    const delay = perTarget(rounds, (r) => r.streams.chunk_delay_p99_ms, median);
    const cpu = perTarget(rounds, (r) => r.cpu_pct, median);
    const cpuUs = perTarget(rounds, (r) => r.cpu_us_per_request, median);
    const errors = perTarget(rounds, (r) => r.saturation.errors + r.saturation.non_2xx + r.latency.errors + r.streams.errors_total, (v) => v.reduce((a, b) => a + b, 0));
    const bare = rps['bare-proxy (no parse)'];
    const table = simpleTable(
      ['forwarding', `req/s (${options.connections} conns)`, '÷ direct', '÷ bare proxy', 'CPU % at saturation', 'CPU µs / request', 'one-core capacity req/s', 'capacity ÷ bare', `p50 ms @ ${options.rate}/s`, `p99 ms @ ${options.rate}/s`, `chunk delay p99 ms (${STREAM_CHECK.count} streams)`, 'errors'],
      targets.map((t) => [t.name, Math.round(rps[t.name]).toLocaleString('en-US'), rps[t.name] / rps.direct, rps[t.name] / bare, cpu[t.name], cpuUs[t.name], Math.round(1e6 / cpuUs[t.name]).toLocaleString('en-US'), cpuUs['bare-proxy (no parse)'] / cpuUs[t.name], p50[t.name], p99[t.name], delay[t.name], String(errors[t.name])]),
    );
    return { rows: [], table, result: { rounds, stream_check: STREAM_CHECK } };
  } finally {
    for (const p of owned.reverse()) await p.stop().catch(() => undefined);
  }
}
