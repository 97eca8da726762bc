/**
 * What each load generator prints (its last stdout line, JSON), so the scenarios
 * that read it are type-checked. Latencies in ms.
 */

/**
 * @typedef {object} ClosedLoopResult  bench/load/closed-loop.mjs
 * @property {number} requests_per_sec  2xx answers per second
 * @property {number} requests_total
 * @property {number} warmup_requests_total
 * @property {number} non_2xx
 * @property {number} errors
 * @property {number} timeouts
 * @property {number} latency_p50_ms
 * @property {number} latency_p99_ms
 * @property {number} latency_max_ms
 * @property {number} duration_s
 */

/**
 * @typedef {object} OpenLoopResult  bench/load/open-loop.mjs
 * @property {number} sent
 * @property {number} ok
 * @property {number} errors
 * @property {number} unfinished
 * @property {Record<string, number>} statuses
 * @property {number} p50_ms  from the scheduled send time
 * @property {number} p90_ms
 * @property {number} p99_ms
 * @property {number} max_ms
 * @property {number} mean_ms
 * @property {number} service_p50_ms  from the actual send time
 * @property {number} service_p99_ms
 * @property {number} generator_send_lag_p50_ms
 * @property {number} generator_send_lag_p99_ms
 */

/**
 * @typedef {object} StreamsResult  bench/load/streams-client.mjs
 * @property {number} streams
 * @property {number} peak_concurrent  most streams open at once (headers received, not ended)
 * @property {number} finished
 * @property {number} unfinished
 * @property {number} errors_total
 * @property {Record<string, number>} errors
 * @property {Record<string, number>} socket_errors  count by error code
 * @property {number} chunks_expected
 * @property {number} chunks_received
 * @property {number} ttfb_p50_ms
 * @property {number} ttfb_p99_ms
 * @property {number} chunk_delay_p50_ms
 * @property {number} chunk_delay_p99_ms
 * @property {number} chunk_delay_max_ms
 * @property {number} chunk_gap_p50_ms
 * @property {number} chunk_gap_p99_ms
 * @property {number} chunk_gap_max_ms
 * @property {number} client_cpu_pct
 */

export {};
