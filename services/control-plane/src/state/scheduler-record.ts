import type { SchedulerState } from '@switchyard/contracts';

/**
 * A scheduler as the control plane stores it. Unlike the listed `SchedulerView` it
 * carries the upstream `api_key` (pushed to gateways, never listed or logged), the
 * lease of a self-registration and the model-discovery status. Plain JSON so a
 * Redis store can keep it as one value.
 */
export interface SchedulerRecord {
  id: string;
  /** Normalized: scheme, host, optional path, no trailing slash. */
  url: string;
  models: string[];
  /** Where `models` came from: the request, or the scheduler's `GET /v1/models`. */
  models_source: 'request' | 'discovery';
  /**
   * True while discovery has not succeeded yet: the scheduler is listed (with
   * `last_error`) but kept out of the routing table until a retry works.
   */
  discovery_pending: boolean;
  weight: number;
  priority: number;
  labels: Record<string, string>;
  source: 'admin' | 'self';
  state: SchedulerState;
  api_key?: string;
  /** Registration `max_concurrency`: per-gateway cap on open requests (absent = gateway default). */
  max_concurrency?: number;
  ttl_seconds?: number;
  /** Self-registrations only: when the lease runs out unless renewed by a heartbeat. */
  lease_expires_at_ms?: number;
  registered_at_ms: number;
  updated_at_ms: number;
  last_probe_at_ms: number | null;
  last_error?: string;
}

/**
 * Whether a self-registration had one full ttl since `graceSinceMs` (when the
 * current leader began expiring leases) to heartbeat; without a grace start, true.
 */
export function pastGrace(record: SchedulerRecord, nowMs: number, graceSinceMs: number | undefined): boolean {
  return graceSinceMs === undefined || nowMs >= graceSinceMs + (record.ttl_seconds ?? 0) * 1000;
}
