/**
 * Issue 16, `pnpm bench:scale`: the incremental routing-table stream at fleet size.
 *
 * - a fake fleet of N schedulers on N ports (`bench/probe-load.mjs --fleet`: /health,
 *   /metrics with steady load gauges, GET /v1/models for the registration check),
 *   probed by the control plane every --probe-interval-ms;
 * - the real control plane as a process, with Redis state (default; a fresh key
 *   prefix on --redis-url) or the embedded memory state (--state memory);
 * - K keys: an API_KEYS_FILE of K hashed keys (the admin API creates the changed ones);
 * - N schedulers registered through the admin API (timed);
 * - G watchers, real gRPC clients over --processes processes (bench/scale/), each
 *   also sending a ReportStats message every second, as gateways do;
 * - one real gateway process holding the table and its K keys (its RSS);
 * - --rounds rounds of five changes (6 rounds = 30 changes): scheduler add, drain,
 *   health flip (the fleet's /health answers 503 until the prober marks it
 *   unhealthy), key create, key disable;
 * - the control plane's CPU, RSS and event-loop lag (its /metrics:
 *   nodejs_eventloop_lag_p99_seconds, read every 5 s) over the whole change phase
 *   and a steady window (--steady-s) of probing and reports.
 * Prints one table, writes bench/results/<date>-scale.json.
 *
 *   node bench/scale.mjs [--schedulers 1000] [--watchers 200] [--keys 100000] [--rounds 6]
 *                        [--processes 4] [--probe-interval-ms 2000] [--metrics-kb 8] [--steady-s 20]
 *                        [--state redis|memory] [--redis-url redis://127.0.0.1:6379]
 *   pnpm bench:scale       (builds first; the issue-16 defaults)
 * Smoke run (≈ 1 min): --schedulers 100 --watchers 20 --keys 5000 --rounds 2 --steady-s 5
 */
import { writeFileSync, mkdtempSync, rmSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { fleetPorts } from './lib/fleet.mjs';
import { sampleEventLoopLag } from './lib/event-loop-lag.mjs';
import { cpuSeconds, rssMb } from './lib/proc-stats.mjs';
import { freePort, sleep, startProcess, waitForHttp } from './lib/processes.mjs';
import { machineInfo, writeResult } from './lib/report.mjs';
import { readScaleArgs } from './scale/args.mjs';
import { printScaleTable, summarize } from './scale/summary.mjs';
import { startWatchers } from './scale/watchers.mjs';

const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const log = (/** @type {string} */ m) => console.error(`[scale ${new Date().toISOString().slice(11, 19)}] ${m}`);

/** @param {string} adminUrl @param {string} method @param {string} route @param {unknown} [body] */
async function admin(adminUrl, method, route, body) {
  const res = await fetch(`${adminUrl}${route}`, { method, headers: { 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });
  if (res.status >= 300) throw new Error(`${method} ${route}: HTTP ${res.status} ${await res.text()}`);
  return /** @type {any} */ (await res.json());
}

/** @param {number} count @param {(i: number) => Promise<unknown>} call @param {number} concurrency */
async function inParallel(count, call, concurrency) {
  let next = 0;
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (next < count) await call(next++);
  }));
}

/** @param {string} dir @param {number} keys */
function writeKeysFile(dir, keys) {
  const file = path.join(dir, 'keys.json');
  const entries = Array.from({ length: keys }, (_, i) => ({ key_sha256: randomBytes(32).toString('hex'), user: `user-${i % 1000}`, allowed_models: ['*'], rpm: 600 }));
  writeFileSync(file, JSON.stringify({ keys: entries }));
  return file;
}

async function main() {
  const args = readScaleArgs(process.argv);
  const machine = machineInfo();
  const dir = mkdtempSync(path.join(os.tmpdir(), 'bench-scale-'));
  const extra = args.rounds;
  log(`N=${args.schedulers} G=${args.watchers} (${args.processes} processes) K=${args.keys} state=${args.state} probing every ${args.probeIntervalMs} ms; load average ${machine.loadavg_at_start.join(' ')}`);
  const fleet = startProcess({ name: 'fleet', command: process.execPath, args: [path.join(REPO_ROOT, 'bench/probe-load.mjs'), '--fleet', '--schedulers', String(args.schedulers + extra), '--metrics-kb', String(args.metricsKb), '--models', '20', '--steady-load'], pin: false });
  const keysFile = writeKeysFile(dir, args.keys);
  const [adminPort, grpcPort, gatewayPort] = [await freePort(), await freePort(), await freePort()];
  /** @type {Record<string, string>} */
  const state = args.state === 'redis' ? { REDIS_URL: args.redisUrl, REDIS_KEY_PREFIX: `bench-scale-${Date.now()}:` } : {};
  const cpEnv = { HOST: '127.0.0.1', ADMIN_PORT: String(adminPort), GRPC_PORT: String(grpcPort), LOG_LEVEL: 'warn', PROBE_INTERVAL_MS: String(args.probeIntervalMs), API_KEYS_FILE: keysFile, ...state };
  const controlPlane = startProcess({ name: 'control-plane', command: process.execPath, args: [...(process.env.BENCH_CPU_PROF ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_CPU_PROF}`] : []), path.join(REPO_ROOT, 'services/control-plane/dist/main.js')], env: cpEnv, pin: false });
  /** @type {Awaited<ReturnType<typeof startWatchers>> | undefined} */
  let watchers;
  /** @type {import('./lib/processes.mjs').Child | undefined} */
  let gateway;
  try {
    const { ports, control_port: fleetControl } = await fleetPorts(fleet);
    const adminUrl = `http://127.0.0.1:${adminPort}`;
    await waitForHttp(`${adminUrl}/ready`, { proc: controlPlane, timeoutMs: 120_000 });
    log(`control plane ready with ${args.keys} keys; registering ${args.schedulers} schedulers`);
    const registerStart = performance.now();
    await inParallel(args.schedulers, (i) => admin(adminUrl, 'POST', '/admin/scheduler/add', { id: `s-${i}`, url: `http://127.0.0.1:${ports[i]}`, models: [`model-${i % 20}`] }), 32);
    const registerMs = performance.now() - registerStart;
    log(`registered in ${Math.round(registerMs)} ms; waiting one probe round`);
    await sleep(args.probeIntervalMs + 1_000);

    const schedulerIds = Array.from({ length: args.schedulers }, (_, i) => `s-${i}`);
    watchers = await startWatchers({ address: `127.0.0.1:${grpcPort}`, watchers: args.watchers, processes: args.processes, schedulerIds, reportEveryMs: 1_000 });
    const connectStart = Date.now();
    const firstAt = await watchers.connect();
    const firstTableMs = Math.max(...firstAt) - connectStart;
    log(`first table at all ${args.watchers} watchers after ${firstTableMs} ms`);
    gateway = startProcess({ name: 'gateway', command: process.execPath, args: [path.join(REPO_ROOT, 'services/gateway/dist/main.js')], env: { HOST: '127.0.0.1', PORT: String(gatewayPort), CONTROL_PLANE_ADDR: `127.0.0.1:${grpcPort}`, LOG_LEVEL: 'warn' }, pin: false });
    await waitForHttp(`http://127.0.0.1:${gatewayPort}/ready`, { proc: gateway, timeoutMs: 60_000 });

    const lag = sampleEventLoopLag(adminUrl);
    const cpuBefore = cpuSeconds(controlPlane.pid);
    const windowStart = performance.now();
    let rssMax = rssMb(controlPlane.pid);
    const rssTimer = setInterval(() => (rssMax = Math.max(rssMax, rssMb(controlPlane.pid))), 500);
    /** @type {Array<{kind: string, round: number} & Awaited<ReturnType<typeof watchers.observe>>>} */
    const changes = [];
    const timed = async (/** @type {() => Promise<unknown>} */ act) => {
      const at = Date.now();
      await act();
      return at;
    };
    const fleetCall = (/** @type {string} */ route) => fetch(`http://127.0.0.1:${fleetControl}${route}`, { method: 'POST' }).then((r) => r.arrayBuffer());
    const healthTimeoutMs = args.probeIntervalMs * 6 + 5_000;
    for (let round = 0; round < args.rounds; round++) {
      const added = `s-new-${round}`;
      const flipped = Math.floor(args.schedulers / 2) + round;
      const user = `bench-new-${round}`;
      /** @type {Array<[string, import('./scale/watchers.mjs').Match, () => Promise<number>, number]>} */
      const plan = [
        ['scheduler_add', { kind: 'scheduler', id: added }, () => timed(() => admin(adminUrl, 'POST', '/admin/scheduler/add', { id: added, url: `http://127.0.0.1:${ports[args.schedulers + round]}`, models: ['model-0'] })), 10_000],
        ['scheduler_drain', { kind: 'scheduler', id: `s-${round}`, state: 'draining' }, () => timed(() => admin(adminUrl, 'POST', '/admin/scheduler/drain', { id: `s-${round}` })), 10_000],
        ['health_flip', { kind: 'scheduler', id: `s-${flipped}`, state: 'unhealthy' }, () => timed(() => fleetCall(`/down/${flipped}`)), healthTimeoutMs],
        ['key_create', { kind: 'key', user, enabled: true }, () => timed(() => admin(adminUrl, 'POST', '/admin/keys/create', { user })), 10_000],
        ['key_disable', { kind: 'key', user, enabled: false }, async () => {
          const { api_keys: [created] } = await admin(adminUrl, 'GET', `/admin/keys/list?user=${user}`);
          return timed(() => admin(adminUrl, 'POST', '/admin/keys/disable', { id: created.id }));
        }, 10_000],
      ];
      for (const [kind, match, change, timeoutMs] of plan) {
        changes.push({ kind, round, ...(await watchers.observe(match, change, timeoutMs)) });
        const last = changes[changes.length - 1];
        log(`round ${round} ${kind}: ${Math.max(...last.reached.at_ms) - last.startedAtMs} ms to ${last.reached.at_ms.length}/${args.watchers}, ${Math.max(0, ...last.reached.bytes)} B`);
        await sleep(200);
      }
    }
    log(`steady window: ${args.steadySeconds} s of probing and reports`);
    await sleep(args.steadySeconds * 1_000);
    const elapsedS = (performance.now() - windowStart) / 1_000;
    const cpuPct = (100 * (cpuSeconds(controlPlane.pid) - cpuBefore)) / elapsedS;
    clearInterval(rssTimer);
    const lagWindows = await lag.stop();
    const gatewayRss = rssMb(gateway.pid);
    const totals = await watchers.stats();
    const gateways = await admin(adminUrl, 'GET', '/admin/gateways');
    const snapshotBytes = await snapshotSize(watchers);
    const result = summarize({ args, registerMs, firstTableMs, changes, cpuPct, rssMax, lagWindows, gatewayRss, totals, snapshotBytes, gatewaysListed: gateways.gateways.length });
    const file = writeResult('scale', { machine, result });
    printScaleTable(machine, result);
    console.log(`\nresult file: ${file}`);
  } catch (err) {
    log(`the run failed; the control plane's last log lines:\n${controlPlane.tail().slice(-3000)}`);
    throw err;
  } finally {
    await watchers?.stop();
    await gateway?.stop();
    await controlPlane.stop();
    await fleet.stop();
    rmSync(dir, { recursive: true, force: true });
    if (state.REDIS_KEY_PREFIX) await deletePrefix(args.redisUrl, state.REDIS_KEY_PREFIX).catch((err) => log(`could not delete ${state.REDIS_KEY_PREFIX}* from Redis: ${err}`));
  }
}

/** Deletes the run's keys (the table and the key file are ≈ 40 MB at 100,000 keys; the Redis is shared). */
async function deletePrefix(/** @type {string} */ url, /** @type {string} */ prefix) {
  // ioredis is libs/redis's dependency (pnpm does not hoist it to the root).
  const Redis = createRequire(new URL('../libs/redis/package.json', import.meta.url))('ioredis');
  const client = new Redis(url, { maxRetriesPerRequest: 1 });
  try {
    let cursor = '0';
    do {
      const [next, keys] = await client.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
      cursor = next;
      if (keys.length > 0) await client.del(...keys);
    } while (cursor !== '0');
  } finally {
    client.disconnect();
  }
}

/** The wire size of the first snapshot: the bytes of the first watcher's messages before any batch (from the totals, one snapshot per watcher). */
async function snapshotSize(/** @type {any} */ watchers) {
  const t = await watchers.stats();
  return t.snapshots > 0 ? Math.round(t.snapshot_bytes / t.snapshots) : Number.NaN;
}

await main();
