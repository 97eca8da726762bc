import { randomUUID } from 'node:crypto';
import type { Component } from '@switchyard/lifecycle';
import type { Logger } from '@switchyard/observability';
import { guarded } from '../redis/redis-client';
import type { RedisStateStore } from '../state/redis-state-store';
import type { Leadership } from './leadership';
import { ACQUIRE_LEASE, RELEASE_LEASE, RENEW_LEASE } from './lease-scripts';

export interface RedisLeadershipOptions {
  store: RedisStateStore;
  replicaId: string;
  /** LEADER_LEASE_MS: a dead leader is replaced within this time. */
  leaseMs: number;
  now: () => number;
  logger: Logger;
}

export interface RedisLeadership extends Leadership, Component {
  /** One round of the loop (acquire or renew); the timer calls it, tests may too. */
  tick(): Promise<void>;
}

type Reply = [number | string, ...(string | number)[]];

/**
 * The leader lease in Redis (issue 3). The leader renews every lease/3 with an
 * owner-checked script; followers try to acquire about every second, and again
 * just after the holder's lease would run out, so a dead leader is replaced within
 * the lease time (plus one Redis round trip), not a polling interval later. Every
 * ambiguous outcome — renewal error, a renewal slower than its deadline, a pause
 * that outlived the lease locally — steps down at once, which stops all
 * leader-only work (leader-gate.ts). Table writes carry this replica's owner token,
 * which Redis checks (fencing), so a leader that does not know it was replaced
 * still cannot publish.
 */
export function createRedisLeadership(options: RedisLeadershipOptions): RedisLeadership {
  const log = options.logger.child({ component: 'leadership' });
  const { store, leaseMs, now } = options;
  const token = `${options.replicaId}/${randomUUID().slice(0, 8)}`;
  const leaseKeys = [store.keys.leader, store.keys.epoch, store.keys.generation];
  const renewEveryMs = Math.max(50, Math.floor(leaseMs / 3));
  const followerEveryMs = Math.min(renewEveryMs, 1_000);
  /** A follower's next try: its interval, or sooner when the holder's lease ends sooner. */
  let followerDelayMs = followerEveryMs;
  const listeners = new Set<(leading: boolean) => void>();
  let leading = false;
  let epoch = 0;
  let validUntilMs = 0;
  let blankSinceMs: number | undefined;
  let stopped = true;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> | undefined;

  const setLeading = (next: boolean, reason: string, meta: Record<string, unknown> = {}) => {
    if (next === leading) return;
    leading = next;
    if (!next) validUntilMs = 0;
    log[next ? 'info' : 'warn'](next ? 'became leader' : 'stepped down', { replica_id: options.replicaId, epoch, reason, ...meta });
    for (const listener of [...listeners]) listener(next);
  };

  /** Seeds a blank state or adopts another generation, then leads in `newEpoch`. */
  const lead = async (newEpoch: number, generation: string, startedMs: number, reason: string) => {
    if (generation === '' && store.generation() === undefined) log.info('no shared state yet: seeding it', { epoch: newEpoch });
    else if (generation === '') log.warn('Redis lost the shared state: re-seeding it from memory', { epoch: newEpoch });
    if (generation === '') await store.reseed();
    else if (generation !== store.generation()) await store.resync();
    epoch = newEpoch;
    validUntilMs = startedMs + leaseMs - Math.floor(leaseMs / 10);
    setLeading(true, reason);
  };

  const acquire = async () => {
    const startedMs = now();
    const allowBlank = store.generation() === undefined || (blankSinceMs !== undefined && startedMs - blankSinceMs >= leaseMs / 2);
    const reply = (await ACQUIRE_LEASE.run(store.client, leaseKeys, [token, leaseMs, Math.max(store.highestEpoch(), epoch), allowBlank ? '1' : '0'])) as Reply;
    followerDelayMs = reply[0] === 0 ? untilLeaseEnds(Number(reply[2]), followerEveryMs) : followerEveryMs;
    if (reply[0] === 2) {
      if (blankSinceMs === undefined) log.warn('shared state is empty: giving the previous leader time to re-seed it');
      blankSinceMs ??= startedMs;
      return;
    }
    blankSinceMs = undefined;
    if (reply[0] === 1) await lead(Number(reply[1]), String(reply[2]), startedMs, 'lease acquired');
  };

  const renew = async () => {
    const startedMs = now();
    if (startedMs >= validUntilMs) return setLeading(false, 'lease ran out before it was renewed (process paused or slow)');
    let reply: Reply;
    try {
      reply = (await withDeadline(RENEW_LEASE.run(store.client, leaseKeys, [token, leaseMs, Math.max(store.highestEpoch(), epoch)]), renewEveryMs)) as Reply;
    } catch (err) {
      return setLeading(false, 'renewal failed', { error: String(err) });
    }
    if (reply[0] === 1 && reply[1] === store.generation()) {
      validUntilMs = startedMs + leaseMs - Math.floor(leaseMs / 10);
    } else if (reply[0] === 3) {
      setLeading(false, 'Redis lost the shared state');
      await lead(Number(reply[1]), '', startedMs, 'lease reclaimed after Redis lost the state');
    } else {
      setLeading(false, reply[0] === 1 ? 'the generation marker changed' : 'lease lost', { holder: reply[1] });
    }
  };

  const tick = (): Promise<void> => {
    running ??= (leading ? renew() : acquire())
      .catch((err: unknown) => {
        setLeading(false, 'leadership round failed', { error: String(err) });
      })
      .finally(() => {
        running = undefined;
      });
    return running;
  };
  const schedule = () => {
    if (stopped) return;
    timer = setTimeout(() => void tick().then(schedule), leading ? renewEveryMs : followerDelayMs);
    timer.unref();
  };

  return {
    name: 'leadership',
    replicaId: options.replicaId,
    tick,
    isLeader: () => leading && now() < validUntilMs,
    epoch: () => epoch,
    fence: () => ({ owner: token }),
    async leader() {
      const [holder, current] = await guarded(() => store.client.mget(store.keys.leader, store.keys.epoch));
      return { id: holder ? holder.slice(0, holder.lastIndexOf('/')) : null, epoch: Number(current ?? 0) };
    },
    onChange(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    async start() {
      stopped = false;
      await tick();
      schedule();
    },
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await running;
      if (!leading) return;
      setLeading(false, 'shutting down');
      // Hand over at once instead of making the others wait out the lease.
      await RELEASE_LEASE.run(store.client, [store.keys.leader], [token]).catch(() => undefined);
    },
  };
}

/**
 * How long a follower waits before its next try, given the holder's remaining lease
 * (PTTL, ms; negative when Redis reports none): a moment after it ends, at most `everyMs`.
 */
export function untilLeaseEnds(pttlMs: number, everyMs: number): number {
  return pttlMs >= 0 ? Math.min(everyMs, pttlMs + LEASE_END_MARGIN_MS) : everyMs;
}

/** Lets Redis's expiry (millisecond resolution) pass before the follower's try. */
const LEASE_END_MARGIN_MS = 2;

/** Rejects when `promise` takes longer than `ms`: a slow Redis is an ambiguous outcome. */
function withDeadline<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
    timer.unref();
  });
  return Promise.race([promise, deadline]).finally(() => clearTimeout(timer));
}
