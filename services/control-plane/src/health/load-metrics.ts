import type { LoadReport } from '@switchyard/routing';

/** The engine whose metric names a load report was read from. */
export type LoadSource = 'sim' | 'vllm' | 'sglang' | 'llamacpp' | 'tgi';

/** A load report and where it came from, as probes store it and the admin API lists it. */
export interface ObservedLoad extends LoadReport {
  source: LoadSource;
  /** The gauges found in the exposition, running first (operators check their engine exports them). */
  metrics: string[];
  /** The engine's own prefix-cache account, when it exports one (issue 18 item 4). */
  prefix_cache?: PrefixCacheSignal;
  /** KV-cache capacity in tokens, when the engine says (sizes the gateways' prefix index). */
  kv_cache_capacity_tokens?: number;
}

/**
 * Counters (vLLM, the sim: cumulative hits and queries, in tokens) or a gauge
 * (SGLang: its recent hit rate). `hit_rate` is always set: hits ÷ queries since
 * the engine started, or SGLang's gauge.
 */
export interface PrefixCacheSignal {
  hit_rate: number;
  hits?: number;
  queries?: number;
}

interface LoadFamily {
  readonly source: LoadSource;
  readonly running: string;
  readonly waiting: string;
  /** KV-cache usage gauges, 0..1, in order of preference; empty when the engine exports none. */
  readonly kv: readonly string[];
  /** Prefix-cache hit and query counters (tokens), newest naming first; or a hit-rate gauge. */
  readonly prefix?: { readonly counters?: ReadonlyArray<readonly [hits: string, queries: string]>; readonly gauge?: string };
}

/**
 * Gauge names per engine, in order of preference. The first family with a
 * running or waiting gauge wins, so a server exporting two namings of the same
 * gauge (the sim exports its own and vLLM's) is not counted twice; the sim's own
 * names come first so a sim says it is one.
 */
const FAMILIES: readonly LoadFamily[] = [
  { source: 'sim', running: 'sim_running_requests', waiting: 'sim_waiting_requests', kv: ['sim_kv_cache_usage_ratio'], prefix: { counters: [['sim_prefix_cache_hit_tokens_total', 'sim_prefix_cache_query_tokens_total']] } },
  // vLLM v1 renamed gpu_cache_usage_perc to kv_cache_usage_perc; both are 0..1 fractions.
  // Prefix caching: vLLM v1 counts tokens in prefix_cache_{hits,queries}_total; v0 named them
  // gpu_prefix_cache_*, and releases around 0.6 exported only a gpu_prefix_cache_hit_rate gauge.
  {
    source: 'vllm', running: 'vllm:num_requests_running', waiting: 'vllm:num_requests_waiting', kv: ['vllm:kv_cache_usage_perc', 'vllm:gpu_cache_usage_perc'],
    prefix: { counters: [['vllm:prefix_cache_hits_total', 'vllm:prefix_cache_queries_total'], ['vllm:gpu_prefix_cache_hits_total', 'vllm:gpu_prefix_cache_queries_total'], ['vllm:prefix_cache_hits', 'vllm:prefix_cache_queries'], ['vllm:gpu_prefix_cache_hits', 'vllm:gpu_prefix_cache_queries']], gauge: 'vllm:gpu_prefix_cache_hit_rate' },
  },
  // SGLang: token_usage is the fraction of KV-cache tokens in use.
  { source: 'sglang', running: 'sglang:num_running_reqs', waiting: 'sglang:num_queue_reqs', kv: ['sglang:token_usage'], prefix: { gauge: 'sglang:cache_hit_rate' } },
  // llama.cpp (llama-server --metrics): processing and deferred requests. kv_cache_usage_ratio
  // was dropped from newer builds (ggml-org/llama.cpp#13660); read when present.
  { source: 'llamacpp', running: 'llamacpp:requests_processing', waiting: 'llamacpp:requests_deferred', kv: ['llamacpp:kv_cache_usage_ratio'] },
  // TGI: the current batch runs, the queue waits; it exports no KV-cache usage fraction.
  { source: 'tgi', running: 'tgi_batch_current_size', waiting: 'tgi_queue_size', kv: [] },
];

/**
 * The load report in a Prometheus text exposition (GET /metrics of vLLM, SGLang,
 * llama.cpp, TGI or the sim), or undefined when it has none of the gauges.
 * Series with labels (one per model or engine) are summed for running/waiting;
 * KV-cache usage takes the fullest series. Scans with indexOf instead of
 * splitting the text into lines: a vLLM exposition is ~100 KB of histograms,
 * probed every 2 s per scheduler, and only a handful of lines matter.
 */
export function parseLoadMetrics(text: string): ObservedLoad | undefined {
  for (const family of FAMILIES) {
    const running = sampleValues(text, family.running);
    const waiting = sampleValues(text, family.waiting);
    if (running.length === 0 && waiting.length === 0) continue;
    const metrics: string[] = [];
    if (running.length > 0) metrics.push(family.running);
    if (waiting.length > 0) metrics.push(family.waiting);
    let kv: number[] = [];
    for (const name of family.kv) {
      kv = sampleValues(text, name);
      if (kv.length === 0) continue;
      metrics.push(name);
      break;
    }
    const prefixCache = family.prefix === undefined ? undefined : prefixCacheOf(text, family.prefix, metrics);
    const capacity = kvCapacityTokens(text, family.source);
    return {
      running: Math.max(0, sum(running)),
      waiting: Math.max(0, sum(waiting)),
      kv_cache_usage: kv.length > 0 ? Math.min(1, Math.max(0, ...kv)) : 0,
      source: family.source,
      metrics,
      ...(prefixCache === undefined ? {} : { prefix_cache: prefixCache }),
      ...(capacity === undefined ? {} : { kv_cache_capacity_tokens: capacity }),
    };
  }
  return undefined;
}

/**
 * KV-cache capacity in tokens: vLLM's `cache_config_info` info metric carries
 * `num_gpu_blocks` and `block_size` as labels; SGLang exports
 * `max_total_num_tokens`. Undefined for other engines or when absent.
 */
function kvCapacityTokens(text: string, source: LoadSource): number | undefined {
  if (source === 'sglang') {
    const values = sampleValues(text, 'sglang:max_total_num_tokens');
    return values.length > 0 && values[0]! > 0 ? Math.max(...values) : undefined;
  }
  if (source !== 'vllm') return undefined;
  const at = text.startsWith('vllm:cache_config_info{') ? 0 : text.indexOf('\nvllm:cache_config_info{');
  if (at < 0) return undefined;
  const end = text.indexOf('\n', at + 1);
  const line = text.slice(at, end < 0 ? text.length : end);
  const blocks = Number(/[{,]num_gpu_blocks="(\d+)"/.exec(line)?.[1]);
  const blockSize = Number(/[{,]block_size="(\d+)"/.exec(line)?.[1]);
  return blocks > 0 && blockSize > 0 ? blocks * blockSize : undefined;
}

/** The first naming of the prefix-cache counters (or the gauge) found; names found are added to `metrics`. */
function prefixCacheOf(text: string, names: NonNullable<LoadFamily['prefix']>, metrics: string[]): PrefixCacheSignal | undefined {
  for (const [hitsName, queriesName] of names.counters ?? []) {
    const hits = sampleValues(text, hitsName);
    const queries = sampleValues(text, queriesName);
    if (hits.length === 0 || queries.length === 0) continue;
    metrics.push(hitsName, queriesName);
    const h = Math.max(0, sum(hits));
    const q = Math.max(0, sum(queries));
    return { hit_rate: q > 0 ? Math.min(1, h / q) : 0, hits: h, queries: q };
  }
  if (names.gauge === undefined) return undefined;
  const rate = sampleValues(text, names.gauge);
  if (rate.length === 0) return undefined;
  metrics.push(names.gauge);
  return { hit_rate: Math.min(1, Math.max(0, sum(rate) / rate.length)) };
}

/** Values of every sample of metric `name` (finite numbers only). */
export function sampleValues(text: string, name: string): number[] {
  const values: number[] = [];
  let at = text.startsWith(name) ? 0 : nextLineStart(text, name, 0);
  while (at >= 0) {
    const value = valueOfSample(text, at + name.length);
    if (value !== undefined) values.push(value);
    at = nextLineStart(text, name, at + name.length);
  }
  return values;
}

/** Index of the next line that starts with `name`, or -1. */
function nextLineStart(text: string, name: string, from: number): number {
  const found = text.indexOf(`\n${name}`, from);
  return found < 0 ? -1 : found + 1;
}

/**
 * The value of the sample whose name ends at `at`: after an optional label set
 * (quoted values may hold `}` or spaces) and before an optional timestamp.
 * Undefined when `name` was only a prefix of a longer metric name.
 */
function valueOfSample(text: string, at: number): number | undefined {
  let i = at;
  if (text[i] === '{') {
    i = endOfLabels(text, i + 1);
    if (i < 0) return undefined;
  } else if (text[i] !== ' ' && text[i] !== '\t') {
    return undefined;
  }
  const end = text.indexOf('\n', i);
  const fields = text.slice(i, end < 0 ? text.length : end).trim().split(/\s+/);
  const value = Number(fields[0]);
  return fields[0] !== '' && Number.isFinite(value) ? value : undefined;
}

/** Index just past the `}` closing a label set that starts at `from`, or -1. */
function endOfLabels(text: string, from: number): number {
  let quoted = false;
  for (let i = from; i < text.length; i++) {
    const c = text[i];
    if (c === '\n') return -1;
    if (quoted && c === '\\') i++;
    else if (c === '"') quoted = !quoted;
    else if (!quoted && c === '}') return i + 1;
  }
  return -1;
}

function sum(values: readonly number[]): number {
  return values.reduce((a, b) => a + b, 0);
}
