import { PRIORITY_CLASSES, type PriorityClass } from '@switchyard/proto';
import type { Cancellation } from '../proxy/cancellation';
import { FairOrder, type Queued } from './fair-order';

/** Why a request left the queue without being served (the x-switchyard-shed-reason header and the sheds metric). */
export type ShedReason = 'queue_full' | 'queue_timeout' | 'shutting_down';

export type QueueOutcome<R> =
  | { ok: true; value: R; waitedMs: number }
  | { ok: false; reason: ShedReason | 'cancelled'; waitedMs: number; /** Its user held more than an equal share of the queue. */ overShare: boolean };

/** One request asking to wait for capacity. */
export interface Ticket<R> {
  user: string;
  priority: PriorityClass;
  timeoutMs: number;
  cancellation: Cancellation;
  /** Called when capacity may have freed: the route (now taken by this request) or undefined (still full). Synchronous. */
  tryDispatch(): R | undefined;
}

export interface AdmissionQueue {
  /** Waits in `model`'s queue until `ticket.tryDispatch` succeeds, the wait or the queue's length runs out, the client leaves, or shutdown. */
  wait<R>(model: string, ticket: Ticket<R>): Promise<QueueOutcome<R>>;
  /** Capacity may have freed (a request ended, a table was applied): serve the queues on the next turn. */
  nudge(): void;
  /** Requests waiting for `model` now. */
  depth(model: string): number;
  /** [model, class, depth] of every model with a queue. */
  depths(): Array<[string, PriorityClass, number]>;
  /** Drain start: every waiting request is answered shutting_down, and new ones are refused the same way. */
  close(): void;
  stop(): void;
}

export interface AdmissionQueueOptions {
  /** ADMISSION_QUEUE_MAX_LENGTH: requests one model's queue holds at most. */
  maxLength: number;
  /** Told when a request leaves the queue (metrics). */
  onLeave?(model: string, priority: PriorityClass, outcome: 'served' | ShedReason | 'cancelled', waitedMs: number, overShare: boolean): void;
}

interface Entry extends Queued {
  readonly priority: PriorityClass;
  readonly enqueuedAtMs: number;
  tryDispatch(): boolean;
  shed(reason: ShedReason | 'cancelled', overShare: boolean): void;
}

/** Requests served per model per event-loop turn: the served one takes its slot (signals.begin) before the next is judged. */
const TRIES_PER_TURN = 16;

/**
 * A queue per model on this gateway (issue 19), in front of saturated schedulers.
 * It grew out of the capacity wait of issue 21 item 5 and replaces it: a request
 * that finds every scheduler of its model full or saturated waits here, bounded
 * in length and time. When capacity may have freed, one request per model and
 * event-loop turn is served, in {@link FairOrder}: strict priority between
 * classes, round-robin over users within one. Serving means the request's own
 * pick succeeded, synchronously, so a slot is never promised to one request and
 * taken by another; one per turn lets the served request start its attempt
 * (count itself in flight) before the next one is judged.
 */
export function createAdmissionQueue(options: AdmissionQueueOptions): AdmissionQueue {
  const queues = new Map<string, FairOrder<Entry>>();
  let scheduled: NodeJS.Immediate | undefined;
  let closed = false;

  const serveOne = (order: FairOrder<Entry>): boolean => {
    let tries = 0;
    for (const entry of order.inOrder()) {
      if (entry.tryDispatch()) return true;
      if (++tries >= TRIES_PER_TURN) break;
    }
    return false;
  };

  const pump = () => {
    scheduled = undefined;
    let served = false;
    for (const [model, order] of queues) {
      if (order.size === 0) queues.delete(model);
      else if (serveOne(order)) served = true;
    }
    if (served) nudge();
  };

  const nudge = () => {
    if (scheduled === undefined && queues.size > 0) scheduled = setImmediate(pump);
  };

  const overShare = (order: FairOrder<Entry>, user: string, arriving: boolean): boolean => {
    const users = order.users + (arriving && order.countOf(user) === 0 ? 1 : 0);
    const mine = order.countOf(user) + (arriving ? 1 : 0);
    return users > 1 && mine > (order.size + (arriving ? 1 : 0)) / users;
  };

  /** Room for a request of `rank`/`user` in a full queue: the least urgent, most queued user's newest gives way. */
  const makeRoom = (order: FairOrder<Entry>, rank: number, user: string): boolean => {
    const victim = order.victim();
    if (!victim) return false;
    const yields = victim.rank > rank || (victim.rank === rank && order.countOf(victim.user) > order.countOf(user) + 1);
    if (!yields) return false;
    const over = overShare(order, victim.user, false);
    order.remove(victim);
    victim.shed('queue_full', over);
    return true;
  };

  return {
    wait<R>(model: string, ticket: Ticket<R>): Promise<QueueOutcome<R>> {
      const rank = PRIORITY_CLASSES.indexOf(ticket.priority);
      const startedMs = performance.now();
      const refuse = (reason: ShedReason | 'cancelled', over: boolean): QueueOutcome<R> => {
        options.onLeave?.(model, ticket.priority, reason, 0, over);
        return { ok: false, reason, waitedMs: 0, overShare: over };
      };
      if (ticket.cancellation.cancelled) return Promise.resolve(refuse('cancelled', false));
      if (closed) return Promise.resolve(refuse('shutting_down', false));
      let order = queues.get(model);
      if (!order) queues.set(model, (order = new FairOrder<Entry>(PRIORITY_CLASSES.length)));
      if (ticket.timeoutMs <= 0) return Promise.resolve(refuse('queue_timeout', overShare(order, ticket.user, true)));
      if (order.size >= options.maxLength && !makeRoom(order, rank, ticket.user)) return Promise.resolve(refuse('queue_full', overShare(order, ticket.user, true)));
      const queue = order;
      return new Promise<QueueOutcome<R>>((resolve) => {
        const finish = (outcome: QueueOutcome<R>, label: 'served' | ShedReason | 'cancelled') => {
          clearTimeout(timer);
          ticket.cancellation.clear(onCancel);
          options.onLeave?.(model, ticket.priority, label, outcome.waitedMs, !outcome.ok && outcome.overShare);
          resolve(outcome);
        };
        const entry: Entry = {
          user: ticket.user,
          rank,
          priority: ticket.priority,
          enqueuedAtMs: startedMs,
          tryDispatch() {
            const value = ticket.tryDispatch();
            if (value === undefined) return false;
            queue.remove(entry, true);
            finish({ ok: true, value, waitedMs: performance.now() - startedMs }, 'served');
            return true;
          },
          shed(reason, over) {
            finish({ ok: false, reason, waitedMs: performance.now() - startedMs, overShare: over }, reason);
          },
        };
        const leave = (reason: 'queue_timeout' | 'cancelled') => {
          const over = reason === 'queue_timeout' && overShare(queue, entry.user, false);
          if (queue.remove(entry)) entry.shed(reason, over);
        };
        // A client that leaves is taken out at once: it holds no upstream connection, and no slot is kept for it.
        const onCancel = () => leave('cancelled');
        const timer = setTimeout(() => leave('queue_timeout'), ticket.timeoutMs);
        queue.push(entry);
        ticket.cancellation.onCancel(onCancel);
        nudge();
      });
    },
    nudge,
    depth: (model) => queues.get(model)?.size ?? 0,
    depths() {
      const out: Array<[string, PriorityClass, number]> = [];
      for (const [model, order] of queues) PRIORITY_CLASSES.forEach((c, rank) => out.push([model, c, order.depthOf(rank)]));
      return out;
    },
    close() {
      closed = true;
      for (const order of queues.values()) {
        for (const entry of [...order.all()]) {
          order.remove(entry);
          entry.shed('shutting_down', false);
        }
      }
    },
    stop() {
      if (scheduled !== undefined) clearImmediate(scheduled);
      scheduled = undefined;
    },
  };
}
