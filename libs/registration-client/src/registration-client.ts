import { createAdminApi, type CallResult, type SchedulerRegistration } from './admin-api';
import { backoffDelayMs } from './backoff';

export type { SchedulerRegistration } from './admin-api';

/** The few logger methods the client uses (a winston logger fits). */
export interface RegistrationLogger {
  info(message: string, meta?: Record<string, unknown>): void;
  warn(message: string, meta?: Record<string, unknown>): void;
  error(message: string, meta?: Record<string, unknown>): void;
}

export interface RegistrationClientOptions {
  /** Admin HTTP base URL of the control plane, e.g. `http://127.0.0.1:8081`. */
  controlPlaneUrl: string;
  /** REGISTRATION_TOKEN (or ADMIN_TOKEN), sent as `Authorization: Bearer`. */
  token?: string;
  scheduler: SchedulerRegistration;
  /** Lease length: the control plane forgets the scheduler when heartbeats stop for this long. */
  ttlSeconds: number;
  /** Default ttl / 3, so two heartbeats may be lost before the lease ends. */
  heartbeatIntervalMs?: number;
  /** Per call; default min(5 s, heartbeat interval). */
  requestTimeoutMs?: number;
  /** First retry delay after a failure (default 250 ms); grows up to the heartbeat interval. */
  retryBaseMs?: number;
  logger?: RegistrationLogger;
  fetch?: typeof fetch;
  rand?: () => number;
}

export interface RegistrationStatus {
  registered: boolean;
  id: string | undefined;
  consecutive_failures: number;
  last_error: string | undefined;
  last_success_at_ms: number | undefined;
}

export interface RegistrationClient {
  /** Registers once and resolves whatever the outcome; retries and heartbeats continue in the background. */
  start(): Promise<void>;
  /** Stops heartbeating; deregisters unless `{deregister: false}`. */
  stop(options?: { deregister?: boolean }): Promise<void>;
  /** Stops heartbeating and removes the scheduler; true when the control plane no longer has it (200 or 404). */
  deregister(): Promise<boolean>;
  status(): RegistrationStatus;
}

const SILENT: RegistrationLogger = { info: () => undefined, warn: () => undefined, error: () => undefined };

/**
 * Self-registration with a lease (issue 3, "Self-registration"): `POST
 * /admin/scheduler/add` with `ttl_seconds` at start and on every heartbeat. While
 * the control plane is down it retries with jittered backoff and never gives up,
 * so a sidecar survives control-plane restarts; a control plane that restarted with
 * empty state gets the registration back on the next heartbeat.
 */
export function createRegistrationClient(options: RegistrationClientOptions): RegistrationClient {
  const logger = options.logger ?? SILENT;
  const heartbeatMs = options.heartbeatIntervalMs ?? Math.max(100, Math.floor((options.ttlSeconds * 1000) / 3));
  const timeoutMs = options.requestTimeoutMs ?? Math.min(5_000, heartbeatMs);
  const backoff = { baseMs: options.retryBaseMs ?? 250, maxMs: heartbeatMs };
  const rand = options.rand ?? Math.random;
  const api = createAdminApi({ controlPlaneUrl: options.controlPlaneUrl, token: options.token, fetch: options.fetch ?? globalThis.fetch });
  const halt = new AbortController();
  const state: RegistrationStatus = { registered: false, id: options.scheduler.id, consecutive_failures: 0, last_error: undefined, last_success_at_ms: undefined };
  let everRegistered = false;
  let timer: NodeJS.Timeout | undefined;
  let inFlight: Promise<void> | undefined;

  const meta = () => ({ scheduler_id: state.id, scheduler_url: options.scheduler.url, control_plane_url: options.controlPlaneUrl });

  function schedule(delayMs: number): void {
    if (halt.signal.aborted) return;
    timer = setTimeout(() => void attempt(), delayMs);
    timer.unref();
  }

  function attempt(): Promise<void> {
    timer = undefined;
    const registration = { ...options.scheduler, id: state.id };
    inFlight = api
      .add(registration, options.ttlSeconds, AbortSignal.any([halt.signal, AbortSignal.timeout(timeoutMs)]))
      .then((result) => (halt.signal.aborted ? undefined : onResult(result)))
      .finally(() => (inFlight = undefined));
    return inFlight;
  }

  function onResult(result: CallResult): void {
    if (result.ok) {
      onSuccess(result.status, result.schedulerId);
      schedule(heartbeatMs);
      return;
    }
    state.registered = false;
    state.consecutive_failures += 1;
    state.last_error = result.error;
    const delayMs = backoffDelayMs(state.consecutive_failures, backoff, rand);
    logger.warn('registration failed, retrying', { ...meta(), status: result.status, error: result.error, failures: state.consecutive_failures, retry_in_ms: delayMs });
    schedule(delayMs);
  }

  function onSuccess(status: number, schedulerId: string | undefined): void {
    // 201 on a heartbeat means the control plane had forgotten us (restart with empty state).
    const recovered = state.consecutive_failures > 0 || (everRegistered && status === 201);
    if (schedulerId) state.id = schedulerId;
    if (recovered) logger.info('re-registered', { ...meta(), status, after_failures: state.consecutive_failures });
    else if (!everRegistered) logger.info('registered', { ...meta(), status, ttl_seconds: options.ttlSeconds, heartbeat_interval_ms: heartbeatMs });
    everRegistered = true;
    state.registered = true;
    state.consecutive_failures = 0;
    state.last_error = undefined;
    state.last_success_at_ms = Date.now();
  }

  async function halting(): Promise<void> {
    halt.abort();
    if (timer) clearTimeout(timer);
    timer = undefined;
    await inFlight;
  }

  async function deregister(): Promise<boolean> {
    await halting();
    if (!state.id) return true;
    const result = await api.remove(state.id, AbortSignal.timeout(timeoutMs));
    const gone = result.ok || result.status === 404;
    if (gone) logger.info('deregistered', { ...meta(), status: result.status });
    else logger.warn('deregistration failed', { ...meta(), status: result.status, error: result.error });
    state.registered = false;
    return gone;
  }

  return {
    start: () => (halt.signal.aborted || inFlight || timer ? Promise.resolve() : attempt()),
    async stop(stopOptions) {
      if (stopOptions?.deregister === false) await halting();
      else await deregister();
    },
    deregister,
    status: () => ({ ...state }),
  };
}
