import type Redis from 'ioredis';
import type { Logger } from '@switchyard/observability';
import { USAGE_BUCKET_MS, USAGE_COUNTERS, USAGE_RETENTION_MS, usageBucketKey, usageField } from '@switchyard/redis';

export interface UsageRecorderDeps {
  /** Redis for GET /admin/usage; absent = Prometheus only. */
  client?: Redis;
  keyPrefix: string;
  logger: Logger;
  /** `switchyard_gateway_usage_tokens_total` and `switchyard_gateway_usage_requests_total`. */
  count(user: string, model: string, promptTokens: number, completionTokens: number): void;
  flushIntervalMs?: number;
  now?: () => number;
}

export interface UsageRecorder {
  /** One admitted request of `user` (a key's user, never the key) and its tokens. */
  record(user: string, model: string, promptTokens: number, completionTokens: number): void;
  start(): void;
  /** Flushes what is left. */
  stop(): Promise<void>;
}

/** While Redis is away, counts wait in memory for up to this many (hour, user, model) rows, then new rows are dropped. */
const MAX_PENDING_ROWS = 10_000;

/** One user's counts for one model in one hour bucket, summed until the next flush. */
interface PendingRow {
  bucket: string;
  user: string;
  model: string;
  requests: number;
  prompt_tokens: number;
  completion_tokens: number;
}

/**
 * Usage accounting (issue 6): Prometheus counters at once, and Redis counters
 * summed in memory and flushed once a second in one pipeline (HINCRBY per field)
 * instead of a write per request, in the bucket layout of libs/redis
 * usage-buckets.ts (which the control plane reads). The fields' names are built
 * at flush time, not per request (issue 9).
 */
export function createUsageRecorder(deps: UsageRecorderDeps): UsageRecorder {
  const now = deps.now ?? Date.now;
  const log = deps.logger.child({ component: 'usage' });
  let pending = new Map<string, PendingRow>();
  let timer: NodeJS.Timeout | undefined;
  let failing = false;
  // The bucket's name changes once an hour; formatting a date per request cost ~1% of the hot path (issue 9).
  let bucketHour = Number.NaN;
  let bucketName = '';
  const bucketAt = (ms: number) => {
    const hour = Math.floor(ms / USAGE_BUCKET_MS);
    if (hour !== bucketHour) {
      bucketHour = hour;
      bucketName = usageBucketKey(deps.keyPrefix, ms);
    }
    return bucketName;
  };
  const add = (counts: Omit<PendingRow, 'bucket' | 'user' | 'model'>, bucket: string, user: string, model: string) => {
    const id = `${bucket}\u0000${user}\u0000${model}`;
    let row = pending.get(id);
    if (row === undefined) {
      if (pending.size >= MAX_PENDING_ROWS) return;
      row = { bucket, user, model, requests: 0, prompt_tokens: 0, completion_tokens: 0 };
      pending.set(id, row);
    }
    for (const counter of USAGE_COUNTERS) row[counter] += counts[counter];
  };
  const flush = async () => {
    if (!deps.client || pending.size === 0) return;
    const batch = pending;
    pending = new Map();
    const pipeline = deps.client.pipeline();
    const buckets = new Set<string>();
    for (const row of batch.values()) {
      for (const counter of USAGE_COUNTERS) if (row[counter] > 0) pipeline.hincrby(row.bucket, usageField(row.user, row.model, counter), row[counter]);
      buckets.add(row.bucket);
    }
    for (const bucket of buckets) pipeline.expire(bucket, USAGE_RETENTION_MS / 1000);
    try {
      const results = (await pipeline.exec()) ?? [];
      if (results.some(([err]) => err)) throw results.find(([err]) => err)![0]!;
      if (failing) log.info('usage accounting writes to Redis again');
      failing = false;
    } catch (err) {
      for (const row of batch.values()) add(row, row.bucket, row.user, row.model);
      if (!failing) log.warn('cannot write usage to Redis; keeping the counts to retry', { error: String(err) });
      failing = true;
    }
  };
  return {
    record(user, model, promptTokens, completionTokens) {
      deps.count(user, model, promptTokens, completionTokens);
      if (!deps.client) return;
      add({ requests: 1, prompt_tokens: Math.max(0, promptTokens), completion_tokens: Math.max(0, completionTokens) }, bucketAt(now()), user, model);
    },
    start() {
      timer = setInterval(() => void flush(), deps.flushIntervalMs ?? 1_000);
      timer.unref();
    },
    async stop() {
      clearInterval(timer);
      await flush();
    },
  };
}
