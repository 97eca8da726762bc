/**
 * Issue 4, acceptance 4: probing 200 registered schedulers at a 2 s interval keeps
 * the control plane's event-loop lag under 50 ms.
 *
 *   node bench/probe-load.mjs [--schedulers 200] [--interval-ms 2000] [--duration-s 30] [--metrics-kb 40]
 *   pnpm bench:probe           (builds first)
 *
 * One child process (`--fleet`) serves N fake schedulers on N ports (/health, a
 * vLLM-sized /metrics exposition whose load gauges change on every scrape, and
 * GET /v1/models listing `model-<i % models>`, which the registration check calls;
 * bench:scale uses the same fleet, `--steady-load` keeps the gauges fixed); the
 * built control plane is spawned, the N schedulers are registered through the
 * admin API, and after one warm-up interval its own `nodejs_eventloop_lag_*`
 * gauges (prom-client: monitorEventLoopDelay, 10 ms resolution, reset on every
 * scrape) are read every 5 s. Lag values include that 10 ms sampling resolution.
 * The control plane is pinned to core 0 and the fleet to core 1 when `taskset`
 * exists. Exit code 1 when the worst p99 window reaches 50 ms.
 */
import { createServer } from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { sampleEventLoopLag } from './lib/event-loop-lag.mjs';
import { fleetPorts } from './lib/fleet.mjs';
import { cpuSeconds } from './lib/proc-stats.mjs';
import { freePort, LOAD_CORE, pinningAvailable, sleep, startProcess, TARGET_CORE, waitForHttp } from './lib/processes.mjs';
import { machineInfo, writeResult } from './lib/report.mjs';

const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const LAG_LIMIT_SECONDS = 0.05;
const SCRAPE_EVERY_MS = 5_000;

/** @param {string[]} argv */
function readArgs(argv) {
  /** @type {(name: string, fallback: number) => number} */
  const num = (name, fallback) => {
    const i = argv.indexOf(`--${name}`);
    const value = i >= 0 ? Number(argv[i + 1]) : fallback;
    if (!Number.isFinite(value) || value <= 0) throw new Error(`--${name} must be a positive number`);
    return value;
  };
  return { schedulers: num('schedulers', 200), intervalMs: num('interval-ms', 2_000), durationS: num('duration-s', 30), metricsKb: num('metrics-kb', 40), models: num('models', 1), steadyLoad: argv.includes('--steady-load') };
}

/**
 * A vLLM-like exposition of about `kb` KB: the four load gauges (fresh values per
 * call) after histogram families like the ones vLLM exports per model.
 * @param {number} kb
 */
function metricsBody(kb, steady = false) {
  const lines = [];
  for (let family = 0; lines.join('\n').length < kb * 1024; family += 1) {
    lines.push(`# HELP vllm:bench_histogram_${family} filler shaped like vLLM's latency histograms`, `# TYPE vllm:bench_histogram_${family} histogram`);
    for (const le of ['0.001', '0.005', '0.01', '0.02', '0.04', '0.06', '0.08', '0.1', '0.25', '0.5', '0.75', '1.0', '2.5', '5.0', '7.5', '10.0', '+Inf']) {
      lines.push(`vllm:bench_histogram_${family}_bucket{le="${le}",model_name="meta-llama/Llama-3.1-8B-Instruct"} ${Math.floor(Math.random() * 1e4)}.0`);
    }
  }
  const filler = `${lines.join('\n')}\n`;
  if (steady) return () => `${filler}vllm:num_requests_running{model_name="m"} 1.0\nvllm:num_requests_waiting{model_name="m"} 0.0\nvllm:kv_cache_usage_perc{model_name="m"} 0.100\n`;
  return () => {
    const running = Math.floor(Math.random() * 8);
    const waiting = Math.floor(Math.random() * 3);
    return `${filler}vllm:num_requests_running{model_name="m"} ${running}.0\nvllm:num_requests_waiting{model_name="m"} ${waiting}.0\nvllm:kv_cache_usage_perc{model_name="m"} ${(Math.random() * 0.5).toFixed(3)}\n`;
  };
}

/**
 * Child mode: N schedulers on N ports; prints their ports, then serves until
 * killed. The control port answers the request counts, and `POST /down/<i>` /
 * `POST /up/<i>` make scheduler i's /health answer 503 / 200 (bench:scale's
 * health flips).
 */
async function runFleet() {
  const { schedulers, metricsKb, models, steadyLoad } = readArgs(process.argv);
  const body = metricsBody(metricsKb, steadyLoad);
  const counts = { health: 0, metrics: 0, models: 0, other: 0 };
  const down = new Set();
  const ports = [];
  for (let i = 0; i < schedulers; i += 1) {
    const modelList = JSON.stringify({ object: 'list', data: [{ id: `model-${i % models}`, object: 'model', owned_by: 'bench' }] });
    const server = createServer((req, res) => {
      if (req.url === '/health') {
        counts.health += 1;
        if (down.has(i)) res.writeHead(503, { 'content-type': 'application/json' }).end('{"status":"down"}');
        else res.writeHead(200, { 'content-type': 'application/json' }).end('{"status":"ok"}');
      } else if (req.url === '/v1/models') {
        counts.models += 1;
        res.writeHead(200, { 'content-type': 'application/json' }).end(modelList);
      } else if (req.url === '/metrics') {
        counts.metrics += 1;
        res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' }).end(body());
      } else {
        counts.other += 1;
        res.writeHead(404).end();
      }
    });
    await new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(undefined)));
    const address = server.address();
    ports.push(typeof address === 'object' && address ? address.port : 0);
  }
  const control = createServer((req, res) => {
    const flip = /^\/(down|up)\/(\d+)$/.exec(req.url ?? '');
    if (flip) {
      if (flip[1] === 'down') down.add(Number(flip[2]));
      else down.delete(Number(flip[2]));
    }
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(counts));
  });
  await new Promise((resolve) => control.listen(0, '127.0.0.1', () => resolve(undefined)));
  const controlAddress = control.address();
  console.log(JSON.stringify({ ports, control_port: typeof controlAddress === 'object' && controlAddress ? controlAddress.port : 0 }));
}

/**
 * @param {string} adminUrl
 * @param {number[]} ports
 */
async function registerFleet(adminUrl, ports) {
  for (let i = 0; i < ports.length; i += 20) {
    await Promise.all(
      ports.slice(i, i + 20).map(async (port, j) => {
        const res = await fetch(`${adminUrl}/admin/scheduler/add`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ id: `fleet-${i + j}`, url: `http://127.0.0.1:${port}`, models: ['bench-model'] }),
        });
        if (res.status !== 201) throw new Error(`registering fleet-${i + j}: HTTP ${res.status} ${await res.text()}`);
      }),
    );
  }
}

/**
 * Scrapes the control plane every 5 s for `durationS`, one lag window per scrape.
 * @param {string} adminUrl
 * @param {number} durationS
 */
async function measureLag(adminUrl, durationS) {
  const sampler = sampleEventLoopLag(adminUrl, { everyMs: SCRAPE_EVERY_MS, extra: { table_version: 'switchyard_control_plane_table_version' } });
  await sleep(durationS * 1_000);
  return sampler.stop();
}

/** @param {string} adminUrl @param {number} intervalMs */
async function probeCoverage(adminUrl, intervalMs) {
  const { schedulers } = /** @type {{schedulers: Array<{state: string, last_probe_at: string | null}>}} */ (await (await fetch(`${adminUrl}/admin/scheduler/list`)).json());
  const fresh = schedulers.filter((s) => s.last_probe_at !== null && Date.now() - Date.parse(s.last_probe_at) <= 2 * intervalMs);
  return { listed: schedulers.length, probed_within_2_intervals: fresh.length, healthy: schedulers.filter((s) => s.state === 'healthy').length };
}

/** @param {number} seconds */
const ms = (seconds) => Math.round(seconds * 10_000) / 10;

async function runBenchmark() {
  const args = readArgs(process.argv);
  const pin = pinningAvailable(process.env);
  const machine = machineInfo();
  const log = (/** @type {string} */ m) => console.error(`[probe-load] ${m}`);
  log(`${args.schedulers} schedulers, interval ${args.intervalMs} ms, ${args.durationS} s, /metrics ≈ ${args.metricsKb} KB; pinning ${pin ? 'on' : 'off'}; load average ${machine.loadavg_at_start.join(' ')}`);
  const fleet = startProcess({ name: 'fleet', command: process.execPath, args: [fileURLToPath(import.meta.url), '--fleet', ...process.argv.slice(2)], pin, core: LOAD_CORE });
  const [adminPort, grpcPort] = [await freePort(), await freePort()];
  // Health flaps show up as warnings; a healthy fleet should produce none.
  let healthChanges = 0;
  const controlPlane = startProcess({
    name: 'control-plane',
    command: process.execPath,
    // BENCH_CPU_PROF=<dir> writes a V8 CPU profile of the control plane there (on exit).
    args: [...(process.env.BENCH_CPU_PROF ? [`--cpu-prof`, `--cpu-prof-dir=${process.env.BENCH_CPU_PROF}`] : []), path.join(REPO_ROOT, 'services/control-plane/dist/main.js')],
    env: { HOST: '127.0.0.1', ADMIN_PORT: String(adminPort), GRPC_PORT: String(grpcPort), PROBE_INTERVAL_MS: String(args.intervalMs), PROBE_TIMEOUT_MS: '1000', LOG_LEVEL: 'warn' },
    pin,
    core: TARGET_CORE,
    onLine: (line) => {
      if (line.includes('scheduler health changed')) healthChanges += 1;
    },
  });
  try {
    const { ports, control_port: controlPort } = await fleetPorts(fleet);
    const adminUrl = `http://127.0.0.1:${adminPort}`;
    await waitForHttp(`${adminUrl}/ready`, { proc: controlPlane });
    await registerFleet(adminUrl, ports);
    log(`registered ${ports.length}; warming up for ${args.intervalMs + 2_000} ms`);
    await sleep(args.intervalMs + 2_000);
    const countsBefore = await (await fetch(`http://127.0.0.1:${controlPort}`)).json();
    const healthChangesBefore = healthChanges;
    const cpuBefore = cpuSeconds(controlPlane.pid);
    const startedAt = performance.now();
    const windows = await measureLag(adminUrl, args.durationS);
    const elapsedS = (performance.now() - startedAt) / 1_000;
    const countsAfter = await (await fetch(`http://127.0.0.1:${controlPort}`)).json();
    const cpuPct = (100 * (cpuSeconds(controlPlane.pid) - cpuBefore)) / elapsedS;
    const coverage = await probeCoverage(adminUrl, args.intervalMs);
    const worstP99 = Math.max(...windows.map((w) => w.p99_s));
    const worstMax = Math.max(...windows.map((w) => w.max_s));
    const result = {
      ...args,
      windows,
      worst_p99_ms: ms(worstP99),
      worst_max_ms: ms(worstMax),
      probes_per_s: Math.round(((countsAfter.health - countsBefore.health) / elapsedS) * 10) / 10,
      metrics_scrapes_per_s: Math.round(((countsAfter.metrics - countsBefore.metrics) / elapsedS) * 10) / 10,
      control_plane_cpu_pct: Math.round(cpuPct * 10) / 10,
      health_changes_during_window: healthChanges - healthChangesBefore,
      table_versions_during_window: windows.length > 0 ? windows[windows.length - 1].table_version - windows[0].table_version : 0,
      coverage,
      pass: worstP99 < LAG_LIMIT_SECONDS,
    };
    const file = writeResult('probe-load', { machine, pin, result });
    console.log(`## Switchyard bench: probe-load\n`);
    console.log(`${machine.date}, ${machine.cpu} × ${machine.cores}, node ${machine.node}, commit ${machine.git_commit}${machine.git_dirty ? ' (dirty)' : ''}, load average at start ${machine.loadavg_at_start.join(' ')}, pinning ${pin ? 'on' : 'off'}\n`);
    console.log('| schedulers | interval | window | event-loop lag p99 (worst 5 s window) | lag max | probes/s | /metrics scrapes/s | control-plane CPU | probed within 2 intervals | new table versions | health changes |');
    console.log('|---|---|---|---|---|---|---|---|---|---|---|');
    console.log(
      `| ${args.schedulers} | ${args.intervalMs} ms | ${args.durationS} s | ${result.worst_p99_ms} ms | ${result.worst_max_ms} ms | ${result.probes_per_s} | ${result.metrics_scrapes_per_s} | ${result.control_plane_cpu_pct}% | ${coverage.probed_within_2_intervals}/${coverage.listed} | ${result.table_versions_during_window} | ${result.health_changes_during_window} |`,
    );
    console.log(`\n${result.pass ? 'PASS' : 'FAIL'}: worst p99 ${result.worst_p99_ms} ms (limit ${LAG_LIMIT_SECONDS * 1000} ms; values include the 10 ms sampling resolution)\nresult file: ${file}`);
    process.exitCode = result.pass ? 0 : 1;
  } finally {
    await Promise.all([controlPlane.stop(), fleet.stop()]);
  }
}

if (process.argv.includes('--fleet')) await runFleet();
else await runBenchmark();
