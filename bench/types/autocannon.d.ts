// autocannon ships no types; only what bench/load/closed-loop.mjs uses.
declare module 'autocannon' {
  interface Options {
    url: string;
    connections: number;
    duration: number;
    method: string;
    headers: Record<string, string>;
    body: string;
    warmup?: { connections: number; duration: number };
  }
  interface Histogram { p50: number; p99: number; max: number; average: number; total: number }
  interface Result {
    '2xx': number;
    non2xx: number;
    errors: number;
    timeouts: number;
    duration: number;
    latency: Histogram;
    requests: Histogram;
    /** Present when the run had a warm-up phase. */
    warmup?: Result;
  }
  function autocannon(options: Options): Promise<Result>;
  export default autocannon;
}
