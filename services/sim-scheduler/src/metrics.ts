import { Counter, Gauge, type Registry } from 'prom-client';
import type { Load } from './generation/slot-pool';
import { LOAD_GAUGES, type MetricsFlavor } from './metrics-flavors';

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
 * Every metric of the sim. The load report carries the names of the engine the
 * sim plays (SIM_METRICS_FLAVOR, metrics-flavors.ts); by default its own names and
 * vLLM's, so a probe written for vLLM reads the sim unchanged. Gauges read the
 * live load at scrape time.
 */
export function createSimMetrics(registry: Registry, load: () => Load, flavor: MetricsFlavor = 'sim', model = 'sim-model'): SimMetrics {
  for (const spec of LOAD_GAUGES[flavor]) {
    const labels = Object.fromEntries(Object.entries(spec.labels).map(([k, v]) => [k, v === 'model' ? model : v]));
    new Gauge({
      name: spec.name,
      help: spec.help,
      labelNames: Object.keys(labels),
      registers: [registry],
      collect() {
        this.set(labels, spec.read(load()));
      },
    });
  }

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
