import { hostname } from 'node:os';
import { z } from 'zod';
import { boolVar, checkTlsPair, fractionVar, intVar, listVar, logLevelVar, optionalString, parseConfig, portVar, type ConfigResult } from '@switchyard/config';
import { isOriginPattern } from './cors/cors';
import { tracingEnvSchema } from './tracing/tracing-config';

const HOST_PORT = /^[^\s:,]+:\d{1,5}$|^\[[0-9a-fA-F:]+\]:\d{1,5}$/;
const MIB = 1024 * 1024;

/**
 * The gateway's environment (see ARCHITECTURE.md "Processes, ports, variables").
 * Timeouts default to LLM-friendly values: a long prompt may take minutes to its
 * first token, so only the connect timeout is short.
 */
export const configSchema = z.object({
  PORT: portVar(8080),
  HOST: z.preprocess((v) => (v === '' ? undefined : v), z.string().default('127.0.0.1')),
  CONTROL_PLANE_ADDR: listVar(['127.0.0.1:50051']).pipe(
    z.array(z.string().regex(HOST_PORT, 'each address must be host:port')).min(1, 'at least one host:port'),
  ),
  GATEWAY_ID: z.preprocess((v) => (v === '' ? undefined : v), z.string().default(() => `${hostname()}-${process.pid}`)),
  LOG_LEVEL: logLevelVar(),
  REDIS_URL: optionalString(),
  REDIS_KEY_PREFIX: z.preprocess((v) => (v === '' ? undefined : v), z.string().default('switchyard:')),
  UPSTREAM_CONNECT_TIMEOUT_MS: intVar(5_000, 1),
  UPSTREAM_FIRST_BYTE_TIMEOUT_MS: intVar(120_000, 1),
  UPSTREAM_IDLE_TIMEOUT_MS: intVar(60_000, 1),
  /** Whole exchange, body included; 0 = no total limit (LLM answers may stream for minutes). */
  UPSTREAM_TOTAL_TIMEOUT_MS: intVar(0, 0),
  RETRY_MAX_ATTEMPTS: intVar(3, 1, 10),
  /** Continuations per stream lost mid-way when resumption is on (issue 10, docs/resumption.md). */
  RESUME_MAX_ATTEMPTS: intVar(2, 0, 10),
  /** Retries may be at most this percentage of requests over 10 s, plus the minimum below (docs/resilience.md). */
  RETRY_BUDGET_PERCENT: intVar(20, 0, 100),
  RETRY_BUDGET_MIN_PER_SECOND: intVar(10, 0, 100_000),
  /** An upstream 429/503 `retry-after` up to this long is waited before the next scheduler. */
  RETRY_AFTER_MAX_MS: intVar(1_000, 0, 60_000),
  BREAKER_CONSECUTIVE_FAILURES: intVar(5, 1, 1_000),
  BREAKER_ERROR_THRESHOLD_PERCENT: intVar(50, 1, 100),
  BREAKER_ROLLING_WINDOW_MS: intVar(10_000, 100, 600_000),
  BREAKER_VOLUME_THRESHOLD: intVar(10, 0, 1_000_000),
  BREAKER_RESET_MS: intVar(5_000, 10, 600_000),
  /** A stream whose first token is this late gets its SSE headers and `: ping` comments (0 = never). */
  STREAM_HEARTBEAT_AFTER_MS: intVar(15_000, 0),
  STREAM_HEARTBEAT_INTERVAL_MS: intVar(5_000, 100),
  SHUTDOWN_GRACE_MS: intVar(30_000, 0),
  MAX_REQUEST_BODY_BYTES: intVar(10 * MIB, 1),
  /** Multipart uploads (audio transcriptions and translations), streamed upstream: larger ones get 413 (issue 17). */
  MAX_UPLOAD_BYTES: intVar(25 * MIB, 1),
  /** How long the gateway remembers which scheduler created a response (Redis key TTL; issue 17). */
  RESPONSE_AFFINITY_TTL_SECONDS: intVar(86_400, 1, 30 * 86_400),
  /** Extra POST paths routed by the body's `model` like the built-in endpoints (e.g. `/v1/foo,/bar`). */
  PASSTHROUGH_PATHS: listVar([]).pipe(z.array(z.string().regex(/^\/[\x21-\x7e]*$/, 'each entry must be a path starting with /').transform((p) => (p.length > 1 && p.endsWith('/') ? p.slice(0, -1) : p).toLowerCase()))),
  /** Debug only: request bodies (prompts) on the request log lines. Never in production. */
  LOG_PROMPTS: boolVar(false),
  /** Requests in progress on this gateway beyond which new ones get 503 at once (0 = no cap). */
  GATEWAY_MAX_CONCURRENCY: intVar(0, 0, 1_000_000),
  /**
   * Requests one gateway keeps open to one scheduler at most, for schedulers registered
   * without `max_concurrency` (0 = unlimited). Issue 21 item 5.
   */
  SCHEDULER_MAX_CONCURRENCY_DEFAULT: intVar(0, 0, 1_000_000),
  /**
   * How long a request waits in its model's queue when every scheduler is full or
   * saturated, then 429/503 (0 = at once). Issue 21 item 5, issue 19.
   */
  SCHEDULER_CAPACITY_WAIT_MS: intVar(10_000, 0, 600_000),
  /** The per-model queue with priority classes, fairness and load thresholds (issue 19); off = FIFO wait on max_concurrency only. */
  ADMISSION_QUEUE: boolVar(true),
  /** Requests one model's queue holds at most on this gateway. */
  ADMISSION_QUEUE_MAX_LENGTH: intVar(1_000, 1, 1_000_000),
  /** Saturation defaults (per-model overrides: the control plane's MODEL_SATURATION); 0 = threshold off. Fit for vLLM. */
  SATURATION_MAX_WAITING: intVar(5, 0, 1_000_000),
  SATURATION_MAX_KV_CACHE_USAGE: fractionVar(0.8),
  SATURATION_MAX_IN_FLIGHT: intVar(0, 0, 1_000_000),
  /**
   * Headroom reserve: free slots of a model that a lower class may not take while more
   * urgent requests were open within the last one to two windows (at most as many as were
   * open at once, and a quarter of the model's slots); 0 = off.
   */
  ADMISSION_RESERVE_SLOTS: intVar(2, 0, 1_000),
  ADMISSION_RESERVE_WINDOW_MS: intVar(10_000, 100, 3_600_000),
  /** cache-aware (issue 18): prompt blocks remembered per scheduler in this gateway's prefix index (256 characters each). */
  PREFIX_INDEX_BLOCKS_PER_SCHEDULER: intVar(4_096, 1, 10_000_000),
  /** cache-aware: blocks remembered in total; over it each scheduler keeps an equal share (bounds the index's memory). */
  PREFIX_INDEX_MAX_BLOCKS: intVar(262_144, 1, 100_000_000),
  /** cache-aware: characters of a prompt read at most to cut it into blocks (the rest of the body is never looked at). */
  PREFIX_INDEX_MAX_CHARS: intVar(65_536, 256, 1_048_576),
  /** Per-command timeout of the limiter's Redis calls; past it the request uses local limits. */
  RATE_LIMIT_REDIS_TIMEOUT_MS: intVar(50, 1, 10_000),
  /** Browser origins allowed by CORS (`*` = any); empty = CORS off. */
  CORS_ALLOWED_ORIGINS: listVar([]).pipe(z.array(z.string().refine(isOriginPattern, 'each entry must be * or an origin like https://app.example.com'))),
  /** PEM certificate (chain) and private key: the gateway then serves HTTPS. Both or neither. */
  TLS_CERT_FILE: optionalString(),
  TLS_KEY_FILE: optionalString(),
  /** OpenTelemetry traces over OTLP/HTTP (issue 20, docs/observability.md). */
  ...tracingEnvSchema,
}).superRefine(checkTlsPair);

export type Config = z.output<typeof configSchema>;

/** Pure: parses `env` and lists every bad variable by name. */
export function loadConfig(env: Record<string, string | undefined>): ConfigResult<Config> {
  return parseConfig(configSchema, env);
}
