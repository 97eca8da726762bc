import http from 'node:http';
import https from 'node:https';
import type { SchedulerEntry } from '@switchyard/proto';
import { maxConcurrencyOf } from '../routing/model-plan';

/** Where and how to reach one scheduler: its parsed URL and its own keep-alive agent. */
export interface UpstreamTarget {
  readonly schedulerId: string;
  readonly url: string;
  readonly request: typeof http.request;
  readonly agent: http.Agent;
  readonly hostname: string;
  readonly port: number;
  /** The Host header value. */
  readonly host: string;
  /** Path prefix of the scheduler URL without the trailing slash ('' for a bare origin). */
  readonly basePath: string;
  /** Connections to it at most: its max_concurrency (0 = unlimited). */
  readonly maxSockets: number;
}

export interface UpstreamPool {
  /** The target for a table entry; one agent per scheduler id and URL. */
  target(entry: SchedulerEntry): UpstreamTarget;
  /** Forgets schedulers no longer in the table; their pooled sockets expire on their own. */
  retain(ids: ReadonlySet<string>): void;
  /** Closes every pooled socket (after the server stopped). */
  destroy(): void;
}

/**
 * Idle pooled sockets close after this long: below the 5 s keep-alive timeout
 * that Node and uvicorn servers use by default, so the gateway rarely reuses a
 * socket the scheduler is closing.
 */
const FREE_SOCKET_TIMEOUT_MS = 4_000;

/**
 * `defaultMaxConcurrency`: SCHEDULER_MAX_CONCURRENCY_DEFAULT. A capped scheduler's
 * agent opens at most that many connections: servers with a thread per connection
 * (llama.cpp's few HTTP threads) would otherwise keep a thread busy for every idle
 * pooled socket, and the health probe would find none left (issue 21 item 5).
 */
export function createUpstreamPool(defaultMaxConcurrency = 0): UpstreamPool {
  const targets = new Map<string, UpstreamTarget>();
  return {
    target(entry) {
      const existing = targets.get(entry.id);
      const maxSockets = maxConcurrencyOf(entry, defaultMaxConcurrency);
      if (existing && existing.url === entry.url && existing.maxSockets === maxSockets) return existing;
      const created = createTarget(entry, maxSockets);
      targets.set(entry.id, created);
      return created;
    },
    retain(ids) {
      for (const id of targets.keys()) if (!ids.has(id)) targets.delete(id);
    },
    destroy() {
      for (const target of targets.values()) target.agent.destroy();
      targets.clear();
    },
  };
}

function createTarget(entry: SchedulerEntry, maxSockets: number): UpstreamTarget {
  const url = new URL(entry.url);
  const secure = url.protocol === 'https:';
  const options = { keepAlive: true, maxSockets: maxSockets > 0 ? maxSockets : Infinity, maxFreeSockets: 1024, scheduling: 'lifo' as const, timeout: FREE_SOCKET_TIMEOUT_MS, noDelay: true };
  return {
    schedulerId: entry.id,
    url: entry.url,
    request: secure ? https.request : http.request,
    agent: secure ? new https.Agent(options) : new http.Agent(options),
    hostname: url.hostname.replace(/^\[|\]$/g, ''),
    port: url.port !== '' ? Number(url.port) : secure ? 443 : 80,
    host: url.host,
    basePath: url.pathname.replace(/\/+$/, ''),
    maxSockets,
  };
}
