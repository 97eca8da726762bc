/**
 * Open-loop fixed-rate load: request i is due at start + i / rate whatever happened
 * to earlier requests, and its latency runs from that SCHEDULED time, so a target
 * that stalls is charged for the queue it causes (no coordinated omission).
 *
 * Input (JSON argument): {url, rate, durationS, warmupS, body, headers, stream,
 * timeoutMs}. For `stream: true` the latency is time to the first body byte (TTFB).
 * Output: one JSON line with percentiles in ms, errors, and how late the generator
 * itself sent (its own scheduling slack, the same for every target).
 */
import http from 'node:http';
import { summarize } from '../lib/stats.mjs';

const input = JSON.parse(process.argv[2] ?? '{}');
const url = new URL(input.url);
const body = Buffer.from(input.body);
const agent = new http.Agent({ keepAlive: true, maxSockets: Infinity, maxFreeSockets: 1024 });
const intervalMs = 1000 / input.rate;
const warmupCount = Math.round(input.rate * input.warmupS);
const total = warmupCount + Math.round(input.rate * input.durationS);
const latencies = new Float64Array(total - warmupCount);
const sendLag = new Float64Array(total - warmupCount);
/** Latency from the actual send: what coordinated omission would report (for comparison only). */
const serviceTimes = new Float64Array(total - warmupCount);
let measured = 0;
let errors = 0;
let done = 0;
const statuses = /** @type {Record<string, number>} */ ({});

/** @param {number} index @param {number} scheduledAt performance.now() time it was due */
function fire(index, scheduledAt) {
  const recordable = index >= warmupCount;
  if (recordable) sendLag[index - warmupCount] = performance.now() - scheduledAt;
  let recorded = false;
  const finish = (/** @type {boolean} */ ok) => {
    if (recorded) return;
    recorded = true;
    done += 1;
    if (!recordable) return;
    if (!ok) {
      errors += 1;
      return;
    }
    const now = performance.now();
    serviceTimes[measured] = now - scheduledAt - sendLag[index - warmupCount];
    latencies[measured++] = now - scheduledAt;
  };
  const req = http.request({
    host: url.hostname, port: url.port, path: url.pathname, method: 'POST', agent, timeout: input.timeoutMs,
    headers: { 'content-type': 'application/json', 'content-length': body.length, ...input.headers },
  }, (res) => {
    statuses[res.statusCode ?? 0] = (statuses[res.statusCode ?? 0] ?? 0) + 1;
    const ok = res.statusCode === 200;
    if (input.stream) res.once('data', () => finish(ok));
    res.on('data', () => undefined);
    res.on('end', () => finish(ok));
    res.on('error', () => finish(false));
  });
  req.on('timeout', () => req.destroy(new Error('timeout')));
  req.on('error', () => finish(false));
  req.end(body);
}

const start = performance.now() + 50;
let next = 0;
const tick = () => {
  const now = performance.now();
  while (next < total && start + next * intervalMs <= now) {
    fire(next, start + next * intervalMs);
    next += 1;
  }
  if (next < total) setTimeout(tick, Math.max(0, start + next * intervalMs - performance.now()));
};
tick();

const deadline = start + (input.warmupS + input.durationS) * 1000 + input.timeoutMs + 1000;
while (done < total && performance.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
agent.destroy();
const latency = summarize(latencies.subarray(0, measured));
const lag = summarize(sendLag);
const service = summarize(serviceTimes.subarray(0, measured));
console.log(JSON.stringify({
  sent: total - warmupCount, ok: measured, errors, unfinished: total - done, statuses,
  p50_ms: latency.p50, p90_ms: latency.p90, p99_ms: latency.p99, max_ms: latency.max, mean_ms: latency.mean,
  service_p50_ms: service.p50, service_p99_ms: service.p99,
  generator_send_lag_p50_ms: lag.p50, generator_send_lag_p99_ms: lag.p99,
}));
