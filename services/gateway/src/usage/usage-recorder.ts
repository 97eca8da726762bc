import type Redis from 'ioredis';
import type { Logger } from '@switchyard/observability';
import { USAGE_BUCKET_MS, USAGE_RETENTION_MS, usageBucketKey, usageField } from '@switchyard/redis';

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

/** While Redis is away, counts wait in memory up to this many fields, then new ones are dropped. */
const MAX_PENDING_FIELDS = 10_000;

/**
 * Usage accounting (issue 6): Prometheus counters at once, and Redis counters
 * summed in memory and flushed once a second in one pipeline (HINCRBY per field)
 * instead of a write per request, in the bucket layout of libs/redis
 * usage-buckets.ts (which the control plane reads).
 */
export function createUsageRecorder(deps: UsageRecorderDeps): UsageRecorder {
  const now = deps.now ?? Date.now;
  const log = deps.logger.child({ component: 'usage' });
  let pending = new Map<string, number>();
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
  const add = (bucket: string, field: string, amount: number) => {
    if (amount <= 0) return;
    const id = `${bucket}\n${field}`;
    const current = pending.get(id);
    if (current === undefined && pending.size >= MAX_PENDING_FIELDS) return;
    pending.set(id, (current ?? 0) + amount);
  };
  const flush = async () => {
    if (!deps.client || pending.size === 0) return;
    const batch = pending;
    pending = new Map();
    const pipeline = deps.client.pipeline();
    const buckets = new Set<string>();
    for (const [id, amount] of batch) {
      const [bucket, field] = id.split('\n') as [string, string];
      pipeline.hincrby(bucket, field, amount);
      buckets.add(bucket);
    }
    for (const bucket of buckets) pipeline.expire(bucket, USAGE_RETENTION_MS / 1000);
    try {
      const results = (await pipeline.exec()) ?? [];
      if (results.some(([err]) => err)) throw results.find(([err]) => err)![0]!;
      if (failing) log.info('usage accounting writes to Redis again');
      failing = false;
    } catch (err) {
      for (const [id, amount] of batch) add(...(id.split('\n') as [string, string]), amount);
      if (!failing) log.warn('cannot write usage to Redis; keeping the counts to retry', { error: String(err) });
      failing = true;
    }
  };
  return {
    record(user, model, promptTokens, completionTokens) {
      deps.count(user, model, promptTokens, completionTokens);
      if (!deps.client) return;
      const bucket = bucketAt(now());
      add(bucket, usageField(user, model, 'requests'), 1);
      add(bucket, usageField(user, model, 'prompt_tokens'), promptTokens);
      add(bucket, usageField(user, model, 'completion_tokens'), completionTokens);
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
