import type Redis from 'ioredis';
import { withDeadline } from './deadline';
import type { Admission, LimitSubject, Limiter, LimitVerdict } from './limiter';
import { ACQUIRE, RELEASE, RENEW } from './limiter-scripts';
import { createTurnBatch } from './turn-batch';
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
/** Numbers per request in ACQUIRE's reply, after the leading elapsed_ms. */
const ACQUIRE_FIELDS = 5;

interface AcquireCall {
  subject: LimitSubject;
  /** The concurrency slot to take ('' when the key has no max_concurrency). */
  member: string;
}

interface ReleaseCall {
  tokens: number;
  slot?: string;
}

/**
 * Limits shared by every gateway through Redis (limiter-scripts.ts). The
 * acquires of one key in one event-loop turn go to Redis as one script call, and
 * so do its releases (turn-batch.ts). Calls fail (reject) when Redis is slow or
 * away; the caller falls back to local limits.
 */
export function createRedisLimiter(options: RedisLimiterOptions): RedisLimiter {
  const { client } = options;
  const leaseMs = options.slotLeaseMs ?? 60_000;
  const active = new Map<string, string>();
  let sequence = 0;
  let renewTimer: NodeJS.Timeout | undefined;
  const keysOf = (id: string) => {
    // The hash tag keeps one key's counters in one Redis Cluster slot.
    const base = `${options.keyPrefix}ratelimit:{${id}}`;
    return { requests: `${base}:requests`, tokens: `${base}:tokens`, slots: `${base}:slots` };
  };
  const acquires = createTurnBatch<AcquireCall, Admission>(async (id, calls) => {
    const keys = keysOf(id);
    // A key's limits come from the routing table: the calls of one turn share them.
    const { rpm, tpm, maxConcurrency } = calls[0]!.subject;
    const reply = ((await ACQUIRE.run(client, [keys.requests, keys.tokens, keys.slots], [WINDOW_MS, rpm, tpm, maxConcurrency, leaseMs, ...calls.map((c) => c.member)])) as unknown[]).map(Number);
    const elapsedMs = reply[0]!;
    return calls.map((call, i) => {
      const at = 1 + i * ACQUIRE_FIELDS;
      const verdict = VERDICTS[reply[at]!] ?? 'ok';
      const admission: Admission = {
        verdict,
        requests: { current: reply[at + 1]!, previous: reply[at + 2]!, elapsedMs },
        tokens: { current: reply[at + 3]!, previous: reply[at + 4]!, elapsedMs },
        mode: 'redis',
      };
      if (verdict !== 'ok' || call.member === '') return admission;
      active.set(call.member, keys.slots);
      return { ...admission, slot: call.member };
    });
  });
  const releases = createTurnBatch<ReleaseCall, void>(async (id, calls) => {
    const keys = keysOf(id);
    let tokens = 0;
    const slots: string[] = [];
    for (const call of calls) {
      tokens += call.tokens;
      if (call.slot !== undefined) slots.push(call.slot);
    }
    await RELEASE.run(client, [keys.tokens, keys.slots], [WINDOW_MS, tokens, ...slots]);
    return calls.map(() => undefined);
  });
  const renew = () => {
    for (const [member, slots] of active) void RENEW.run(client, [slots], [WINDOW_MS, member, leaseMs]).catch(() => undefined);
  };

  const release = async (subject: LimitSubject, admission: Admission, tokens: number) => {
    if (admission.slot !== undefined) active.delete(admission.slot);
    if (tokens <= 0 && admission.slot === undefined) return;
    await releases.add(subject.id, { tokens: Math.max(0, Math.round(tokens)), slot: admission.slot });
  };

  return {
    acquire(subject) {
      const member = subject.maxConcurrency > 0 ? `${options.gatewayId}:${(sequence += 1)}` : '';
      const answer = acquires.add(subject.id, { subject, member });
      return withDeadline(answer, options.timeoutMs).catch((err: unknown) => {
        // Redis may still take the slot after the caller gave up on it: hand it straight back.
        answer
          .then((late) => {
            if (late.slot !== undefined) return release(subject, late, 0);
          }, () => undefined)
          .catch(() => undefined);
        throw err;
      });
    },
    release,
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
