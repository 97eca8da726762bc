/**
 * Every knob of the harness, from environment variables (so `pnpm bench` needs no
 * arguments) with `--smoke` for a quick end-to-end check. Defaults are sized so the
 * default run (overhead + latency + streams) stays under 10 minutes.
 */
import { keyValues, num } from './env-values.mjs';
import { pinningAvailable } from './processes.mjs';

/**
 * Production features the gateway runs with (issue 9: measured with them on). The
 * harness verifies each one and reports whether it was actually enforced, so a run
 * never claims a feature it did not exercise.
 *  - BENCH_PRODUCTION_FEATURES: all of the below; on unless set to 0
 *  - BENCH_AUTH=0|1: an API keys file with one key (limits set high enough never to
 *    throttle, so the limiter runs on every request); requests carry the key
 *  - BENCH_REDIS=0|1: a private redis-server, REDIS_URL for control plane and gateway
 *  - BENCH_GATEWAY_ENV="K=V,K2=V2": anything else for the gateway process
 *  - BENCH_OTEL_RATIO=0.01: OpenTelemetry tracing on, sampling that ratio of traces,
 *    exported over OTLP/HTTP to a sink in the harness (off when unset)
 * @param {NodeJS.ProcessEnv} env
 */
export function readFeatures(env) {
  const all = env.BENCH_PRODUCTION_FEATURES !== '0';
  const flag = (/** @type {string | undefined} */ value) => (value === undefined || value === '' ? all : value === '1');
  const extraEnv = keyValues(env.BENCH_GATEWAY_ENV ?? '', 'BENCH_GATEWAY_ENV');
  const otelRatio = env.BENCH_OTEL_RATIO === undefined || env.BENCH_OTEL_RATIO === '' ? null : env.BENCH_OTEL_RATIO;
  return { auth: flag(env.BENCH_AUTH), redis: flag(env.BENCH_REDIS), extraEnv, otelRatio };
}

/**
 * @param {NodeJS.ProcessEnv} env
 * @param {string[]} argv
 */
export function readOptions(env, argv) {
  const smoke = argv.includes('--smoke') || env.BENCH_SMOKE === '1';
  return {
    smoke,
    pin: pinningAvailable(env),
    targets: (env.BENCH_TARGETS ?? 'direct,bare-proxy,nginx,gateway').split(',').map((t) => t.trim()).filter(Boolean),
    features: readFeatures(env),
    /**
     * BENCH_GATEWAY_BEFORE: a built checkout of another commit; its gateway runs as one
     * more target, `gateway-before`, beside this checkout's, against the same control
     * plane and upstream and in the same alternating rounds (a same-run before/after).
     */
    gatewayBefore: env.BENCH_GATEWAY_BEFORE || null,
    /** Rounds per scenario; targets alternate A B A B within them and medians are reported. */
    rounds: { overhead: num(env, 'BENCH_ROUNDS', smoke ? 1 : 3), latency: num(env, 'BENCH_ROUNDS', smoke ? 1 : 2), streams: num(env, 'BENCH_STREAM_ROUNDS', 1) },
    warmupS: num(env, 'BENCH_WARMUP_S', smoke ? 1 : 2),
    durationS: num(env, 'BENCH_DURATION_S', smoke ? 5 : 10),
    connections: num(env, 'BENCH_CONNECTIONS', 50),
    rate: num(env, 'BENCH_RATE', 200),
    streams: {
      count: num(env, 'BENCH_STREAMS', smoke ? 200 : 2000),
      chunks: num(env, 'BENCH_STREAM_CHUNKS', smoke ? 50 : 200),
      gapMs: num(env, 'BENCH_STREAM_GAP_MS', 20),
      rampMs: num(env, 'BENCH_STREAM_RAMP_MS', 1000),
    },
    propagation: { gateways: num(env, 'BENCH_GATEWAYS', 4), repeats: num(env, 'BENCH_PROPAGATION_REPEATS', smoke ? 5 : 30) },
    soak: { minutes: num(env, 'BENCH_SOAK_MINUTES', smoke ? 1 : 30), warmupMinutes: num(env, 'BENCH_SOAK_WARMUP_MINUTES', smoke ? 0.25 : 5) },
  };
}

/** @typedef {ReturnType<typeof readOptions>} Options */
