import { parseLoadMetrics, sampleValues } from './load-metrics';

const VLLM = `# HELP vllm:num_requests_running Number of requests in model execution batches.
# TYPE vllm:num_requests_running gauge
vllm:num_requests_running{engine="0",model_name="meta-llama/Llama-3-8B"} 7.0
vllm:num_requests_running{engine="1",model_name="meta-llama/Llama-3-8B"} 5.0
# HELP vllm:num_requests_waiting Number of requests waiting to be processed.
# TYPE vllm:num_requests_waiting gauge
vllm:num_requests_waiting{engine="0",model_name="meta-llama/Llama-3-8B"} 3.0
vllm:num_requests_waiting{engine="1",model_name="meta-llama/Llama-3-8B"} 0.0
# HELP vllm:kv_cache_usage_perc KV-cache usage. 1 means 100 percent usage.
# TYPE vllm:kv_cache_usage_perc gauge
vllm:kv_cache_usage_perc{engine="0",model_name="meta-llama/Llama-3-8B"} 0.42
vllm:kv_cache_usage_perc{engine="1",model_name="meta-llama/Llama-3-8B"} 0.87
# HELP vllm:num_requests_running_total not a real metric: a longer name sharing the prefix
vllm:num_requests_running_total 999
vllm:time_to_first_token_seconds_bucket{le="0.1",model_name="meta-llama/Llama-3-8B"} 12.0
`;

const VLLM_V0 = `vllm:num_requests_running{model_name="m"} 2
vllm:num_requests_waiting{model_name="m"} 9
vllm:gpu_cache_usage_perc{model_name="m"} 0.5
`;

const SGLANG = `# HELP sglang:num_running_reqs The number of running requests.
# TYPE sglang:num_running_reqs gauge
sglang:num_running_reqs{model_name="Qwen/Qwen2-7B",tp_rank="0"} 16.0
# HELP sglang:num_queue_reqs The number of requests in the waiting queue.
# TYPE sglang:num_queue_reqs gauge
sglang:num_queue_reqs{model_name="Qwen/Qwen2-7B",tp_rank="0"} 4.0
# HELP sglang:token_usage The token usage.
# TYPE sglang:token_usage gauge
sglang:token_usage{model_name="Qwen/Qwen2-7B",tp_rank="0"} 0.93
`;

/** What the sim exports (services/sim-scheduler/src/metrics.ts): its own names and vLLM's. */
const SIM = `# HELP sim_running_requests Requests generating now.
# TYPE sim_running_requests gauge
sim_running_requests 1
# TYPE sim_waiting_requests gauge
sim_waiting_requests 3
# TYPE sim_kv_cache_usage_ratio gauge
sim_kv_cache_usage_ratio 0.0123
# TYPE vllm:num_requests_running gauge
vllm:num_requests_running 1
# TYPE vllm:num_requests_waiting gauge
vllm:num_requests_waiting 3
# TYPE vllm:gpu_cache_usage_perc gauge
vllm:gpu_cache_usage_perc 0.0123
# TYPE vllm:kv_cache_usage_perc gauge
vllm:kv_cache_usage_perc 0.0123
`;

/** llama-server --metrics, a build from before the KV-cache gauges were dropped. */
const LLAMACPP = `# HELP llamacpp:prompt_tokens_total Number of prompt tokens processed.
# TYPE llamacpp:prompt_tokens_total counter
llamacpp:prompt_tokens_total 48213
# HELP llamacpp:tokens_predicted_total Number of generation tokens processed.
# TYPE llamacpp:tokens_predicted_total counter
llamacpp:tokens_predicted_total 9120
# HELP llamacpp:prompt_tokens_seconds Average prompt throughput in tokens/s.
# TYPE llamacpp:prompt_tokens_seconds gauge
llamacpp:prompt_tokens_seconds 812.4
# HELP llamacpp:kv_cache_usage_ratio KV-cache usage. 1 means 100 percent usage.
# TYPE llamacpp:kv_cache_usage_ratio gauge
llamacpp:kv_cache_usage_ratio 0.61
# HELP llamacpp:kv_cache_tokens KV-cache tokens.
# TYPE llamacpp:kv_cache_tokens gauge
llamacpp:kv_cache_tokens 2498
# HELP llamacpp:requests_processing Number of requests processing.
# TYPE llamacpp:requests_processing gauge
llamacpp:requests_processing 4
# HELP llamacpp:requests_deferred Number of requests deferred.
# TYPE llamacpp:requests_deferred gauge
llamacpp:requests_deferred 7
# HELP llamacpp:n_decode_total Total number of llama_decode() calls
# TYPE llamacpp:n_decode_total counter
llamacpp:n_decode_total 3301
`;

/** A current llama-server: no KV-cache gauges any more. */
const LLAMACPP_NO_KV = LLAMACPP.replace(/^.*llamacpp:kv_cache.*$/gm, '');

/** TGI's router: the current batch and the queue; no KV-cache fraction. */
const TGI = `# TYPE tgi_request_count counter
tgi_request_count{method="POST"} 5120
# TYPE tgi_queue_size gauge
tgi_queue_size 6
# TYPE tgi_batch_current_size gauge
tgi_batch_current_size 14
# TYPE tgi_batch_current_max_tokens gauge
tgi_batch_current_max_tokens 18230
# TYPE tgi_batch_next_size histogram
tgi_batch_next_size_bucket{le="1"} 40
tgi_batch_next_size_sum 912
tgi_batch_next_size_count 200
`;

describe('parseLoadMetrics', () => {
  it('sums vLLM running/waiting over engines and takes the fullest KV cache, ignoring longer names', () => {
    expect(parseLoadMetrics(VLLM)).toEqual({ running: 12, waiting: 3, kv_cache_usage: 0.87, source: 'vllm', metrics: ['vllm:num_requests_running', 'vllm:num_requests_waiting', 'vllm:kv_cache_usage_perc'] });
  });

  it('reads the vLLM v0 KV-cache name', () => {
    expect(parseLoadMetrics(VLLM_V0)).toEqual({ running: 2, waiting: 9, kv_cache_usage: 0.5, source: 'vllm', metrics: ['vllm:num_requests_running', 'vllm:num_requests_waiting', 'vllm:gpu_cache_usage_perc'] });
  });

  it('reads SGLang names', () => {
    expect(parseLoadMetrics(SGLANG)).toEqual({ running: 16, waiting: 4, kv_cache_usage: 0.93, source: 'sglang', metrics: ['sglang:num_running_reqs', 'sglang:num_queue_reqs', 'sglang:token_usage'] });
  });

  it('reads llama.cpp names (issue 21 item 4), with the KV-cache ratio older builds export', () => {
    expect(parseLoadMetrics(LLAMACPP)).toEqual({
      running: 4,
      waiting: 7,
      kv_cache_usage: 0.61,
      source: 'llamacpp',
      metrics: ['llamacpp:requests_processing', 'llamacpp:requests_deferred', 'llamacpp:kv_cache_usage_ratio'],
    });
  });

  it('reads a current llama.cpp without KV-cache gauges as 0 KV usage, still with its load', () => {
    expect(parseLoadMetrics(LLAMACPP_NO_KV)).toEqual({ running: 4, waiting: 7, kv_cache_usage: 0, source: 'llamacpp', metrics: ['llamacpp:requests_processing', 'llamacpp:requests_deferred'] });
  });

  it('reads TGI names: the current batch runs, the queue waits', () => {
    expect(parseLoadMetrics(TGI)).toEqual({ running: 14, waiting: 6, kv_cache_usage: 0, source: 'tgi', metrics: ['tgi_batch_current_size', 'tgi_queue_size'] });
  });

  it('sums SGLang series of several tensor-parallel ranks and models', () => {
    const text = `${SGLANG}sglang:num_running_reqs{model_name="Qwen/Qwen2-7B",tp_rank="1"} 2.0\nsglang:num_queue_reqs{model_name="other",tp_rank="0"} 1.0\nsglang:token_usage{model_name="other",tp_rank="0"} 0.2\n`;
    expect(parseLoadMetrics(text)).toMatchObject({ running: 18, waiting: 5, kv_cache_usage: 0.93, source: 'sglang' });
  });

  it('reads the sim once, not once per naming', () => {
    expect(parseLoadMetrics(SIM)).toMatchObject({ running: 1, waiting: 3, kv_cache_usage: 0.0123, source: 'sim' });
    expect(parseLoadMetrics(SIM.replace(/^vllm:.*$/gm, ''))).toMatchObject({ running: 1, waiting: 3, kv_cache_usage: 0.0123, source: 'sim' });
    expect(parseLoadMetrics(SIM.replace(/^sim_.*$/gm, ''))).toMatchObject({ running: 1, waiting: 3, kv_cache_usage: 0.0123, source: 'vllm' });
  });

  it('gives no report without load gauges, and 0 KV usage when only that gauge is missing', () => {
    expect(parseLoadMetrics('# nothing here\nprocess_cpu_seconds_total 3\n')).toBeUndefined();
    expect(parseLoadMetrics('')).toBeUndefined();
    expect(parseLoadMetrics('sglang:num_queue_reqs 2\n')).toEqual({ running: 0, waiting: 2, kv_cache_usage: 0, source: 'sglang', metrics: ['sglang:num_queue_reqs'] });
  });

  it('handles labels with braces and spaces in quotes, timestamps, CRLF-free odd spacing and junk values', () => {
    const text = 'vllm:num_requests_running{model_name="a } b",x="\\"q\\""} 4 1700000000000\nvllm:num_requests_running{bad 7\nvllm:num_requests_running NaN\nvllm:num_requests_running\t2\n';
    expect(sampleValues(text, 'vllm:num_requests_running')).toEqual([4, 2]);
    expect(parseLoadMetrics('vllm:num_requests_running -3\nvllm:kv_cache_usage_perc 1.7\n')).toMatchObject({ running: 0, waiting: 0, kv_cache_usage: 1 });
  });

  it('scans a large exposition quickly', () => {
    const noise = Array.from({ length: 3_000 }, (_, i) => `vllm:e2e_request_latency_seconds_bucket{le="${i}",model_name="m"} ${i}`).join('\n');
    const text = `${noise}\n${VLLM}\n${noise}\n`;
    const started = performance.now();
    for (let i = 0; i < 100; i++) parseLoadMetrics(text);
    expect(parseLoadMetrics(text)).toMatchObject({ running: 12, waiting: 3, kv_cache_usage: 0.87 });
    expect((performance.now() - started) / 100).toBeLessThan(5);
  });

  it("reads each engine's prefix-cache account (issue 18 item 4): vLLM counters old and new, SGLang's gauge, the sim's", () => {
    const vllm = 'vllm:num_requests_running{model_name="m"} 1\nvllm:prefix_cache_queries_total{model_name="m"} 1000\nvllm:prefix_cache_hits_total{model_name="m"} 750\n';
    expect(parseLoadMetrics(vllm)).toMatchObject({ source: 'vllm', prefix_cache: { hit_rate: 0.75, hits: 750, queries: 1000 } });
    expect(parseLoadMetrics(vllm)!.metrics).toEqual(['vllm:num_requests_running', 'vllm:prefix_cache_hits_total', 'vllm:prefix_cache_queries_total']);
    const v0 = 'vllm:num_requests_running 1\nvllm:gpu_prefix_cache_hits_total 20\nvllm:gpu_prefix_cache_queries_total 80\n';
    expect(parseLoadMetrics(v0)).toMatchObject({ prefix_cache: { hit_rate: 0.25 } });
    expect(parseLoadMetrics('vllm:num_requests_running 1\nvllm:prefix_cache_hits_total 0\nvllm:prefix_cache_queries_total 0\n')).toMatchObject({ prefix_cache: { hit_rate: 0 } });
    expect(parseLoadMetrics('sglang:num_running_reqs 3\nsglang:cache_hit_rate{tp_rank="0"} 0.42\n')).toMatchObject({ source: 'sglang', prefix_cache: { hit_rate: 0.42 } });
    expect(parseLoadMetrics('sim_running_requests 1\nsim_prefix_cache_hit_tokens_total 30\nsim_prefix_cache_query_tokens_total 40\n')).toMatchObject({ source: 'sim', prefix_cache: { hit_rate: 0.75 } });
    expect(parseLoadMetrics('vllm:num_requests_running 1\n')).not.toHaveProperty('prefix_cache');
  });

  it('reads the KV-cache capacity in tokens where the engine exports it', () => {
    const info = 'vllm:num_requests_running 1\nvllm:cache_config_info{block_size="16",cache_dtype="auto",num_gpu_blocks="2048",num_cpu_blocks="0"} 1.0\n';
    expect(parseLoadMetrics(info)).toMatchObject({ kv_cache_capacity_tokens: 32_768 });
    expect(parseLoadMetrics('sglang:num_running_reqs 1\nsglang:max_total_num_tokens 500000\n')).toMatchObject({ kv_cache_capacity_tokens: 500_000 });
    expect(parseLoadMetrics('vllm:num_requests_running 1\nvllm:cache_config_info{block_size="16"} 1\n')).not.toHaveProperty('kv_cache_capacity_tokens');
  });
});
