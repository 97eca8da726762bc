import type { Load } from './generation/slot-pool';

/**
 * Which engine's metric names the sim's load gauges carry (SIM_METRICS_FLAVOR), so
 * tests can show the control plane reading each engine (issue 21 item 4).
 * `sim` is the historical default: the sim's own names plus vLLM's.
 */
export const METRICS_FLAVORS = ['sim', 'vllm', 'vllm-v0', 'sglang', 'llamacpp', 'tgi'] as const;
export type MetricsFlavor = (typeof METRICS_FLAVORS)[number];

/** One load gauge: its name, help, the engine's labels (model_name gets the first served model), and what it reads. */
export interface LoadGaugeSpec {
  name: string;
  help: string;
  labels: Readonly<Record<string, 'model' | string>>;
  read: (load: Load) => number;
}

const running = (l: Load) => l.running;
const waiting = (l: Load) => l.waiting;
const kv = (l: Load) => l.kv_cache_usage;
const VLLM_LABELS = { engine: '0', model_name: 'model' } as const;
const SGLANG_LABELS = { model_name: 'model', tp_rank: '0' } as const;

const VLLM_LOAD: readonly LoadGaugeSpec[] = [
  { name: 'vllm:num_requests_running', help: 'vLLM-compatible: requests in model execution batches.', labels: VLLM_LABELS, read: running },
  { name: 'vllm:num_requests_waiting', help: 'vLLM-compatible: requests waiting to be processed.', labels: VLLM_LABELS, read: waiting },
];

/**
 * The load gauges of each flavour under the engine's own names (see
 * docs/observability.md "Engine load metrics"). TGI exports no KV-cache
 * fraction; current llama.cpp builds do not either, so the llamacpp flavour
 * exports the ratio older builds had (the parser must cope with both).
 */
export const LOAD_GAUGES = {
  sim: [
    { name: 'sim_running_requests', help: 'Requests generating now.', labels: {}, read: running },
    { name: 'sim_waiting_requests', help: 'Requests queued for a generation slot (SIM_MAX_RUNNING).', labels: {}, read: waiting },
    { name: 'sim_kv_cache_usage_ratio', help: 'Simulated KV-cache usage, 0..1.', labels: {}, read: kv },
    { name: 'vllm:num_requests_running', help: 'vLLM-compatible: requests running.', labels: {}, read: running },
    { name: 'vllm:num_requests_waiting', help: 'vLLM-compatible: requests waiting.', labels: {}, read: waiting },
    { name: 'vllm:gpu_cache_usage_perc', help: 'vLLM-compatible (v0 name): KV-cache usage, 0..1.', labels: {}, read: kv },
    { name: 'vllm:kv_cache_usage_perc', help: 'vLLM-compatible (v1 name): KV-cache usage, 0..1.', labels: {}, read: kv },
  ],
  vllm: [...VLLM_LOAD, { name: 'vllm:kv_cache_usage_perc', help: 'KV-cache usage. 1 means 100 percent usage.', labels: VLLM_LABELS, read: kv }],
  'vllm-v0': [...VLLM_LOAD, { name: 'vllm:gpu_cache_usage_perc', help: 'GPU KV-cache usage. 1 means 100 percent usage.', labels: VLLM_LABELS, read: kv }],
  sglang: [
    { name: 'sglang:num_running_reqs', help: 'The number of running requests.', labels: SGLANG_LABELS, read: running },
    { name: 'sglang:num_queue_reqs', help: 'The number of requests in the waiting queue.', labels: SGLANG_LABELS, read: waiting },
    { name: 'sglang:token_usage', help: 'The token usage.', labels: SGLANG_LABELS, read: kv },
  ],
  llamacpp: [
    { name: 'llamacpp:requests_processing', help: 'Number of requests processing.', labels: {}, read: running },
    { name: 'llamacpp:requests_deferred', help: 'Number of requests deferred.', labels: {}, read: waiting },
    { name: 'llamacpp:kv_cache_usage_ratio', help: 'KV-cache usage. 1 means 100 percent usage.', labels: {}, read: kv },
  ],
  tgi: [
    { name: 'tgi_batch_current_size', help: 'Current batch size.', labels: {}, read: running },
    { name: 'tgi_queue_size', help: 'Current queue size.', labels: {}, read: waiting },
  ],
} satisfies Record<MetricsFlavor, readonly LoadGaugeSpec[]>;
