import { randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import { closeGracefully, listen, type Component } from '@switchyard/lifecycle';
import { createMetricsRegistry, type Logger } from '@switchyard/observability';
import { createRegistrationClient, type RegistrationClient } from '@switchyard/registration-client';
import type { Registry } from 'prom-client';
import { createPrefixCache } from './cache/prefix-cache';
import type { Config } from './config';
import { parseFault, type Fault } from './faults/fault';
import { createSlotPool } from './generation/slot-pool';
import { messagesRoutes } from './endpoints/messages-routes';
import { poolingRoutes } from './endpoints/pooling-routes';
import { responsesRoutes } from './endpoints/responses-routes';
import { openAiRoutes } from './http/openai-routes';
import { sendLlamaCppError } from './http/llama-cpp-errors';
import { createRequestListener } from './http/router';
import { sendError } from './http/send';
import { simRoutes } from './http/sim-routes';
import { createSimMetrics } from './metrics';
import type { SimContext } from './sim-context';
import { createSimStats } from './stats/sim-stats';

export interface SimDeps {
  logger: Logger;
  /** For SIM_FAIL_RATE; tests pass a fixed sequence. */
  rand?: () => number;
  /** For the registration client. */
  fetch?: typeof fetch;
}

export interface Sim extends Component {
  /** Bound port, known after start() (PORT=0 picks one). */
  readonly port: number;
  /** SIM_ID, or `sim-<port>`. */
  readonly id: string;
  /** The URL it registers: SIM_PUBLIC_URL or http://HOST:PORT. */
  readonly url: string;
}

const MAX_BODY_BYTES = 16 * 1024 * 1024;
const MAX_STATS_RECORDS = 1_000;

interface SimState {
  port: number;
  id: string;
  url: string;
  draining: boolean;
}

/**
 * The simulated inference scheduler: OpenAI routes, load report, fault injection,
 * and, with CONTROL_PLANE_URL, self-registration. stop() deregisters first, refuses
 * new work, and lets in-flight streams finish for up to SHUTDOWN_GRACE_MS.
 */
export function createSim(config: Config, deps: SimDeps): Sim {
  const logger = deps.logger.child({ component: 'sim' });
  const state: SimState = { port: 0, id: config.SIM_ID ?? '', url: '', draining: false };
  const registry = createMetricsRegistry('sim-scheduler');
  const ctx = createSimContext(config, deps, state, registry, logger);
  const renderError = config.SIM_ERROR_STYLE === 'llamacpp' ? sendLlamaCppError : sendError;
  const listener = createRequestListener({ ...openAiRoutes(ctx, Math.floor(Date.now() / 1000)), ...responsesRoutes(ctx), ...messagesRoutes(ctx), ...poolingRoutes(ctx), ...simRoutes(ctx, registry) }, logger, renderError);
  const server = createServer((req, res) => {
    // While draining, a request on a kept-alive connection is the last one on it.
    if (state.draining) res.setHeader('connection', 'close');
    listener(req, res);
  });
  let registration: RegistrationClient | undefined;

  return {
    name: 'sim-scheduler',
    get port() {
      return state.port;
    },
    get id() {
      return state.id;
    },
    get url() {
      return state.url;
    },
    async start() {
      state.port = await listen(server, config.PORT, config.HOST);
      state.id = config.SIM_ID ?? `sim-${state.port}`;
      state.url = config.SIM_PUBLIC_URL ?? `http://${urlHost(config.HOST)}:${state.port}`;
      logger.info('listening', { host: config.HOST, port: state.port, id: state.id, models: config.SIM_MODELS, fault: config.SIM_FAULT ?? 'none' });
      registration = config.CONTROL_PLANE_URL ? await registerSelf(config.CONTROL_PLANE_URL, config, state, deps) : undefined;
    },
    async stop() {
      state.draining = true;
      for (const res of ctx.hung) res.destroy();
      // Deregistration runs beside the drain, so an unreachable control plane
      // cannot push the exit past SHUTDOWN_GRACE_MS.
      await Promise.all([registration?.stop(), closeGracefully(server, config.SHUTDOWN_GRACE_MS)]);
    },
  };
}

function createSimContext(config: Config, deps: SimDeps, state: SimState, registry: Registry, logger: Logger): SimContext {
  const pool = createSlotPool(config.SIM_MAX_RUNNING, config.SIM_KV_CACHE_TOKENS);
  return {
    id: () => state.id,
    ttftMs: config.SIM_TTFT_MS,
    itlMs: config.SIM_ITL_MS,
    prefillMsPerToken: config.SIM_PREFILL_MS_PER_TOKEN,
    cache: createPrefixCache({ capacityBlocks: config.SIM_PREFIX_CACHE_BLOCKS, blockTokens: config.SIM_BLOCK_TOKENS }),
    failRate: config.SIM_FAIL_RATE,
    apiKey: config.SIM_API_KEY,
    embeddingDim: config.SIM_EMBEDDING_DIM,
    maxBodyBytes: MAX_BODY_BYTES,
    parse: { models: new Set(config.SIM_MODELS), seed: config.SIM_SEED, defaultMaxTokens: config.SIM_DEFAULT_MAX_TOKENS },
    pool,
    stats: createSimStats(MAX_STATS_RECORDS),
    metrics: createSimMetrics(registry, pool.load, config.SIM_METRICS_FLAVOR, config.SIM_MODELS[0]),
    fault: { current: initialFault(config.SIM_FAULT) },
    hung: new Set(),
    draining: () => state.draining,
    rand: deps.rand ?? Math.random,
    newId: (prefix) => `${prefix}${randomUUID().replace(/-/g, '')}`,
    logger,
  };
}

/** Registers with the control plane (same client as the `switchyard-register` sidecar). */
async function registerSelf(controlPlaneUrl: string, config: Config, state: SimState, deps: SimDeps): Promise<RegistrationClient> {
  const logger = deps.logger.child({ component: 'registration' });
  if (config.SIM_PUBLIC_URL === undefined && urlHost(config.HOST) !== config.HOST) logger.warn('HOST is a wildcard; registering 127.0.0.1 (set SIM_PUBLIC_URL)', { url: state.url });
  const client = createRegistrationClient({
    controlPlaneUrl,
    token: config.REGISTRATION_TOKEN,
    scheduler: { id: state.id, url: state.url, models: config.SIM_MODELS, api_key: config.SIM_API_KEY },
    ttlSeconds: config.SIM_REGISTRATION_TTL_SECONDS,
    logger,
    fetch: deps.fetch,
  });
  await client.start();
  return client;
}

function initialFault(text: string | undefined): Fault {
  const parsed = parseFault(text ?? 'none');
  return parsed.ok ? parsed.fault : { kind: 'none' };
}

/** A host usable in a URL: wildcards become loopback, IPv6 literals get brackets. */
function urlHost(host: string): string {
  if (host === '0.0.0.0' || host === '::') return '127.0.0.1';
  return host.includes(':') ? `[${host}]` : host;
}
