/** bench:scale's command line (defaults: issue 16's fleet size). */

/** @param {string[]} argv */
export function readScaleArgs(argv) {
  /** @type {(name: string, fallback: number) => number} */
  const num = (name, fallback) => {
    const i = argv.indexOf(`--${name}`);
    const value = i >= 0 ? Number(argv[i + 1]) : fallback;
    if (!Number.isInteger(value) || value <= 0) throw new Error(`--${name} must be a positive integer`);
    return value;
  };
  /** @type {(name: string, fallback: string) => string} */
  const str = (name, fallback) => {
    const i = argv.indexOf(`--${name}`);
    return i >= 0 && argv[i + 1] !== undefined ? String(argv[i + 1]) : fallback;
  };
  const state = str('state', 'redis');
  if (state !== 'redis' && state !== 'memory') throw new Error('--state must be redis or memory');
  return {
    schedulers: num('schedulers', 1_000),
    watchers: num('watchers', 200),
    keys: num('keys', 100_000),
    rounds: num('rounds', 6),
    processes: num('processes', 4),
    probeIntervalMs: num('probe-interval-ms', 2_000),
    metricsKb: num('metrics-kb', 8),
    steadySeconds: num('steady-s', 20),
    state,
    redisUrl: str('redis-url', 'redis://127.0.0.1:6379'),
  };
}
