/**
 * The targets every overhead/latency/streams scenario compares, started once per
 * scenario and measured in alternation:
 *  - direct:     a static responder pinned to the target core (the ceiling)
 *  - bare-proxy: bare node:http pass-through on the target core (the Node floor)
 *  - nginx:      when installed (external anchor), one worker on the target core
 *  - gateway:    the real gateway on the target core, control plane on the other
 *  - gateway-before: with BENCH_GATEWAY_BEFORE, another build's gateway beside it
 * Proxied targets share one upstream responder on the load core.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startNginx, nginxVersion } from '../baselines/nginx.mjs';
import { scrapeEventLoopP99 } from './event-loop-lag.mjs';
import { EVENT_LOOP_PATH } from './event-loop-probe.mjs';
import { BENCH_MODEL, gatewayMainIn, gatewayMissing, startControlPlane, startGateway, verifyFeatures, waitUntilRoutes } from './gateway-stack.mjs';
import { LOAD_CORE, TARGET_CORE, startProcess } from './processes.mjs';

const BENCH_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/**
 * @typedef {object} Target
 * @property {string} name
 * @property {string} url
 * @property {number} pid
 * @property {Record<string, string>} headers  sent on every request (the API key when auth is on)
 * @property {() => Promise<number>} eventLoopP99  seconds since the previous call (NaN when the target has no probe)
 */

/**
 * Spawns one of our node servers and resolves with its port from the listening line.
 * @param {{name: string, script: string, flags: string[], core: string, pin: boolean}} spec
 */
export function startNodeServer(spec) {
  return new Promise((resolve, reject) => {
    const proc = startProcess({
      name: spec.name, command: process.execPath, args: [path.join(BENCH_DIR, spec.script), ...spec.flags], core: spec.core, pin: spec.pin,
      onLine(line) {
        if (!line.startsWith('{"message":"listening"')) return;
        clearTimeout(timer);
        resolve({ proc, url: `http://127.0.0.1:${JSON.parse(line).port}` });
      },
    });
    const timer = setTimeout(() => reject(new Error(`${spec.name} did not listen: ${proc.tail()}`)), 10_000);
    void proc.exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`${spec.name} exited ${code}: ${proc.tail()}`));
    });
  });
}

/** @param {string} url @returns {Promise<number>} */
async function readProbeLag(url) {
  const res = await fetch(`${url}${EVENT_LOOP_PATH}`);
  return (await res.json()).p99_seconds;
}

/**
 * @param {import('./options.mjs').Options} options
 * @param {{chunks: number, gapMs: number}} backend  the responder's stream shape for this scenario
 * @returns {Promise<{targets: Target[], skipped: Array<{name: string, reason: string}>, features: Record<string, unknown> | null, stop(): Promise<void>}>}
 */
export async function startTargets(options, backend) {
  /** @type {Array<{stop(): Promise<void>}>} */
  const owned = [];
  /** @type {Target[]} */
  const targets = [];
  /** @type {Array<{name: string, reason: string}>} */
  const skipped = [];
  const wanted = new Set(options.targets);
  const backendFlags = [`--chunks=${backend.chunks}`, `--gap-ms=${backend.gapMs}`, `--model=${BENCH_MODEL}`];
  const noLag = async () => Number.NaN;
  const stop = async () => {
    for (const p of owned.reverse()) await p.stop().catch(() => undefined);
  };
  try {
    if (wanted.has('direct')) {
      const direct = await startNodeServer({ name: 'direct', script: 'backends/static-responder.mjs', flags: backendFlags, core: TARGET_CORE, pin: options.pin });
      owned.push(direct.proc);
      targets.push({ name: 'direct', url: direct.url, pid: direct.proc.pid, headers: {}, eventLoopP99: noLag });
    }
    const upstream = await startNodeServer({ name: 'upstream', script: 'backends/static-responder.mjs', flags: backendFlags, core: LOAD_CORE, pin: options.pin });
    owned.push(upstream.proc);
    const upstreamPort = Number(new URL(upstream.url).port);
    if (wanted.has('bare-proxy')) {
      const bare = await startNodeServer({ name: 'bare-proxy', script: 'baselines/bare-proxy.mjs', flags: [`--upstream=${upstream.url}`], core: TARGET_CORE, pin: options.pin });
      owned.push(bare.proc);
      targets.push({ name: 'bare-proxy', url: bare.url, pid: bare.proc.pid, headers: {}, eventLoopP99: () => readProbeLag(bare.url) });
    }
    if (wanted.has('nginx')) {
      if (nginxVersion() === null) skipped.push({ name: 'nginx', reason: 'nginx not on PATH (apt-get install nginx-light to include it)' });
      else {
        const nginx = await startNginx({ upstreamPort, pin: options.pin });
        owned.push(nginx);
        targets.push({ name: 'nginx', url: nginx.url, pid: nginx.pid, headers: {}, eventLoopP99: noLag });
      }
    }
    let features = null;
    if (wanted.has('gateway')) {
      const missing = gatewayMissing();
      if (missing) skipped.push({ name: 'gateway', reason: missing });
      else {
        // A gateway that fails to start or route must not cost the baselines: report it as skipped, with why.
        const gateway = await startGatewayTarget(options, upstream.url, owned).catch((/** @type {Error} */ err) => {
          skipped.push({ name: 'gateway', reason: `failed to start: ${err.message.slice(0, 500)}` });
          return null;
        });
        if (gateway) {
          features = gateway.features;
          targets.push(gateway.target, ...gateway.before);
        }
      }
    }
    return { targets, skipped, features, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}

/**
 * @param {import('./options.mjs').Options} options
 * @param {string} upstreamUrl
 * @param {Array<{stop(): Promise<void>}>} owned  receives what it starts, for stop()
 */
async function startGatewayTarget(options, upstreamUrl, owned) {
  const controlPlane = await startControlPlane({ pin: options.pin, features: options.features });
  owned.push(controlPlane);
  const gateway = await startGateway({ pin: options.pin, controlPlane, extraEnv: options.features.extraEnv });
  owned.push(gateway.proc);
  await controlPlane.addScheduler({ id: 'bench-upstream', url: upstreamUrl, models: [BENCH_MODEL] });
  /** @type {Record<string, string>} */
  const headers = controlPlane.apiKey ? { authorization: `Bearer ${controlPlane.apiKey}` } : {};
  await waitUntilRoutes(gateway.url, BENCH_MODEL, headers, 20_000);
  const features = await verifyFeatures(gateway.url, controlPlane);
  /** @type {Target} */
  const target = { name: 'gateway', url: gateway.url, pid: gateway.proc.pid, headers, eventLoopP99: () => scrapeEventLoopP99(gateway.url) };
  const before = options.gatewayBefore === null ? [] : [await startBeforeTarget(options, options.gatewayBefore, controlPlane, headers, owned)];
  return { target, features, before };
}

/**
 * The gateway of another build (BENCH_GATEWAY_BEFORE) on the same core, control
 * plane and upstream as this one's; a missing build fails the run rather than
 * leaving a before/after without its "before".
 * @param {import('./options.mjs').Options} options
 * @param {string} root
 * @param {Awaited<ReturnType<typeof startControlPlane>>} controlPlane
 * @param {Record<string, string>} headers
 * @param {Array<{stop(): Promise<void>}>} owned
 * @returns {Promise<Target>}
 */
async function startBeforeTarget(options, root, controlPlane, headers, owned) {
  const main = gatewayMainIn(root);
  if (main === null) throw new Error(`BENCH_GATEWAY_BEFORE=${root} has no services/gateway/dist/main.js (build it there first)`);
  const gateway = await startGateway({ pin: options.pin, controlPlane, extraEnv: options.features.extraEnv, main, name: 'gateway-before' });
  owned.push(gateway.proc);
  await waitUntilRoutes(gateway.url, BENCH_MODEL, headers, 20_000);
  return { name: 'gateway-before', url: gateway.url, pid: gateway.proc.pid, headers, eventLoopP99: () => scrapeEventLoopP99(gateway.url) };
}
