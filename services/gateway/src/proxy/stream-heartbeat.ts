import type { ServerResponse } from 'node:http';

export interface HeartbeatSettings {
  /** Commit the SSE headers once the first token is this late (STREAM_HEARTBEAT_AFTER_MS; 0 = never). */
  afterMs: number;
  /** Then a `: ping` comment this often (STREAM_HEARTBEAT_INTERVAL_MS). */
  intervalMs: number;
}

/**
 * Keeps a slow stream's client connection alive before its first token: after
 * `afterMs` the gateway commits `200 text/event-stream` itself and writes SSE
 * comments, which clients ignore and idle-timeout load balancers count as traffic.
 * Until the first data event the upstream may still change (a retry); after it
 * the relay only appends the upstream's body.
 */
export interface StreamHeartbeat {
  /** True once the gateway sent the SSE headers itself. */
  readonly committed: boolean;
  /** No more pings (the first data event is going out, or the request is over). */
  stop(): void;
}

export const PING = ': ping\n\n';

/** A heartbeat that never fires, for non-stream requests and when heartbeats are off. */
export const NO_HEARTBEAT: StreamHeartbeat = { committed: false, stop: () => undefined };

/** Starts the timer of a streamed request's heartbeat; `requestId` goes on the committed headers. */
export function startHeartbeat(res: ServerResponse, requestId: string, settings: HeartbeatSettings): StreamHeartbeat {
  if (settings.afterMs <= 0) return NO_HEARTBEAT;
  let committed = false;
  let pinger: NodeJS.Timeout | undefined;
  const stop = () => {
    clearTimeout(starter);
    if (pinger) clearInterval(pinger);
    pinger = undefined;
  };
  const starter = setTimeout(() => {
    if (res.headersSent || res.destroyed) return;
    committed = true;
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', 'x-request-id': requestId });
    res.write(PING);
    pinger = setInterval(() => {
      if (res.destroyed || res.writableEnded) return stop();
      res.write(PING);
    }, settings.intervalMs);
    pinger.unref();
  }, settings.afterMs);
  starter.unref();
  res.once('close', stop);
  return {
    get committed() {
      return committed;
    },
    stop,
  };
}
