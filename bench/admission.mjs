/**
 * Issue 19, `pnpm bench:admission`: the admission queue when the fleet is full.
 * One control plane with a keys file (an interactive, a batch and two standard keys),
 * one gateway, 4 sims of 8 slots each registered through the admin API. The gateway
 * keeps at most 8 requests open per sim (SATURATION_MAX_IN_FLIGHT: one gateway, so
 * it is the sims' exact capacity); everything beyond waits in its queue.
 *
 *   1. idle:        the interactive tenant alone (its TTFT on an idle fleet)
 *   2. mixed:       a batch tenant offering 3 × capacity (closed loop, 3 clients per slot)
 *                   + the interactive tenant at 20 % of capacity (open loop, streams)
 *   3. fair:        two standard tenants at 2 × capacity each (closed loops)
 *   4. baseline:    scenario 2 with ADMISSION_QUEUE=false (the gateway before issue 19),
 *                   for comparison; BENCH_ADMISSION_BASELINE=0 skips it
 *
 * Targets (issue 19): interactive TTFT p99 ≤ 2 × idle; batch throughput ≥ 90 % of
 * capacity, read as batch + interactive together (the interactive tenant holds about
 * 20 % of the slots, so batch alone tops out near 80 %: the queue wastes nothing when
 * both together fill ≥ 90 % of it); every request ends in an answer or a 429/503 with retry-after (0
 * connection errors, 0 timeouts); the two standard tenants within 10 % of each other.
 * Clients honour retry-after as the official SDKs do.
 *
 * Knobs (environment): BENCH_ADMISSION_DURATION_S (60; scenarios 2-4 each),
 * BENCH_ADMISSION_IDLE_S (10), BENCH_ADMISSION_BASELINE (1), BENCH_ADMISSION_TTFT_MS
 * (sim time to first token, 100), BENCH_ADMISSION_ITL_MS (10), BENCH_ADMISSION_TOKENS
 * (40 per request), BENCH_GATEWAY_ENV (K=V,… for the gateway).
 * Smoke (about 20 s): BENCH_ADMISSION_DURATION_S=6 BENCH_ADMISSION_IDLE_S=3 BENCH_ADMISSION_BASELINE=0.
 * Prints one table; writes bench/results/<date>-admission.json.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { keyValues, num } from './lib/env-values.mjs';
import { freePort, sleep, startProcess, waitForHttp } from './lib/processes.mjs';
import { machineInfo, simpleTable, writeResult } from './lib/report.mjs';
import { summarize } from './lib/stats.mjs';

const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const MAIN = (/** @type {string} */ service) => path.join(REPO_ROOT, `services/${service}/dist/main.js`);
const MODEL = 'bench-model';
const SIMS = 4;
const SLOTS = 8;
/** A request without any answer for this long counts as a timeout. */
const CLIENT_TIMEOUT_MS = 60_000;

const env = process.env;
const settings = {
  durationS: num(env, 'BENCH_ADMISSION_DURATION_S', 60),
  idleS: num(env, 'BENCH_ADMISSION_IDLE_S', 10),
  baseline: env.BENCH_ADMISSION_BASELINE !== '0',
  ttftMs: num(env, 'BENCH_ADMISSION_TTFT_MS', 100),
  itlMs: num(env, 'BENCH_ADMISSION_ITL_MS', 10),
  tokens: num(env, 'BENCH_ADMISSION_TOKENS', 40),
  gatewayEnv: keyValues(env.BENCH_GATEWAY_ENV ?? '', 'BENCH_GATEWAY_ENV'),
};
const capacitySlots = SIMS * SLOTS;
/** Requests per second the fleet completes when every slot is busy. */
const capacityRps = capacitySlots / ((settings.ttftMs + settings.tokens * settings.itlMs) / 1000);
const KEYS = { interactive: 'sk-bench-interactive-0001', batch: 'sk-bench-batch-00000001', standardA: 'sk-bench-standard-a-0001', standardB: 'sk-bench-standard-b-0001' };

const startedAt = performance.now();
const log = (/** @type {string} */ m) => console.error(`[admission +${((performance.now() - startedAt) / 1000).toFixed(0)}s] ${m}`);

/**
 * Outcomes of one tenant's requests.
 * @typedef {{ok: number, shed429: number, shed503: number, shedWithoutRetryAfter: number, otherStatus: number, connectionErrors: number, timeouts: number, ttftMs: number[]}} Tally
 */
/** @returns {Tally} */
const tally = () => ({ ok: 0, shed429: 0, shed503: 0, shedWithoutRetryAfter: 0, otherStatus: 0, connectionErrors: 0, timeouts: 0, ttftMs: [] });

/**
 * One request; streams measure the time to the first body chunk (the gateway sends
 * a stream's headers with its first event). Returns the retry-after to honour (s).
 * @param {string} url @param {string} key @param {boolean} stream @param {Tally} t
 * @returns {Promise<number>}
 */
async function request(url, key, stream, t) {
  const sentAt = performance.now();
  const body = JSON.stringify({ model: MODEL, stream, max_tokens: settings.tokens, messages: [{ role: 'user', content: 'hello' }] });
  try {
    const res = await fetch(`${url}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` }, body, signal: AbortSignal.timeout(CLIENT_TIMEOUT_MS) });
    const reader = /** @type {ReadableStream<Uint8Array>} */ (res.body).getReader();
    let first = true;
    for (;;) {
      const { done } = await reader.read();
      if (done) break;
      if (first && stream && res.status === 200) t.ttftMs.push(performance.now() - sentAt);
      first = false;
    }
    if (res.status === 200) t.ok += 1;
    else if (res.status === 429 || res.status === 503) {
      if (res.status === 429) t.shed429 += 1;
      else t.shed503 += 1;
      const after = Number(res.headers.get('retry-after'));
      if (!Number.isFinite(after) || after <= 0) t.shedWithoutRetryAfter += 1;
      return Number.isFinite(after) && after > 0 ? after : 1;
    } else t.otherStatus += 1;
  } catch (err) {
    if (/** @type {Error} */ (err).name === 'TimeoutError') t.timeouts += 1;
    else t.connectionErrors += 1;
  }
  return 0;
}

/**
 * `clients` closed loops for `seconds`: each sends, waits for the answer (and the
 * retry-after of a shed), and sends again.
 * @param {string} url @param {string} key @param {number} clients @param {number} seconds @param {Tally} t
 */
async function closedLoop(url, key, clients, seconds, t) {
  const until = performance.now() + seconds * 1000;
  await Promise.all(Array.from({ length: clients }, async () => {
    while (performance.now() < until) {
      const after = await request(url, key, false, t);
      if (after > 0) await sleep(after * 1000);
    }
  }));
}

/**
 * Streams at `rps` (evenly spaced) for `seconds`; every request is awaited at the end.
 * @param {string} url @param {string} key @param {number} rps @param {number} seconds @param {Tally} t
 */
async function openLoop(url, key, rps, seconds, t) {
  /** @type {Promise<number>[]} */
  const pending = [];
  const gapMs = 1000 / rps;
  const begin = performance.now();
  for (let i = 0; performance.now() - begin < seconds * 1000; i += 1) {
    const due = begin + i * gapMs;
    if (due > performance.now()) await sleep(due - performance.now());
    pending.push(request(url, key, true, t));
  }
  await Promise.all(pending);
}

/** A control plane with the bench keys, 4 registered sims, and one gateway with `gatewayEnv`. */
async function startFleet(/** @type {Record<string, string>} */ gatewayEnv) {
  const dir = mkdtempSync(path.join(tmpdir(), 'switchyard-admission-'));
  /** @type {Array<{stop(): Promise<void>}>} */
  const owned = [];
  const keysFile = path.join(dir, 'keys.json');
  writeFileSync(keysFile, JSON.stringify({ keys: [
    { key: KEYS.interactive, user: 'interactive-tenant', priority: 'interactive' },
    { key: KEYS.batch, user: 'batch-tenant', priority: 'batch' },
    { key: KEYS.standardA, user: 'standard-a', priority: 'standard' },
    { key: KEYS.standardB, user: 'standard-b', priority: 'standard' },
  ] }));
  const [adminPort, grpcPort, gatewayPort] = [await freePort(), await freePort(), await freePort()];
  const adminUrl = `http://127.0.0.1:${adminPort}`;
  const cp = startProcess({ name: 'control-plane', command: process.execPath, args: [MAIN('control-plane')], pin: false, env: { HOST: '127.0.0.1', LOG_LEVEL: 'warn', ADMIN_PORT: String(adminPort), GRPC_PORT: String(grpcPort), API_KEYS_FILE: keysFile, PROBE_INTERVAL_MS: '500' } });
  owned.push(cp);
  await waitForHttp(`${adminUrl}/health`, { proc: cp });
  for (let i = 0; i < SIMS; i += 1) {
    const port = await freePort();
    const simEnv = { HOST: '127.0.0.1', LOG_LEVEL: 'warn', PORT: String(port), SIM_ID: `sim-${i}`, SIM_MODELS: MODEL, SIM_MAX_RUNNING: String(SLOTS), SIM_TTFT_MS: String(settings.ttftMs), SIM_ITL_MS: String(settings.itlMs) };
    const sim = startProcess({ name: `sim-${i}`, command: process.execPath, args: [MAIN('sim-scheduler')], pin: false, env: simEnv });
    owned.push(sim);
    await waitForHttp(`http://127.0.0.1:${port}/health`, { proc: sim });
    const res = await fetch(`${adminUrl}/admin/scheduler/add`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ id: `sim-${i}`, url: `http://127.0.0.1:${port}`, models: [MODEL] }) });
    if (res.status !== 201 && res.status !== 200) throw new Error(`scheduler/add sim-${i} → ${res.status} ${await res.text()}`);
  }
  const gw = startProcess({ name: 'gateway', command: process.execPath, args: [MAIN('gateway')], pin: false, env: {
    HOST: '127.0.0.1', LOG_LEVEL: 'warn', PORT: String(gatewayPort), CONTROL_PLANE_ADDR: `127.0.0.1:${grpcPort}`, SATURATION_MAX_IN_FLIGHT: String(SLOTS), ...settings.gatewayEnv, ...gatewayEnv,
  } });
  owned.push(gw);
  const url = `http://127.0.0.1:${gatewayPort}`;
  await waitForHttp(`${url}/ready`, { proc: gw });
  // Ready = a table; each registration is its own table version: wait until requests route, then for the last one.
  for (let tries = 0; ; tries += 1) {
    const t = tally();
    await request(url, KEYS.interactive, true, t);
    if (t.ok === 1) break;
    if (tries > 200) throw new Error('the gateway did not route to the sims');
    await sleep(50);
  }
  await sleep(1000);
  return {
    url,
    async stop() {
      for (const p of owned.reverse()) await p.stop().catch(() => undefined);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** The mixed scenario (batch 3 × capacity + interactive 20 %), on a fresh fleet. */
async function mixed(/** @type {Record<string, string>} */ gatewayEnv, /** @type {string} */ label) {
  const fleet = await startFleet(gatewayEnv);
  try {
    const idle = tally();
    log(`${label}: idle fleet, interactive alone at ${(0.2 * capacityRps).toFixed(1)} req/s for ${settings.idleS} s`);
    await openLoop(fleet.url, KEYS.interactive, 0.2 * capacityRps, settings.idleS, idle);
    const batch = tally();
    const interactive = tally();
    log(`${label}: batch ${3 * capacitySlots} clients (3 × capacity) + interactive for ${settings.durationS} s`);
    const began = performance.now();
    await Promise.all([
      closedLoop(fleet.url, KEYS.batch, 3 * capacitySlots, settings.durationS, batch),
      sleep(1000).then(() => openLoop(fleet.url, KEYS.interactive, 0.2 * capacityRps, settings.durationS - 1, interactive)),
    ]);
    const seconds = (performance.now() - began) / 1000;
    return { idle, batch, interactive, seconds };
  } finally {
    await fleet.stop();
  }
}

async function fair() {
  const fleet = await startFleet({});
  try {
    const a = tally();
    const b = tally();
    log(`fair: two standard tenants, ${2 * capacitySlots} clients each (2 × capacity) for ${settings.durationS} s`);
    const began = performance.now();
    await Promise.all([closedLoop(fleet.url, KEYS.standardA, 2 * capacitySlots, settings.durationS, a), closedLoop(fleet.url, KEYS.standardB, 2 * capacitySlots, settings.durationS, b)]);
    return { a, b, seconds: (performance.now() - began) / 1000 };
  } finally {
    await fleet.stop();
  }
}

const p99 = (/** @type {Tally} */ t) => summarize(t.ttftMs).p99;
const failures = (/** @type {Tally[]} */ ...ts) => ts.reduce((n, t) => n + t.connectionErrors + t.timeouts + t.otherStatus + t.shedWithoutRetryAfter, 0);
const round = (/** @type {number} */ v, digits = 1) => (Number.isFinite(v) ? Number(v.toFixed(digits)) : v);

const machine = machineInfo();
log(`capacity ${capacitySlots} slots ≈ ${capacityRps.toFixed(1)} req/s (sim TTFT ${settings.ttftMs} ms, ${settings.tokens} tokens × ${settings.itlMs} ms)`);
const queued = await mixed({}, 'queue on');
const fairness = await fair();
const baseline = settings.baseline ? await mixed({ ADMISSION_QUEUE: 'false' }, 'queue off (baseline)') : null;

const idleP99 = p99(queued.idle);
const ratio = p99(queued.interactive) / idleP99;
const batchShare = queued.batch.ok / queued.seconds / capacityRps;
// The interactive tenant uses about 20 % of the slots: "no capacity wasted" is what both tenants got done together.
const fleetShare = (queued.batch.ok + queued.interactive.ok) / queued.seconds / capacityRps;
const [rateA, rateB] = [fairness.a.ok / fairness.seconds, fairness.b.ok / fairness.seconds];
const spread = Math.abs(rateA - rateB) / Math.max(rateA, rateB);
const mixedFailures = failures(queued.batch, queued.interactive, queued.idle);
const fairFailures = failures(fairness.a, fairness.b);
const yes = (/** @type {boolean} */ ok) => (ok ? 'yes' : '**no**');
const rows = [
  ['interactive TTFT p99, idle fleet', `${round(idleP99)} ms`, 'reference', '–'],
  ['interactive TTFT p99, batch at 3 × capacity', `${round(p99(queued.interactive))} ms (${round(ratio, 2)} × idle)`, '≤ 2 × idle', yes(ratio <= 2)],
  ['batch throughput', `${round(queued.batch.ok / queued.seconds)} req/s (${round(100 * batchShare)} % of ${round(capacityRps)})`, 'info (the interactive tenant takes ≈ 20 %)', '–'],
  ['batch + interactive throughput (capacity used)', `${round((queued.batch.ok + queued.interactive.ok) / queued.seconds)} req/s (${round(100 * fleetShare)} % of capacity)`, '≥ 90 % of capacity', yes(fleetShare >= 0.9)],
  ['mixed: sheds 429 / 503 (all with retry-after)', `${queued.batch.shed429 + queued.interactive.shed429} / ${queued.batch.shed503 + queued.interactive.shed503}`, 'info', '–'],
  ['mixed: connection errors, timeouts, other statuses, sheds without retry-after', String(mixedFailures), '0', yes(mixedFailures === 0)],
  ['two standard tenants at 2 × capacity', `${round(rateA)} vs ${round(rateB)} req/s (${round(100 * spread)} % apart)`, 'within 10 %', yes(spread <= 0.1)],
  ['fair: connection errors, timeouts, other statuses, sheds without retry-after', String(fairFailures), '0', yes(fairFailures === 0)],
];
if (baseline) {
  rows.push(['baseline (ADMISSION_QUEUE=false): interactive TTFT p99', `${round(p99(baseline.interactive))} ms (${round(p99(baseline.interactive) / p99(baseline.idle), 2)} × its idle)`, 'info', '–']);
  rows.push(['baseline: batch throughput', `${round(baseline.batch.ok / baseline.seconds)} req/s`, 'info', '–']);
}
const smoke = settings.durationS < 60;
const file = writeResult('admission', { scenario: 'admission', machine, smoke, settings, capacity: { slots: capacitySlots, rps: capacityRps }, queued, fairness, baseline, summary: { idle_ttft_p99_ms: idleP99, interactive_ttft_p99_ratio: ratio, batch_share_of_capacity: batchShare, fleet_share_of_capacity: fleetShare, standard_spread: spread, mixed_failures: mixedFailures, fair_failures: fairFailures } });
console.log([
  `## Switchyard bench: admission${smoke ? ' (SHORT run: not a measurement)' : ''}`,
  '',
  `${machine.date}, ${machine.cpu} × ${machine.cores}, node ${machine.node}, commit ${machine.git_commit}${machine.git_dirty ? ' (dirty)' : ''}, load average at start ${machine.loadavg_at_start.join(' ')}`,
  '',
  simpleTable(['measure', 'value', 'target', 'met'], rows),
  '',
  `results: ${file}`,
].join('\n'));
