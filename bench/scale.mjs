/**
 * Issue 16, `pnpm bench:scale`: the incremental routing-table stream at fleet size.
 * SKELETON: one control plane (in-memory state, or Redis with --redis-url), N fake
 * schedulers behind one catch-all HTTP server, K admin-created keys, G table
 * watchers as real gRPC clients in this process (asking for change batches as
 * gateways do), then rounds of changes of four kinds; prints one table and writes
 * bench/results/<date>-scale.json.
 *
 *   node bench/scale.mjs [--schedulers 1000] [--watchers 200] [--keys 1000] [--rounds 8] [--redis-url redis://…]
 *   pnpm bench:scale           (builds first)
 *
 * Not yet (issue 16, item 7): watchers spread over several processes, reports on,
 * event-loop lag and gateway RSS, health flips as a change kind, the targets checked.
 * Smoke run: --schedulers 50 --watchers 5 --keys 50 --rounds 2.
 */
import { createServer } from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import proto from '../libs/proto/dist/index.js';
import { cpuSeconds, rssMb } from './lib/proc-stats.mjs';
import { freePort, sleep, startProcess, waitForHttp } from './lib/processes.mjs';
import { machineInfo, writeResult } from './lib/report.mjs';

const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const { applyDelta, createRoutingClient, isDelta } = proto;

/** @param {string[]} argv */
function readArgs(argv) {
  /** @type {(name: string, fallback: number) => number} */
  const num = (name, fallback) => {
    const i = argv.indexOf(`--${name}`);
    const value = i >= 0 ? Number(argv[i + 1]) : fallback;
    if (!Number.isInteger(value) || value <= 0) throw new Error(`--${name} must be a positive integer`);
    return value;
  };
  const redis = argv.indexOf('--redis-url');
  return { schedulers: num('schedulers', 1_000), watchers: num('watchers', 200), keys: num('keys', 1_000), rounds: num('rounds', 8), redisUrl: redis >= 0 ? argv[redis + 1] : undefined };
}

/** One table watcher: the table its messages add up to, and the bytes they took (JSON, an upper bound of the wire size). */
function watch(/** @type {string} */ address, /** @type {number} */ i) {
  const client = /** @type {any} */ (createRoutingClient(address));
  const call = client.WatchRoutingTable({ gateway_id: `bench-${i}`, have_version: 0, have_epoch: 0, supports_deltas: true });
  /** @type {{table: any, bytes: number, firstAtMs: number, rejected: number}} */
  const state = { table: undefined, bytes: 0, firstAtMs: 0, rejected: 0 };
  call.on('data', (/** @type {any} */ message) => {
    state.bytes += Buffer.byteLength(JSON.stringify(message));
    if (!isDelta(message)) {
      state.table = message;
      state.firstAtMs ||= performance.now();
      return;
    }
    const result = state.table ? applyDelta(state.table, message) : undefined;
    if (result?.ok) state.table = result.table;
    else state.rejected += 1;
  });
  call.on('error', () => undefined);
  return { state, close: () => (call.cancel(), client.close()) };
}

/** @param {string} adminUrl @param {string} method @param {string} route @param {unknown} [body] */
async function admin(adminUrl, method, route, body) {
  const res = await fetch(`${adminUrl}${route}`, { method, headers: { 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });
  if (res.status >= 300) throw new Error(`${method} ${route}: HTTP ${res.status} ${await res.text()}`);
  return /** @type {any} */ (await res.json());
}

/** @param {number} count @param {(i: number) => Promise<unknown>} call */
async function inParallel(count, call, concurrency = 16) {
  let next = 0;
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (next < count) await call(next++);
  }));
}

/** @param {number[]} values @param {number} q */
const quantile = (values, q) => (values.length === 0 ? 0 : [...values].sort((a, b) => a - b)[Math.min(values.length - 1, Math.floor(q * values.length))]);

async function main() {
  const args = readArgs(process.argv);
  const machine = machineInfo();
  const fleet = createServer((req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end(req.url?.endsWith('/v1/models') ? '{"object":"list","data":[]}' : '{}'));
  const fleetPort = await freePort();
  await new Promise((resolve) => fleet.listen(fleetPort, '127.0.0.1', () => resolve(undefined)));
  const [adminPort, grpcPort] = [await freePort(), await freePort()];
  const env = { HOST: '127.0.0.1', ADMIN_PORT: String(adminPort), GRPC_PORT: String(grpcPort), LOG_LEVEL: 'warn', ...(args.redisUrl ? { REDIS_URL: args.redisUrl, REDIS_KEY_PREFIX: `bench-scale-${Date.now()}:` } : {}) };
  const controlPlane = startProcess({ name: 'control-plane', command: process.execPath, args: [path.join(REPO_ROOT, 'services/control-plane/dist/main.js')], env, pin: false });
  /** @type {Array<ReturnType<typeof watch>>} */
  const watchers = [];
  try {
    const adminUrl = `http://127.0.0.1:${adminPort}`;
    await waitForHttp(`${adminUrl}/ready`, { proc: controlPlane });
    await inParallel(args.keys, (i) => admin(adminUrl, 'POST', '/admin/keys/create', { user: `user-${i % 50}` }));
    const registerStart = performance.now();
    await inParallel(args.schedulers, (i) => admin(adminUrl, 'POST', '/admin/scheduler/add', { id: `s-${i}`, url: `http://127.0.0.1:${fleetPort}/s-${i}`, models: [`model-${i % 20}`] }));
    const registerMs = performance.now() - registerStart;

    const connectStart = performance.now();
    for (let i = 0; i < args.watchers; i++) watchers.push(watch(`127.0.0.1:${grpcPort}`, i));
    while (watchers.some((w) => !w.state.table)) await sleep(10);
    const firstTableMs = Math.max(...watchers.map((w) => w.state.firstAtMs)) - connectStart;
    const snapshotBytes = Buffer.byteLength(JSON.stringify(watchers[0].state.table));

    /** @type {Record<string, {ms: number[], bytes: number[]}>} */
    const kinds = { scheduler_add: { ms: [], bytes: [] }, scheduler_drain: { ms: [], bytes: [] }, key_create: { ms: [], bytes: [] }, key_disable: { ms: [], bytes: [] } };
    const cpuBefore = cpuSeconds(controlPlane.pid);
    const changesStart = performance.now();
    for (let round = 0; round < args.rounds; round++) {
      /** @type {Record<string, () => Promise<(t: any) => boolean>>} */
      const changes = {
        scheduler_add: async () => (await admin(adminUrl, 'POST', '/admin/scheduler/add', { id: `new-${round}`, url: `http://127.0.0.1:${fleetPort}/new-${round}`, models: ['model-0'] }), (t) => t.schedulers.some((/** @type {any} */ s) => s.id === `new-${round}`)),
        scheduler_drain: async () => (await admin(adminUrl, 'POST', '/admin/scheduler/drain', { id: `s-${round}` }), (t) => t.schedulers.some((/** @type {any} */ s) => s.id === `s-${round}` && s.state === 'draining')),
        key_create: async () => {
          await admin(adminUrl, 'POST', '/admin/keys/create', { user: `new-${round}` });
          return (t) => t.api_keys.some((/** @type {any} */ k) => k.user === `new-${round}`);
        },
        key_disable: async () => {
          const { api_keys: [first] } = await admin(adminUrl, 'GET', `/admin/keys/list?user=new-${round}`);
          await admin(adminUrl, 'POST', '/admin/keys/disable', { id: first.id });
          return (t) => t.api_keys.some((/** @type {any} */ k) => k.user === `new-${round}` && !k.enabled);
        },
      };
      for (const [kind, change] of Object.entries(changes)) {
        const bytesBefore = watchers.map((w) => w.state.bytes);
        const started = performance.now();
        const reached = await change();
        while (watchers.some((w) => !reached(w.state.table))) await sleep(2);
        kinds[kind].ms.push(performance.now() - started);
        kinds[kind].bytes.push(Math.max(...watchers.map((w, i) => w.state.bytes - bytesBefore[i])));
      }
    }
    const cpuPct = (100 * (cpuSeconds(controlPlane.pid) - cpuBefore)) / ((performance.now() - changesStart) / 1_000);
    const perKind = Object.fromEntries(Object.entries(kinds).map(([k, v]) => [k, { p50_ms: Math.round(quantile(v.ms, 0.5)), p99_ms: Math.round(quantile(v.ms, 0.99)), max_bytes_per_gateway: Math.max(...v.bytes) }]));
    const result = { ...args, redisUrl: args.redisUrl ? 'set' : 'unset', register_ms: Math.round(registerMs), first_table_all_ms: Math.round(firstTableMs), snapshot_json_bytes: snapshotBytes, per_kind: perKind, control_plane_cpu_pct: Math.round(cpuPct), control_plane_rss_mb: Math.round(rssMb(controlPlane.pid)), rejected_batches: watchers.reduce((n, w) => n + w.state.rejected, 0) };
    const file = writeResult('scale', { machine, result });
    console.log(`## Switchyard bench: scale (skeleton)\n\n${machine.date}, ${machine.cpu} × ${machine.cores}, node ${machine.node}, commit ${machine.git_commit}\n`);
    console.log('| N | G | K | state | register N | snapshot (JSON) | first table to all G | change kind | change → all G p50 / p99 | max bytes per gateway | CP CPU | CP RSS |');
    console.log('|---|---|---|---|---|---|---|---|---|---|---|---|');
    for (const [kind, k] of Object.entries(perKind)) {
      console.log(`| ${args.schedulers} | ${args.watchers} | ${args.keys} | ${args.redisUrl ? 'redis' : 'memory'} | ${result.register_ms} ms | ${snapshotBytes} B | ${result.first_table_all_ms} ms | ${kind} | ${k.p50_ms} / ${k.p99_ms} ms | ${k.max_bytes_per_gateway} B | ${result.control_plane_cpu_pct}% | ${result.control_plane_rss_mb} MB |`);
    }
    console.log(`\nrejected batches: ${result.rejected_batches}\nresult file: ${file}`);
  } finally {
    for (const w of watchers) w.close();
    await controlPlane.stop();
    fleet.close();
  }
}

await main();
