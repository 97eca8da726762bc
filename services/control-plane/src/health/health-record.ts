import type { LoadReport, RecoveryStep } from '@switchyard/routing';
import type { LoadSource, PrefixCacheSignal } from './load-metrics';

/**
 * What the active prober knows of one scheduler (issue 4). Plain JSON so a Redis
 * store keeps it as part of one value, and a new leader can continue the
 * counters and recovery steps where the previous one stopped.
 */
export interface ProbeRecord {
  /** The URL these results are for; a scheduler re-registered elsewhere starts over. */
  url: string;
  /** What the probes alone say, after the healthy/unhealthy thresholds. */
  status: 'healthy' | 'unhealthy';
  recovery: RecoveryStep;
  consecutive_ok: number;
  consecutive_failures: number;
  last_probe_at_ms: number | null;
  last_probe_duration_ms: number | null;
  /** Good probes in a row that took more than half of PROBE_TIMEOUT_MS. */
  consecutive_slow: number;
  /** Alive but struggling: PROBE_UNHEALTHY_THRESHOLD slow probes in a row (one slow answer is noise). */
  slow: boolean;
  last_error?: string;
  /**
   * From the last readable GET /metrics; absent when the server exposes no load gauges.
   * `source` and `metrics` name the engine's gauges (absent in records stored by older releases).
   */
  load?: LoadReport & { source?: LoadSource; metrics?: string[]; prefix_cache?: PrefixCacheSignal; kv_cache_capacity_tokens?: number };
  /** `/v1/models` once `/health` answered 404 (servers without a health route). */
  health_path: '/health' | '/v1/models';
}

/**
 * Additive passive-health sums for one scheduler over a window, so the sums of
 * several gateways and several control-plane replicas merge by addition.
 * Latency p95s are weighted by the requests they summarize.
 */
export interface PassiveSums {
  requests: number;
  /** Only upstream faults: connect, timeout, reset, status_5xx, stream (never 4xx or 429). */
  errors: number;
  /** Routed requests the scheduler refused with 401/403 (the gateway's own key for it is wrong; issue 21). Absent in a previous release's sums. */
  refused_auth?: number;
  /** Routed requests the scheduler answered 404 while another scheduler served them (wrong url or model name). */
  not_found?: number;
  latency_p95_weighted_ms: number;
  latency_weight: number;
  ttft_p95_weighted_ms: number;
  ttft_weight: number;
}

/** One replica's window of its own gateways' reports (StateStore.putPassiveStats). */
export interface ReplicaPassiveStats {
  replica_id: string;
  updated_at_ms: number;
  schedulers: Record<string, PassiveSums>;
}

/** Passive health of one scheduler across all gateways, as weights and /admin/weights use it. */
export interface PassiveStats {
  requests: number;
  errors: number;
  /** errors / (requests + errors); 0 without traffic. */
  error_rate: number;
  /** Misconfiguration signs in the window (PassiveSums): 401/403 refusals, 404s others did not give. */
  refused_auth: number;
  not_found: number;
  latency_p95_ms: number;
  ttft_p95_ms: number;
}

/**
 * The leader's health view, written after probe rounds and state changes
 * (StateStore.putHealth) and read by every replica for listings, weights and
 * tables.
 */
export interface HealthSnapshot {
  updated_at_ms: number;
  probes: Record<string, ProbeRecord>;
  passive: Record<string, PassiveStats>;
}
