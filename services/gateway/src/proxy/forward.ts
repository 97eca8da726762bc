import type { Socket } from 'node:net';
import type { ClientRequest, IncomingMessage, OutgoingHttpHeaders } from 'node:http';
import type { Readable } from 'node:stream';
import type { Cancellation } from './cancellation';
import type { UpstreamTarget } from './upstream-pool';

export interface UpstreamTimeouts {
  connectMs: number;
  /** Until the response headers and then the first body chunk (time to first token). */
  firstByteMs: number;
  /** Between body chunks once the first one arrived. */
  idleMs: number;
}

/** 'total' is UPSTREAM_TOTAL_TIMEOUT_MS, the whole exchange body included (ForwardOptions.deadlineAtMs). */
export type TimeoutPhase = 'connect' | 'first_byte' | 'idle' | 'total';

/** Why an exchange failed before a usable response: values, not exceptions (STYLE.md rule 6). */
export type ForwardFailure =
  | { ok: false; reason: 'connect' | 'reset'; detail: string; reusedSocket: boolean }
  | { ok: false; reason: 'timeout'; phase: TimeoutPhase; detail: string; reusedSocket: boolean }
  | { ok: false; reason: 'aborted'; detail: string; reusedSocket: boolean }
  /**
   * The upstream answered with a status the caller asked to treat as a failure; drain or relay `exchange`.
   * `judged`: the caller reads the answer and decides whose fault it is (attribution/), so the breaker does not count it now.
   */
  | { ok: false; reason: 'status'; status: number; exchange: UpstreamExchange; judged?: true };

export type ForwardResult = { ok: true; exchange: UpstreamExchange } | ForwardFailure;

/** A live upstream response and the controls the relay needs while streaming it. */
export interface UpstreamExchange {
  readonly response: IncomingMessage;
  /** When the response headers arrived (performance.now()). */
  readonly headersAtMs: number;
  /** Switches from the first-byte to the idle timeout; call on the first body chunk. */
  firstChunkSeen(): void;
  /** Why the upstream side ended early, once it has: 'timeout' when a timer cut it. */
  failure(): 'timeout' | 'reset' | undefined;
  /** Drains and drops the response (not wanted); the socket stays reusable. */
  discard(): void;
}

export interface ForwardOptions {
  target: UpstreamTarget;
  method: string;
  /** Path and query of the client request, e.g. /v1/chat/completions. */
  path: string;
  headers: OutgoingHttpHeaders;
  body: Buffer;
  /**
   * A streamed upload (issue 17): `body` is its start, and the rest is piped once
   * the connection is up, so a connect failure leaves the rest unread and the
   * request can still go to another scheduler.
   */
  bodyRest?: () => Readable;
  timeouts: UpstreamTimeouts;
  /** Fired when the client goes away; destroys the upstream request at once. */
  cancellation: Cancellation;
  /** Statuses returned as a 'status' failure instead of a success (for retries). */
  failOnStatus?: (status: number) => boolean;
  /** Statuses returned as a `judged` 'status' failure: the caller reads the answer and attributes the fault itself. */
  judgeStatus?: (status: number) => boolean;
  /** When the whole exchange must be over (performance.now()); cut as a 'total' timeout. */
  deadlineAtMs?: number;
}

class CancelledError extends Error {
  constructor() {
    super('client went away');
  }
}

class TimeoutError extends Error {
  constructor(readonly phase: TimeoutPhase, ms: number) {
    super(phase === 'total' ? `no complete answer within ${ms} ms` : `no ${phase.replace('_', ' ')} within ${ms} ms`);
  }
}

/**
 * Sends one request to one scheduler over its keep-alive agent and resolves once
 * the response headers arrive, or with the failure that came first. Resolves,
 * never rejects: the caller decides whether to retry elsewhere (issue 5).
 */
export function forward(options: ForwardOptions): Promise<ForwardResult> {
  if (options.cancellation.cancelled) return Promise.resolve({ ok: false, reason: 'aborted', detail: 'client went away', reusedSocket: false });
  return new Promise((resolve) => {
    let settled = false;
    let connected = false;
    let failure: 'timeout' | 'reset' | undefined;
    const { target } = options;
    const req: ClientRequest = target.request({
      agent: target.agent,
      hostname: target.hostname,
      port: target.port,
      method: options.method,
      path: target.basePath + options.path,
      headers: options.headers,
    });
    const stop = () => req.destroy(new CancelledError());
    options.cancellation.onCancel(stop);
    req.once('close', () => options.cancellation.clear(stop));
    const timer = phasedTimeout(req, options.timeouts);
    if (options.deadlineAtMs !== undefined) armDeadline(req, options.deadlineAtMs);
    const sendStreamed = () => {
      const rest = options.bodyRest!();
      req.write(options.body);
      if (rest.readableEnded) return void req.end();
      rest.pipe(req);
    };
    req.on('socket', (socket) => {
      if (!socket.connecting) {
        connected = true;
        if (options.bodyRest) sendStreamed();
        return timer.enter('first_byte');
      }
      timer.enterConnect(socket);
      socket.once('connect', () => {
        connected = true;
        if (options.bodyRest) sendStreamed();
        timer.enter('first_byte');
      });
    });
    req.on('error', (err: Error & { code?: string }) => {
      failure = err instanceof TimeoutError ? 'timeout' : 'reset';
      if (settled) return;
      settled = true;
      resolve(classify(err, connected, req.reusedSocket));
    });
    req.once('response', (response) => {
      settled = true;
      const exchange: UpstreamExchange = {
        response,
        headersAtMs: performance.now(),
        firstChunkSeen: () => timer.enter('idle'),
        failure: () => failure,
        discard: () => response.resume(),
      };
      const status = response.statusCode ?? 502;
      if (options.judgeStatus?.(status)) resolve({ ok: false, reason: 'status', status, exchange, judged: true });
      else resolve(options.failOnStatus?.(status) ? { ok: false, reason: 'status', status, exchange } : { ok: true, exchange });
    });
    if (!options.bodyRest) req.end(options.body);
  });
}

/**
 * One socket timeout whose length follows the exchange's phase. It rides on the
 * socket's own inactivity timer (refreshed by Node on every read and write), so a
 * long stream costs no timer churn per chunk.
 */
function phasedTimeout(req: ClientRequest, timeouts: UpstreamTimeouts) {
  let phase: TimeoutPhase = 'connect';
  const msOf = (p: TimeoutPhase) => (p === 'connect' ? timeouts.connectMs : p === 'idle' ? timeouts.idleMs : timeouts.firstByteMs);
  req.on('timeout', () => req.destroy(new TimeoutError(phase, msOf(phase))));
  return {
    enter(next: TimeoutPhase) {
      phase = next;
      req.setTimeout(msOf(next));
    },
    /**
     * ClientRequest.setTimeout arms a socket that is still connecting only once it
     * has connected, which would leave a host that never answers the SYN without a
     * timeout (the kernel retries for minutes). So the socket is armed here too; the
     * request's own call still routes the socket's 'timeout' to the request.
     */
    enterConnect(socket: Socket) {
      this.enter('connect');
      socket.setTimeout(timeouts.connectMs);
    },
  };
}

/** The total timeout: one timer per exchange, armed only when UPSTREAM_TOTAL_TIMEOUT_MS is set. */
function armDeadline(req: ClientRequest, deadlineAtMs: number): void {
  const ms = Math.max(0, Math.round(deadlineAtMs - performance.now()));
  const timer = setTimeout(() => req.destroy(new TimeoutError('total', ms)), ms);
  timer.unref();
  req.once('close', () => clearTimeout(timer));
}

function classify(err: Error & { code?: string }, connected: boolean, reusedSocket: boolean): ForwardFailure {
  if (err instanceof TimeoutError) return { ok: false, reason: 'timeout', phase: err.phase, detail: err.message, reusedSocket };
  if (err instanceof CancelledError) return { ok: false, reason: 'aborted', detail: err.message, reusedSocket };
  return { ok: false, reason: connected ? 'reset' : 'connect', detail: err.code ?? err.message, reusedSocket };
}
