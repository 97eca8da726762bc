import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { BreakerState } from '@switchyard/proto';
import { LATENCY_BUCKETS_SECONDS } from '@switchyard/observability';

/** Upstream failure kinds, the `kind` label (also the GatewayReport's errors_by_kind keys). */
/**
 * `status_401`/`status_403`/`status_404`: the scheduler refused or did not know a routed request while others answered
 * (misconfiguration, issue 21); `request_error`: an error answer judged the request's own fault (counted against no one).
 */
export type UpstreamErrorKind = 'connect' | 'reset' | 'timeout' | 'status_5xx' | 'status_429' | 'status_401' | 'status_403' | 'status_404' | 'request_error' | 'stream';

/** Why a request was refused by a limit, the `reason` label of `switchyard_gateway_rate_limited_total`. */
export type RateLimitReason = 'rpm' | 'tpm' | 'concurrency' | 'global_concurrency';

export interface GatewayMetrics {
  /** One finished client request; `model` must already be a table name or "unknown". */
  requestFinished(model: string, scheduler: string, status: number, seconds: number): void;
  /** The same request by endpoint (issue 17: every routed endpoint, a bounded set). */
  endpointRequest(endpoint: string, status: number): void;
  upstreamError(scheduler: string, kind: UpstreamErrorKind): void;
  /** Time from sending a streamed request to its first body chunk. */
  timeToFirstToken(model: string, seconds: number): void;
  /** Mean time between output tokens after the first one, of one streamed response. */
  timePerOutputToken(model: string, seconds: number): void;
  /** Token counts from the upstream `usage` object, when the response carried one. */
  tokens(model: string, promptTokens: number, completionTokens: number): void;
  requestStarted(): void;
  requestEnded(): void;
  streamStarted(): void;
  streamEnded(): void;
  /** Another attempt after a failed one; `reason` is the failure that caused it. */
  retry(reason: UpstreamErrorKind): void;
  /** The local circuit breaker of a scheduler changed state (issue 5). */
  breakerState(scheduler: string, state: BreakerState): void;
  /** A request refused by a key or gateway limit (issue 6). */
  rateLimited(reason: RateLimitReason): void;
  /** A pick made in panic mode: no healthy scheduler of `model` (a table name), so all non-draining ones were used (issue 4). */
  panicRouting(model: string): void;
  /** A cache-aware pick: leading prompt blocks the prefix index expected on `scheduler`, of the request's `blocks` (issue 18). */
  prefixPick(scheduler: string, matchedBlocks: number, blocks: number): void;
  /** Placements other gateways routed, received through the control plane (issue 18: cache-aware gateways agree). */
  peerPlacements(count: number): void;
  /** Per-key limits fell back to this gateway's own counters (Redis unreachable) or shared again (issue 6). */
  rateLimitFallback(active: boolean): void;
  /** One admitted request of a key's `user` (never the key) and its tokens (issue 6 usage accounting). */
  usage(user: string, model: string, promptTokens: number, completionTokens: number): void;
  /** A mid-stream continuation was sent, or ended with `[DONE]` / failed (issue 10). */
  streamResumption(outcome: 'attempted' | 'succeeded' | 'failed'): void;
}

export interface TableInfo {
  version(): number;
  ageSeconds(): number;
}

/** OpenTelemetry GenAI's advice for time to first token, stretched to the long prompts LLM servers see. */
export const TTFT_BUCKETS_SECONDS = [0.005, 0.01, 0.02, 0.04, 0.06, 0.08, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10, 30, 60];
/** OpenTelemetry GenAI's advice for time per output token, with a finer low end for fast decoders. */
export const TPOT_BUCKETS_SECONDS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.15, 0.2, 0.3, 0.4, 0.5, 0.75, 1, 2.5];
/** OpenTelemetry GenAI's advice for gen_ai.client.token.usage (powers of 4). */
export const TOKEN_BUCKETS = [1, 4, 16, 64, 256, 1024, 4096, 16384, 65536, 262144, 1048576];

const BREAKER_VALUE: Record<string, number> = { closed: 0, half_open: 1, open: 2 };

/**
 * Every metric of the gateway, on the service's registry. Label values are bounded:
 * models and schedulers come from the routing table (else "unknown"/"none"), the
 * other labels from fixed sets. Labelled children are cached, so the hot path
 * skips prom-client's label hashing and allocates no label objects.
 */
export function createGatewayMetrics(registry: Registry, table: TableInfo): GatewayMetrics {
  const counts = createDeferredCounts();
  const m = defineMetrics(registry, counts);
  registerTableGauges(registry, table);
  const requests = cachedByKey((key: string) => counts.of(m.requests.labels(...(key.split('\u0000') as [string, string, string]))));
  // Per endpoint, one child per status class (index 5 for 5xx), made when first used: no key string per request.
  const endpointRequests = cachedByKey((_endpoint: string): Array<Increment | undefined> => []);
  const duration = cachedByKey((model: string) => m.duration.labels(model));
  const ttft = cachedByKey((model: string) => [m.ttft.labels(model), m.ttftOtel.labels(model)] as const);
  const tpot = cachedByKey((model: string) => [m.tpot.labels(model), m.tpotOtel.labels(model)] as const);
  const tokenCounters = cachedByKey((model: string) => [counts.of(m.tokens.labels(model, 'prompt')), counts.of(m.tokens.labels(model, 'completion'))] as const);
  const tokenUsage = cachedByKey((model: string) => [m.tokenUsage.labels(model, 'input'), m.tokenUsage.labels(model, 'output')] as const);
  const usage = cachedByKey((key: string) => {
    const [user, model] = key.split('\u0000') as [string, string];
    return [counts.of(m.usageRequests.labels(user, model)), counts.of(m.usageTokens.labels(user, model, 'prompt')), counts.of(m.usageTokens.labels(user, model, 'completion'))] as const;
  });
  const panic = cachedByKey((model: string) => m.panicRouting.labels(model));
  const prefix = cachedByKey((scheduler: string) => [counts.of(m.prefixQueryBlocks.labels(scheduler)), counts.of(m.prefixExpectedHitBlocks.labels(scheduler))] as const);
  return {
    requestFinished(model, scheduler, status, seconds) {
      requests(`${model}\u0000${scheduler}\u0000${statusClassOf(status)}`).inc();
      duration(model).observe(seconds);
    },
    endpointRequest(endpoint, status) {
      const byClass = endpointRequests(endpoint);
      (byClass[Math.floor(status / 100)] ??= counts.of(m.endpointRequests.labels(endpoint, statusClassOf(status)))).inc();
    },
    upstreamError: (scheduler, kind) => m.upstreamErrors.labels(scheduler, kind).inc(),
    timeToFirstToken(model, seconds) {
      const [own, otel] = ttft(model);
      own.observe(seconds);
      otel.observe(seconds);
    },
    timePerOutputToken(model, seconds) {
      const [own, otel] = tpot(model);
      own.observe(seconds);
      otel.observe(seconds);
    },
    tokens(model, promptTokens, completionTokens) {
      const [prompt, completion] = tokenCounters(model);
      const [input, output] = tokenUsage(model);
      prompt.inc(promptTokens);
      completion.inc(completionTokens);
      input.observe(promptTokens);
      output.observe(completionTokens);
    },
    requestStarted: () => void (counts.activeRequests += 1),
    requestEnded: () => void (counts.activeRequests -= 1),
    streamStarted: () => m.streams.inc(),
    streamEnded: () => m.streams.dec(),
    retry: (reason) => m.retries.labels(reason).inc(),
    breakerState: (scheduler, state) => m.breaker.labels(scheduler).set(BREAKER_VALUE[state] ?? 0),
    rateLimited: (reason) => m.rateLimited.labels(reason).inc(),
    panicRouting: (model) => panic(model).inc(),
    prefixPick(scheduler, matchedBlocks, blocks) {
      const [query, hit] = prefix(scheduler);
      query.inc(blocks);
      if (matchedBlocks > 0) hit.inc(matchedBlocks);
    },
    peerPlacements: (count) => m.peerPlacements.inc(count),
    rateLimitFallback: (active) => m.rateLimitFallback.set(active ? 1 : 0),
    usage(user, model, promptTokens, completionTokens) {
      const [requests, prompt, completion] = usage(`${user}\u0000${model}`);
      requests.inc();
      if (promptTokens > 0) prompt.inc(promptTokens);
      if (completionTokens > 0) completion.inc(completionTokens);
    },
    streamResumption: (outcome) => m.resumptions.labels(outcome).inc(),
  };
}

function statusClassOf(status: number): string {
  return `${Math.floor(status / 100)}xx`;
}

function defineMetrics(registry: Registry, counts: DeferredCounts) {
  const registers = [registry];
  // The per-request counters take their increments from `counts` when collected (scrape).
  const collect = () => counts.apply();
  const histogram = (name: string, help: string, buckets: number[]) => new Histogram({ name, help, labelNames: ['model'] as const, buckets, registers });
  return {
    requests: new Counter({
      name: 'switchyard_gateway_requests_total',
      help: 'Client requests on the OpenAI POST routes, by model, scheduler and status class (499 = client left first).',
      labelNames: ['model', 'scheduler', 'status_class'] as const,
      registers,
      collect,
    }),
    endpointRequests: new Counter({
      name: 'switchyard_gateway_endpoint_requests_total',
      help: 'Client requests on the routes sent to schedulers, by endpoint (chat_completions, responses, messages, rerank, …) and status class.',
      labelNames: ['endpoint', 'status_class'] as const,
      registers,
      collect,
    }),
    duration: histogram('switchyard_gateway_request_duration_seconds', 'Time from the request to the end of the response (whole stream included).', LATENCY_BUCKETS_SECONDS),
    ttft: histogram('switchyard_gateway_time_to_first_token_seconds', 'Streams: time from sending the request upstream to the first body chunk.', TTFT_BUCKETS_SECONDS),
    ttftOtel: histogram('gen_ai_server_time_to_first_token_seconds', 'Time to the first streamed chunk, as the gateway sees it (OpenTelemetry GenAI name).', TTFT_BUCKETS_SECONDS),
    tpot: histogram('switchyard_gateway_time_per_output_token_seconds', 'Streams: mean inter-token latency after the first chunk (needs upstream usage).', TPOT_BUCKETS_SECONDS),
    tpotOtel: histogram('gen_ai_server_time_per_output_token_seconds', 'Mean time per output token after the first one (OpenTelemetry GenAI name).', TPOT_BUCKETS_SECONDS),
    upstreamErrors: new Counter({
      name: 'switchyard_gateway_upstream_errors_total',
      help: 'Upstream failures by scheduler and kind (connect, reset, timeout, status_5xx, status_429, status_401, status_403, status_404, stream; request_error: an error answer judged the request\'s own fault).',
      labelNames: ['scheduler', 'kind'] as const,
      registers,
    }),
    active: new Gauge({
      name: 'switchyard_gateway_active_requests',
      help: 'Requests in progress on the OpenAI POST routes.',
      registers,
      collect() {
        this.set(counts.activeRequests);
      },
    }),
    streams: new Gauge({ name: 'switchyard_gateway_active_streams', help: 'Streamed (SSE) responses being relayed right now.', registers }),
    retries: new Counter({ name: 'switchyard_gateway_retries_total', help: 'Extra attempts on another scheduler, by the failure that caused them.', labelNames: ['reason'] as const, registers }),
    breaker: new Gauge({ name: 'switchyard_gateway_breaker_state', help: 'Local circuit breaker per scheduler: 0 closed, 1 half-open, 2 open.', labelNames: ['scheduler'] as const, registers }),
    tokens: new Counter({
      name: 'switchyard_gateway_tokens_total',
      help: 'Tokens from the upstream usage object, by model and type (prompt, completion).',
      labelNames: ['model', 'type'] as const,
      registers,
      collect,
    }),
    tokenUsage: new Histogram({
      name: 'gen_ai_client_token_usage',
      help: 'Tokens per request by type, input (prompt) or output (completion) (OpenTelemetry GenAI name).',
      labelNames: ['model', 'gen_ai_token_type'] as const,
      buckets: TOKEN_BUCKETS,
      registers,
    }),
    rateLimited: new Counter({
      name: 'switchyard_gateway_rate_limited_total',
      help: 'Requests refused by a limit, by reason (rpm, tpm, concurrency, global_concurrency).',
      labelNames: ['reason'] as const,
      registers,
    }),
    panicRouting: new Counter({
      name: 'switchyard_gateway_panic_routing_total',
      help: 'Picks made in panic mode: no healthy scheduler of the model was available, so every non-draining one was a candidate.',
      labelNames: ['model'] as const,
      registers,
    }),
    prefixQueryBlocks: new Counter({
      name: 'switchyard_gateway_prefix_query_blocks_total',
      help: 'cache-aware: prompt blocks (256 characters) of the requests sent to each scheduler. With prefix_expected_hit_blocks_total: the hit rate the prefix index expected, to compare with the engine\'s own (vllm:prefix_cache_hits_total / queries, sglang:cache_hit_rate).',
      labelNames: ['scheduler'] as const,
      registers,
      collect,
    }),
    prefixExpectedHitBlocks: new Counter({
      name: 'switchyard_gateway_prefix_expected_hit_blocks_total',
      help: 'cache-aware: leading prompt blocks the prefix index expected each scheduler to hold when a request was sent to it.',
      labelNames: ['scheduler'] as const,
      registers,
      collect,
    }),
    peerPlacements: new Counter({
      name: 'switchyard_gateway_peer_placements_received_total',
      help: 'cache-aware: prompts other gateways routed, received through the control plane and recorded in this gateway\'s prefix index. Flat while other gateways route cache-aware: this gateway learns only from its own picks.',
      registers,
    }),
    rateLimitFallback: new Gauge({
      name: 'switchyard_gateway_rate_limit_fallback_active',
      help: '1 while per-key limits use this gateway\'s own counters because Redis is unreachable, else 0.',
      registers,
    }),
    usageRequests: new Counter({
      name: 'switchyard_gateway_usage_requests_total',
      help: 'Admitted requests by key user (never the key) and model.',
      labelNames: ['user', 'model'] as const,
      registers,
      collect,
    }),
    resumptions: new Counter({
      name: 'switchyard_gateway_stream_resumptions_total',
      help: 'Mid-stream continuations on another scheduler: attempted, succeeded (ended with [DONE]), failed.',
      labelNames: ['outcome'] as const,
      registers,
    }),
    usageTokens: new Counter({
      name: 'switchyard_gateway_usage_tokens_total',
      help: 'Tokens from upstream usage by key user (never the key), model and type (prompt, completion).',
      labelNames: ['user', 'model', 'type'] as const,
      registers,
      collect,
    }),
  };
}

function registerTableGauges(registry: Registry, table: TableInfo): void {
  new Gauge({
    name: 'switchyard_gateway_routing_table_version',
    help: 'Version of the applied routing table (0 before the first).',
    registers: [registry],
    collect() {
      this.set(table.version());
    },
  });
  new Gauge({
    name: 'switchyard_gateway_routing_table_age_seconds',
    help: 'Seconds since the applied routing table was generated.',
    registers: [registry],
    collect() {
      this.set(table.ageSeconds());
    },
  });
}

/** Labelled children by their label values (joined by NUL when several), each made once. */
function cachedByKey<T>(make: (key: string) => T): (key: string) => T {
  const children = new Map<string, T>();
  return (key) => {
    let child = children.get(key);
    if (child === undefined) children.set(key, (child = make(key)));
    return child;
  };
}

/** A counter child as the hot path uses it. */
interface Increment {
  inc(value?: number): void;
}

/**
 * Hot-path counts kept as plain numbers and handed to prom-client when the
 * registry is collected: prom-client hashes the label set again on every inc()
 * even on a cached child, several times per request (issue 9 profile).
 */
interface DeferredCounts {
  /** A child whose increments wait here until apply(). */
  of(child: Increment): Increment;
  /** Adds what each child gathered since the last call to its counter. */
  apply(): void;
  /** switchyard_gateway_active_requests. */
  activeRequests: number;
}

function createDeferredCounts(): DeferredCounts {
  const pending: Array<{ child: Increment; amount: number }> = [];
  return {
    activeRequests: 0,
    of(child) {
      const entry = { child, amount: 0 };
      pending.push(entry);
      return {
        inc(value = 1) {
          // prom-client would throw on a negative count, at scrape time now: such a value is dropped here instead.
          if (value > 0) entry.amount += value;
        },
      };
    },
    apply() {
      for (const entry of pending) {
        if (entry.amount === 0) continue;
        entry.child.inc(entry.amount);
        entry.amount = 0;
      }
    },
  };
}
