import type Redis from 'ioredis';
import type { Logger } from '@switchyard/observability';

/** Where a response was created: its scheduler, and the model it was asked of (for auth and routing). */
export interface ResponseOrigin {
  scheduler: string;
  model: string;
}

/** A lookup's outcome: `unavailable` when Redis did not answer in time (the id may well exist). */
export type OriginLookup = { ok: true; origin: ResponseOrigin } | { ok: false; reason: 'unknown' | 'unavailable' };

export interface ResponseAffinity {
  /** A scheduler answered a `POST /v1/responses` with this id. */
  remember(responseId: string, origin: ResponseOrigin): void;
  /** The creator of `responseId`, from memory or Redis. */
  lookup(responseId: string): Promise<OriginLookup>;
  /** The response was deleted. */
  forget(responseId: string): void;
}

export interface ResponseAffinityDeps {
  /** The gateway's Redis client (shared with limits); absent = this gateway's memory only. */
  client?: Redis;
  keyPrefix: string;
  ttlSeconds: number;
  /** How many ids the in-memory LRU holds. */
  maxEntries?: number;
  logger: Logger;
  /** Deadline of one Redis read; past it the lookup is `unavailable`. */
  timeoutMs?: number;
  /** Pauses between the Redis reads of an id not found (tests shorten them). */
  missRetryDelaysMs?: readonly number[];
}

const DEFAULT_MAX_ENTRIES = 100_000;
/** Waits before asking Redis again about an id it did not know: about half a second in all. */
const MISS_RETRY_DELAYS_MS = [25, 75, 150, 250];

/** Generous: a wrong "unknown" is worse than a slow answer, and a loaded process may read the reply late. */
const DEFAULT_TIMEOUT_MS = 2_000;

/** Redis key of one response's origin: `<prefix>response:<id>` → `{"scheduler","model"}`. */
export function responseKey(prefix: string, responseId: string): string {
  return `${prefix}response:${responseId}`;
}

/**
 * Response-id affinity (issue 17, docs/routing.md): engines keep responses in their
 * own memory, so every call about a response must reach the scheduler that made
 * it. Origins are kept in an in-memory LRU and, with REDIS_URL, in Redis with a
 * TTL, so any gateway replica, and a restarted one, finds them. Writes are
 * fire-and-forget (issued before the answer reaches the client); a Redis failure
 * leaves the origin in this gateway's memory and is logged once per outage.
 */
export function createResponseAffinity(deps: ResponseAffinityDeps): ResponseAffinity {
  const max = deps.maxEntries ?? DEFAULT_MAX_ENTRIES;
  const memory = new Map<string, ResponseOrigin>();
  const log = deps.logger.child({ component: 'response-affinity' });
  let failing = false;
  const failed = (err: unknown) => {
    if (!failing) log.warn('response affinity: Redis unavailable, origins kept in this gateway only', { error: String(err) });
    failing = true;
  };
  const keep = (id: string, origin: ResponseOrigin) => {
    memory.delete(id);
    memory.set(id, origin);
    if (memory.size > max) memory.delete(memory.keys().next().value!);
  };
  return {
    remember(id, origin) {
      keep(id, origin);
      void deps.client
        ?.set(responseKey(deps.keyPrefix, id), JSON.stringify(origin), 'EX', deps.ttlSeconds)
        .then(() => (failing = false))
        .catch(failed);
    },
    async lookup(id) {
      const known = memory.get(id);
      if (known) {
        keep(id, known);
        return { ok: true, origin: known };
      }
      if (!deps.client) return { ok: false, reason: 'unknown' };
      const client = deps.client;
      const read = () => withTimeout(client.get(responseKey(deps.keyPrefix, id)), deps.timeoutMs ?? DEFAULT_TIMEOUT_MS);
      // A miss is asked again a few times: the creating gateway sends its Redis write as the
      // id leaves for the client, so a loaded host may let the client's next call (to another
      // gateway) overtake it by some milliseconds.
      for (const waitMs of [...(deps.missRetryDelaysMs ?? MISS_RETRY_DELAYS_MS), undefined]) {
        let text: string | null;
        try {
          text = await read();
        } catch (err) {
          failed(err);
          return { ok: false, reason: 'unavailable' };
        }
        const origin = parseOrigin(text);
        if (origin) {
          keep(id, origin);
          return { ok: true, origin };
        }
        if (waitMs === undefined) break;
        await delay(waitMs);
      }
      return { ok: false, reason: 'unknown' };
    },
    forget(id) {
      memory.delete(id);
      void deps.client?.del(responseKey(deps.keyPrefix, id)).catch(failed);
    },
  };
}

function parseOrigin(text: string | null): ResponseOrigin | undefined {
  if (!text) return undefined;
  try {
    const value = JSON.parse(text) as Partial<ResponseOrigin>;
    return typeof value.scheduler === 'string' && typeof value.model === 'string' ? { scheduler: value.scheduler, model: value.model } : undefined;
  } catch {
    return undefined;
  }
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
    timer.unref();
    promise.then(resolve, reject).finally(() => clearTimeout(timer));
  });
}

/** The first `"id": "…"` of an answer's head: the response's id in a Responses object and in its `response.created` event. */
export function findResponseId(head: string): string | undefined {
  return /"id"\s*:\s*"([^"\\]{1,200})"/.exec(head)?.[1];
}
