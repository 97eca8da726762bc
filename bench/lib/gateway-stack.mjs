/**
 * The real thing under test: a spawned control plane, gateways pointed at it, the
 * static responder registered as a scheduler through the admin API, and the
 * production-feature hooks (keys, Redis) wired in when asked for.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startOtlpSink } from './otlp-sink.mjs';
import { LOAD_CORE, TARGET_CORE, freePort, onPath, startProcess, waitForHttp } from './processes.mjs';

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const BENCH_MODEL = 'bench-model';
const GATEWAY_MAIN = path.join(REPO_ROOT, 'services/gateway/dist/main.js');
const CONTROL_PLANE_MAIN = path.join(REPO_ROOT, 'services/control-plane/dist/main.js');
/**
 * Limits no benchmark reaches (0 would mean "unlimited" and skip the limiter), each
 * within what the control plane's key-file schema accepts.
 */
const UNREACHABLE_LIMITS = { rpm: 100_000_000, tpm: 1_000_000_000_000, max_concurrency: 1_000_000 };

/** @returns {string | null} why the gateway cannot run, or null when it can */
export function gatewayMissing() {
  const missing = [GATEWAY_MAIN, CONTROL_PLANE_MAIN].filter((f) => !existsSync(f));
  return missing.length ? `not built: ${missing.map((f) => path.relative(REPO_ROOT, f)).join(', ')} (run pnpm build)` : null;
}

/**
 * Control plane (+ Redis and a keys file when the features ask for them), on the
 * load core: it is not what is measured.
 * @param {{pin: boolean, features: import('./options.mjs').Options['features']}} options
 */
export async function startControlPlane(options) {
  const dir = mkdtempSync(path.join(tmpdir(), 'switchyard-bench-'));
  /** @type {Array<{stop(): Promise<void>}>} */
  const owned = [];
  /** @type {Record<string, string>} */
  const shared = {};
  if (options.features.redis) {
    if (!onPath('redis-server')) throw new Error('Redis is on (BENCH_REDIS / BENCH_PRODUCTION_FEATURES) but redis-server is not on PATH; install it or set BENCH_REDIS=0');
    const redisPort = await freePort();
    const redis = startProcess({ name: 'redis', command: 'redis-server', args: ['--port', String(redisPort), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], core: LOAD_CORE, pin: options.pin });
    owned.push(redis);
    shared.REDIS_URL = `redis://127.0.0.1:${redisPort}`;
    shared.REDIS_KEY_PREFIX = `bench-${randomBytes(4).toString('hex')}:`;
  }
  const apiKey = options.features.auth ? `sk-bench-${randomBytes(16).toString('hex')}` : null;
  /** @type {Record<string, string>} */
  const env = { HOST: '127.0.0.1', LOG_LEVEL: 'warn', ADMIN_PORT: String(await freePort()), GRPC_PORT: String(await freePort()), ...shared };
  if (apiKey) {
    env.API_KEYS_FILE = path.join(dir, 'keys.json');
    writeFileSync(env.API_KEYS_FILE, JSON.stringify({ keys: [{ key: apiKey, user: 'bench', enabled: true, allowed_models: ['*'], allow_backend_pin: true, ...UNREACHABLE_LIMITS }] }));
  }
  const proc = startProcess({ name: 'control-plane', command: process.execPath, args: [CONTROL_PLANE_MAIN], env, core: LOAD_CORE, pin: options.pin });
  owned.push(proc);
  /** @type {Record<string, string>} gateways only: the control plane does not trace */
  const tracingEnv = {};
  if (options.features.otelRatio !== null) {
    const sink = await startOtlpSink();
    owned.push(sink);
    Object.assign(tracingEnv, { OTEL_EXPORTER_OTLP_ENDPOINT: sink.url, OTEL_TRACES_SAMPLER: 'parentbased_traceidratio', OTEL_TRACES_SAMPLER_ARG: options.features.otelRatio });
  }
  const adminUrl = `http://127.0.0.1:${env.ADMIN_PORT}`;
  const stopOwned = async () => {
    for (const p of owned.reverse()) await p.stop();
    rmSync(dir, { recursive: true, force: true });
  };
  // A control plane that fails must not leave Redis running (its pipes would keep the harness alive).
  await waitForHttp(`${adminUrl}/health`, { proc }).catch(async (err) => {
    await stopOwned();
    throw err;
  });
  return {
    adminUrl,
    grpcAddr: `127.0.0.1:${env.GRPC_PORT}`,
    sharedEnv: shared,
    tracingEnv,
    apiKey,
    proc,
    /** @param {{id: string, url: string, models: string[]}} scheduler */
    async addScheduler(scheduler) {
      const res = await fetch(`${adminUrl}/admin/scheduler/add`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(scheduler) });
      const text = await res.text();
      if (res.status !== 200 && res.status !== 201) throw new Error(`scheduler/add ${scheduler.id} → ${res.status} ${text.slice(0, 300)}`);
    },
    /** @param {string} id */
    async removeScheduler(id) {
      const res = await fetch(`${adminUrl}/admin/scheduler/remove?id=${encodeURIComponent(id)}`, { method: 'DELETE' });
      await res.arrayBuffer();
    },
    stop: stopOwned,
  };
}

/**
 * The built gateway of another checkout (`BENCH_GATEWAY_BEFORE`), or null when it is
 * not built there.
 * @param {string} root  a checkout of this repository, built
 */
export function gatewayMainIn(root) {
  const main = path.join(path.resolve(root), 'services/gateway/dist/main.js');
  return existsSync(main) ? main : null;
}

/**
 * One gateway at LOG_LEVEL=info (request logging on) with metrics on its port;
 * `main` runs another build of it (a before/after comparison), this checkout's by default.
 * @param {{pin: boolean, core?: string, controlPlane: Awaited<ReturnType<typeof startControlPlane>>, extraEnv: Record<string, string>, main?: string, name?: string}} options
 */
export async function startGateway(options) {
  const port = await freePort();
  const env = {
    HOST: '127.0.0.1', PORT: String(port), CONTROL_PLANE_ADDR: options.controlPlane.grpcAddr, LOG_LEVEL: 'info',
    ...options.controlPlane.sharedEnv, ...options.controlPlane.tracingEnv, ...options.extraEnv,
  };
  const proc = startProcess({ name: options.name ?? 'gateway', command: process.execPath, args: [options.main ?? GATEWAY_MAIN], env, core: options.core ?? TARGET_CORE, pin: options.pin });
  const url = `http://127.0.0.1:${port}`;
  await waitForHttp(`${url}/health`, { proc }).catch(async (err) => {
    await proc.stop();
    throw err;
  });
  return { url, proc };
}

/**
 * Waits until `url` routes a chat completion for `model` (200), which is stricter
 * than /ready: the table must also hold a scheduler serving the model.
 * @param {string} url
 * @param {string} model
 * @param {Record<string, string>} headers
 * @param {number} timeoutMs
 */
export async function waitUntilRoutes(url, model, headers, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  while (Date.now() < deadline) {
    const res = await fetch(`${url}/v1/chat/completions`, {
      method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify({ model, messages: [{ role: 'user', content: 'hi' }] }),
    }).catch((err) => ({ status: 0, text: async () => String(err) }));
    if (res.status === 200) return;
    last = `${res.status} ${(await res.text()).slice(0, 200)}`;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`${url} did not route model ${model} within ${timeoutMs} ms (last: ${last})`);
}

/**
 * Which production features the gateway really enforced: auth is on only if a
 * request without the key is refused with 401.
 * @param {string} url
 * @param {Awaited<ReturnType<typeof startControlPlane>>} controlPlane
 */
export async function verifyFeatures(url, controlPlane) {
  let authEnforced = false;
  if (controlPlane.apiKey) {
    const res = await fetch(`${url}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ model: BENCH_MODEL, messages: [] }) });
    await res.arrayBuffer();
    authEnforced = res.status === 401;
  }
  return {
    auth_requested: Boolean(controlPlane.apiKey),
    auth_enforced: authEnforced,
    rate_limits: Boolean(controlPlane.apiKey) ? (authEnforced ? 'key limits configured (not verified to throttle)' : 'requested but keys not enforced') : 'off',
    redis: controlPlane.sharedEnv.REDIS_URL ? 'on' : 'off (in-memory control plane)',
    metrics: 'on (/metrics scraped)',
    request_logging: 'LOG_LEVEL=info',
    tracing: controlPlane.tracingEnv.OTEL_TRACES_SAMPLER_ARG ? `OTLP/HTTP to a sink, parentbased_traceidratio ${controlPlane.tracingEnv.OTEL_TRACES_SAMPLER_ARG}` : 'off',
    control_plane: 'spawned, scheduler added via POST /admin/scheduler/add',
  };
}
