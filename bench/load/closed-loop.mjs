/**
 * Closed-loop saturation with autocannon, run as its own (pinned) process:
 * `connections` clients each send the next request as soon as the previous answer
 * ends. Input: one JSON argument {url, connections, durationS, warmupS, body,
 * headers}; output: one JSON line with requests/s and autocannon's latency summary.
 */
import autocannon from 'autocannon';

const input = JSON.parse(process.argv[2] ?? '{}');
const common = {
  url: input.url,
  connections: input.connections,
  method: 'POST',
  headers: { 'content-type': 'application/json', ...input.headers },
  body: input.body,
};
const result = await autocannon({
  ...common,
  duration: input.durationS,
  warmup: input.warmupS > 0 ? { connections: input.connections, duration: input.warmupS } : undefined,
});
console.log(JSON.stringify({
  requests_per_sec: result['2xx'] / result.duration,
  requests_total: result.requests.total,
  warmup_requests_total: result.warmup?.requests.total ?? 0,
  non_2xx: result.non2xx,
  errors: result.errors,
  timeouts: result.timeouts,
  latency_p50_ms: result.latency.p50,
  latency_p99_ms: result.latency.p99,
  latency_max_ms: result.latency.max,
  duration_s: result.duration,
}));
