import { Counter, Gauge, type Registry } from 'prom-client';
import type { Load } from './generation/slot-pool';

export type RequestOutcome = 'completed' | 'aborted' | 'fault' | 'error';

export interface SimMetrics {
  request(route: string, outcome: RequestOutcome): void;
  tokens(promptTokens: number, completionTokens: number): void;
  /** A prefix-cache lookup: prompt tokens found cached out of those looked up. */
  prefixCache(hitTokens: number, queryTokens: number): void;
}

/** Routes the sim serves; anything else is counted as `other` so labels stay bounded. */
export const METRIC_ROUTES = ['/v1/chat/completions', '/v1/completions', '/v1/embeddings', '/v1/models'] as const;

/**
 * Every metric of the sim. The load report is exported twice: under the sim's own
 * names and under vLLM's (`vllm:num_requests_running`...), so a probe written for
 * vLLM reads the sim unchanged. Gauges read the live load at scrape time.
 */
export function createSimMetrics(registry: Registry, load: () => Load): SimMetrics {
  const gauge = (name: string, help: string, read: (l: Load) => number) =>
    new Gauge({
      name,
      help,
      registers: [registry],
      collect() {
        this.set(read(load()));
      },
    });
  gauge('sim_running_requests', 'Requests generating now.', (l) => l.running);
  gauge('sim_waiting_requests', 'Requests queued for a generation slot (SIM_MAX_RUNNING).', (l) => l.waiting);
  gauge('sim_kv_cache_usage_ratio', 'Simulated KV-cache usage, 0..1.', (l) => l.kv_cache_usage);
  gauge('vllm:num_requests_running', 'vLLM-compatible: requests running.', (l) => l.running);
  gauge('vllm:num_requests_waiting', 'vLLM-compatible: requests waiting.', (l) => l.waiting);
  gauge('vllm:gpu_cache_usage_perc', 'vLLM-compatible (v0 name): KV-cache usage, 0..1.', (l) => l.kv_cache_usage);
  gauge('vllm:kv_cache_usage_perc', 'vLLM-compatible (v1 name): KV-cache usage, 0..1.', (l) => l.kv_cache_usage);

  const requests = new Counter({ name: 'sim_requests_total', help: 'Requests by route and outcome.', labelNames: ['route', 'outcome'], registers: [registry] });
  const promptTokens = new Counter({ name: 'sim_prompt_tokens_total', help: 'Prompt tokens of served requests.', registers: [registry] });
  const generatedTokens = new Counter({ name: 'sim_generation_tokens_total', help: 'Tokens generated.', registers: [registry] });
  const cacheHits = new Counter({ name: 'sim_prefix_cache_hit_tokens_total', help: 'Prompt tokens served from the prefix cache (SIM_PREFIX_CACHE_BLOCKS).', registers: [registry] });
  const cacheQueries = new Counter({ name: 'sim_prefix_cache_query_tokens_total', help: 'Prompt tokens looked up in the prefix cache.', registers: [registry] });
  const known = new Set<string>(METRIC_ROUTES);
  return {
    request: (route, outcome) => requests.inc({ route: known.has(route) ? route : 'other', outcome }),
    tokens(prompt, completion) {
      promptTokens.inc(prompt);
      generatedTokens.inc(completion);
    },
    prefixCache(hit, query) {
      cacheHits.inc(hit);
      cacheQueries.inc(query);
    },
  };
}
