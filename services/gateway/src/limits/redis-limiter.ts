import type Redis from 'ioredis';
import { withDeadline } from './deadline';
import type { Admission, LimitSubject, Limiter, LimitVerdict } from './limiter';
import { ACQUIRE, RELEASE, RENEW } from './limiter-scripts';
import { createScriptBatch } from './release-batch';
import { WINDOW_MS } from './sliding-window';

export interface RedisLimiterOptions {
  client: Redis;
  keyPrefix: string;
  /** Names this gateway's slots, so they are unique across gateways. */
  gatewayId: string;
  /** How long a concurrency slot lives without renewal (a crashed gateway's slots free themselves after it). Default 60 s. */
  slotLeaseMs?: number;
  /** RATE_LIMIT_REDIS_TIMEOUT_MS: how long acquire() waits for Redis before failing (the caller then uses local limits). */
  timeoutMs: number;
}

export interface RedisLimiter extends Limiter {
  /** Starts renewing the leases of slots still in use (every third of the lease). */
  start(): void;
  /** Stops renewing and sends the releases still queued. */
  stop(): Promise<void>;
}

const VERDICTS: readonly LimitVerdict[] = ['ok', 'rpm', 'tpm', 'concurrency'];

/**
 * Limits shared by every gateway through Redis (limiter-scripts.ts). Calls fail
 * (reject) when Redis is slow or away; the caller falls back to local limits.
 */
export function createRedisLimiter(options: RedisLimiterOptions): RedisLimiter {
  const { client } = options;
  const leaseMs = options.slotLeaseMs ?? 60_000;
  const active = new Map<string, string>();
  let sequence = 0;
  let renewTimer: NodeJS.Timeout | undefined;
  const releases = createScriptBatch(client, RELEASE);
  const keysOf = (id: string) => {
    // The hash tag keeps one key's counters in one Redis Cluster slot.
    const base = `${options.keyPrefix}ratelimit:{${id}}`;
    return { requests: `${base}:requests`, tokens: `${base}:tokens`, slots: `${base}:slots` };
  };
  const renew = () => {
    for (const [member, slots] of active) void RENEW.run(client, [slots], [WINDOW_MS, member, leaseMs]).catch(() => undefined);
  };

  return {
    async acquire(subject) {
      const keys = keysOf(subject.id);
      const member = subject.maxConcurrency > 0 ? `${options.gatewayId}:${(sequence += 1)}` : '';
      const args = [WINDOW_MS, subject.rpm, subject.tpm, subject.maxConcurrency, member, leaseMs];
      const reply = (await withDeadline(ACQUIRE.run(client, [keys.requests, keys.tokens, keys.slots], args), options.timeoutMs)) as number[];
      const [verdictCode, elapsedMs, requests, previousRequests, tokens, previousTokens] = reply.map(Number) as [number, number, number, number, number, number];
      const verdict = VERDICTS[verdictCode] ?? 'ok';
      const slot = verdict === 'ok' && member !== '' ? member : undefined;
      if (slot !== undefined) active.set(slot, keys.slots);
      const admission: Admission = {
        verdict,
        requests: { current: requests, previous: previousRequests, elapsedMs },
        tokens: { current: tokens, previous: previousTokens, elapsedMs },
        mode: 'redis',
      };
      return slot === undefined ? admission : { ...admission, slot };
    },
    async release(subject, admission, tokens) {
      if (admission.slot !== undefined) active.delete(admission.slot);
      if (tokens <= 0 && admission.slot === undefined) return;
      const keys = keysOf(subject.id);
      await releases.run([keys.tokens, keys.slots], [WINDOW_MS, Math.max(0, Math.round(tokens)), admission.slot ?? '']);
    },
    start() {
      renewTimer = setInterval(renew, Math.max(1_000, Math.floor(leaseMs / 3)));
      renewTimer.unref();
    },
    async stop() {
      clearInterval(renewTimer);
      await releases.flush();
    },
  };
}
