import type { CliConfig } from './cli-config';
import { createRegistrationClient, type RegistrationLogger } from './registration-client';
import { waitForServer } from './wait-for-server';

export interface SidecarDeps {
  logger: RegistrationLogger;
  /** Aborted on SIGTERM/SIGINT: deregister and return. */
  signal: AbortSignal;
  fetch?: typeof fetch;
}

/** Log a "still waiting" line every this many polls, not every poll. */
const WAITING_LOG_EVERY = 10;

/**
 * The `switchyard-register` sidecar: waits for the local inference server, then
 * registers and heartbeats until `signal` aborts, then deregisters. Resolves with
 * the process exit code: 0 on a clean stop, 1 when the server never came up.
 */
export async function runSidecar(config: CliConfig, deps: SidecarDeps): Promise<number> {
  const { logger, signal } = deps;
  // The client's timers are unref'd (it lives inside other processes); the sidecar
  // has nothing else holding the event loop, so it holds it here until stopped.
  const keepAlive = setInterval(() => undefined, 60_000);
  try {
    logger.info('waiting for the inference server', { scheduler_url: config.SCHEDULER_URL });
    const outcome = await waitForServer({
      url: config.SCHEDULER_URL,
      apiKey: config.SCHEDULER_API_KEY,
      pollIntervalMs: config.READY_POLL_INTERVAL_MS,
      timeoutMs: config.READY_TIMEOUT_MS,
      signal,
      fetch: deps.fetch,
      onWaiting: (attempts) => attempts % WAITING_LOG_EVERY === 0 && logger.info('inference server not ready yet', { scheduler_url: config.SCHEDULER_URL, attempts }),
    });
    if (outcome === 'aborted') return 0;
    if (outcome === 'timeout') {
      logger.error('inference server never became ready', { scheduler_url: config.SCHEDULER_URL, ready_timeout_ms: config.READY_TIMEOUT_MS });
      return 1;
    }
    const client = createRegistrationClient({
      controlPlaneUrl: config.CONTROL_PLANE_URL,
      token: config.REGISTRATION_TOKEN,
      scheduler: {
        id: config.SCHEDULER_ID,
        url: config.SCHEDULER_URL,
        models: config.SCHEDULER_MODELS.length > 0 ? config.SCHEDULER_MODELS : undefined,
        weight: config.SCHEDULER_WEIGHT,
        api_key: config.SCHEDULER_API_KEY,
      },
      ttlSeconds: config.TTL_SECONDS,
      heartbeatIntervalMs: config.HEARTBEAT_INTERVAL_MS,
      logger,
      fetch: deps.fetch,
    });
    await client.start();
    await aborted(signal);
    await client.stop();
    return 0;
  } finally {
    clearInterval(keepAlive);
  }
}

function aborted(signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.resolve();
  return new Promise((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
}
