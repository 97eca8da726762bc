/**
 * TypeScript shapes of the messages in proto/switchyard/v1/routing.proto, as
 * @grpc/proto-loader produces them with {@link LOADER_OPTIONS}: snake_case fields,
 * 64-bit integers as JS numbers, every field present (proto3 defaults filled in).
 */

export type SchedulerState = 'unknown' | 'healthy' | 'degraded' | 'unhealthy' | 'draining';
export type BreakerState = 'closed' | 'open' | 'half_open';

export interface WatchRequest {
  gateway_id: string;
  have_version: number;
  have_epoch: number;
  /** The gateway applies change batches (issue 16). Optional for writers: a previous-release gateway never sends it. */
  supports_deltas?: boolean;
  /** The gateway reads snapshot keys from packed_keys (issue 16). Optional for writers, as supports_deltas. */
  supports_packed_keys?: boolean;
  /** The gateway takes other gateways' prefix placements (issue 18). Optional for writers. */
  supports_placements?: boolean;
  /** How the gateway hashes prompt blocks (libs/routing BLOCK_HASH_SCHEME); 0 = gateways before the field. Optional for writers. */
  block_hash_scheme?: number;
}

export interface SchedulerEntry {
  id: string;
  url: string;
  models: string[];
  weight: number;
  effective_weight: number;
  priority: number;
  labels: Record<string, string>;
  state: SchedulerState | string;
  api_key: string;
  /**
   * Requests one gateway keeps open to it at most; 0 = the gateway's default. Optional:
   * tables stored in Redis by older releases lack it (proto-loader fills 0 on the wire).
   */
  max_concurrency?: number;
  /** KV-cache capacity in tokens from the engine's metrics; 0 or absent = unknown (issue 18). */
  kv_cache_capacity_tokens?: number;
  /** The engine's load at the leader's last probe (issue 19); absent/null when unknown. */
  load?: SchedulerLoad | null;
}

export interface SchedulerLoad {
  running: number;
  waiting: number;
  kv_cache_usage: number;
}

/** Per-model saturation thresholds (issue 19); a 0 field = the gateway's default. */
export interface ModelSaturation {
  max_waiting: number;
  max_kv_cache_usage: number;
  max_in_flight: number;
}

export interface ModelRoute {
  strategy: string;
  served_names: string[];
  resume_streams: boolean;
  /** Optional for writers (issue 19); received messages carry null when unset. */
  saturation?: ModelSaturation | null;
}

/** Priority classes of client keys, most urgent first (issue 19). */
export const PRIORITY_CLASSES = ['interactive', 'standard', 'batch'] as const;
export type PriorityClass = (typeof PRIORITY_CLASSES)[number];

export interface ApiKeyRecord {
  key_sha256: string;
  user: string;
  enabled: boolean;
  allowed_models: string[];
  rpm: number;
  tpm: number;
  max_concurrency: number;
  allow_backend_pin: boolean;
  allow_explain: boolean;
  resume_streams: boolean;
  /** interactive | standard | batch; optional for writers, '' (older control planes) = standard. */
  priority?: PriorityClass | '';
}

export interface RoutingTable {
  epoch: number;
  version: number;
  generated_at_ms: number;
  default_strategy: string;
  schedulers: SchedulerEntry[];
  models: Record<string, ModelRoute>;
  api_keys: ApiKeyRecord[];
  auth_required: boolean;
  /**
   * Set on a change batch (issue 16), sent only to gateways whose WatchRequest has
   * supports_deltas; then every field but epoch, version and generated_at_ms is
   * empty. Optional for writers; received snapshots carry null.
   */
  delta?: RoutingDelta | null;
  /**
   * A snapshot's keys, packed (issue 16), instead of api_keys: sent only to gateways
   * whose WatchRequest has supports_packed_keys. Optional for writers; received
   * tables carry null without it. A gateway keeps its keys in this form.
   */
  packed_keys?: PackedKeys | null;
  /**
   * Set on a message carrying what other gateways routed (issue 18), sent only
   * to gateways whose WatchRequest has supports_placements; epoch and version are
   * 0 and it is no table. Optional for writers; received tables carry [].
   */
  peer_placements?: GatewayPlacements[];
}

/**
 * Every key of a table in about 34 bytes each: key i is `hashes[32i, 32i+32)`
 * (the SHA-256, raw) with the record `profiles[profile_of[i]]` (whose key_sha256
 * is ''). Hashes strictly ascend. See packed-keys.ts.
 */
export interface PackedKeys {
  hashes: Uint8Array;
  profile_of: number[];
  profiles: ApiKeyRecord[];
}

/** What one gateway routed since its previous report (cache-aware, issue 18). */
export interface GatewayPlacements {
  gateway_id: string;
  placements: PrefixPlacement[];
  /** The gateway's requests in flight per scheduler when it reported. */
  in_flight: Record<string, number>;
  /** How its placements' block hashes were computed; 0 = a gateway before the field. Optional for writers. */
  block_hash_scheme?: number;
}

/** One routed prompt: the scheduler chosen and the prompt's chained block hashes. */
export interface PrefixPlacement {
  scheduler_id: string;
  block_hashes: readonly number[];
}

export interface TableSettings {
  default_strategy: string;
  auth_required: boolean;
}

/** The changes from the table (base_epoch, base_version) to the enclosing message's (epoch, version). */
export interface RoutingDelta {
  base_epoch: number;
  base_version: number;
  scheduler_upserts: SchedulerEntry[];
  scheduler_removals: string[];
  model_upserts: Record<string, ModelRoute>;
  model_removals: string[];
  key_upserts: ApiKeyRecord[];
  key_removals: string[];
  /** Set when default_strategy or auth_required changed (null when received without). */
  settings: TableSettings | null;
}

export interface SchedulerStats {
  scheduler_id: string;
  requests: number;
  errors_by_kind: Record<string, number>;
  latency_p50_ms: number;
  latency_p95_ms: number;
  ttft_p50_ms: number;
  ttft_p95_ms: number;
  in_flight: number;
  breaker_state: BreakerState | string;
  /** Optional for writers (added in issue 7); received messages always carry them. */
  latency_p99_ms?: number;
  ttft_p99_ms?: number;
}

export interface GatewayReport {
  gateway_id: string;
  table_epoch: number;
  table_version: number;
  sent_at_ms: number;
  schedulers: SchedulerStats[];
  /**
   * Client responses since the previous report by status class ("2xx", "4xx", "5xx").
   * Optional for writers (added in issue 7); received messages always carry it.
   */
  responses_by_status_class?: Record<string, number>;
  /** Admission queues (issue 19). Optional for writers; received messages carry [] when unset. */
  queues?: ModelQueueStats[];
  /** cache-aware picks since the previous report (issue 18). Optional for writers; received messages carry []. */
  placements?: PrefixPlacement[];
  /** The gateway shares placements (issue 18): forward its in-flight counts even without placements. */
  shares_placements?: boolean;
  /** How the placements' block hashes were computed (WatchRequest.block_hash_scheme). Optional for writers. */
  block_hash_scheme?: number;
}

/** One model's admission queue on one gateway (issue 19). */
export interface ModelQueueStats {
  model: string;
  waiting_by_priority: Record<string, number>;
  saturation: number;
  sheds_by_reason: Record<string, number>;
}

export interface ReportAck {
  current_version: number;
}

/** Orders two tables across leader changes: negative when a is older than b. */
export function compareTableVersions(
  a: Pick<RoutingTable, 'epoch' | 'version'>,
  b: Pick<RoutingTable, 'epoch' | 'version'>,
): number {
  return a.epoch !== b.epoch ? a.epoch - b.epoch : a.version - b.version;
}
