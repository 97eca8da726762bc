/**
 * Benchmark entry point: `node bench/run.mjs <scenario> [--smoke]`.
 *   default      overhead + latency + streams, one table (what `pnpm bench` runs)
 *   overhead | latency | streams | propagation | soak | alternatives
 * Progress goes to stderr; stdout gets the markdown table and the result file.
 */
import { machineInfo, markdownTable, writeResult } from './lib/report.mjs';
import os from 'node:os';
import { readOptions } from './lib/options.mjs';

const SCENARIOS = {
  overhead: () => import('./scenarios/overhead.mjs'),
  latency: () => import('./scenarios/latency.mjs'),
  streams: () => import('./scenarios/streams.mjs'),
  propagation: () => import('./scenarios/propagation.mjs'),
  soak: () => import('./scenarios/soak.mjs'),
  alternatives: () => import('./scenarios/alternatives.mjs'),
};
const DEFAULT_RUN = ['overhead', 'latency', 'streams'];
/** Load average the harness itself causes (target + generator) plus this much per core of others' work counts as busy. */
const TARGET_AND_LOAD_PROCESSES = 2;
const BUSY_LOAD_PER_CORE = 0.25;

const name = process.argv[2] ?? 'default';
const names = name === 'default' ? DEFAULT_RUN : [name];
if (!names.every((n) => n in SCENARIOS)) {
  console.error(`unknown scenario "${name}"; one of: default, ${Object.keys(SCENARIOS).join(', ')}`);
  process.exit(2);
}
const options = readOptions(process.env, process.argv.slice(3));
const startedAt = performance.now();
const log = (/** @type {string} */ message) => console.error(`[bench +${((performance.now() - startedAt) / 1000).toFixed(0)}s] ${message}`);
const machine = machineInfo();
log(`${names.join(' + ')}${options.smoke ? ' (smoke)' : ''}; pinning ${options.pin ? 'on (target core 0, load core 1)' : 'off'}; load average ${machine.loadavg_at_start.join(' ')}`);

/** @type {import('./lib/report.mjs').Row[]} */
const rows = [];
/** @type {string[]} */
const tables = [];
/** @type {Record<string, unknown>} */
const results = {};
/** @type {Map<string, string>} */
const skipped = new Map();
let features = null;
for (const scenario of names) {
  log(`scenario ${scenario}`);
  const module = await SCENARIOS[/** @type {keyof typeof SCENARIOS} */ (scenario)]();
  const outcome = /** @type {import('./lib/report.mjs').ScenarioOutcome} */ (await module.run(options, (/** @type {string} */ m) => log(`${scenario}: ${m}`)));
  rows.push(...outcome.rows);
  if (outcome.table) tables.push(`### ${scenario}\n\n${outcome.table}`);
  results[scenario] = { rows: outcome.rows, ...outcome.result };
  for (const s of outcome.result.skipped ?? []) skipped.set(s.name, s.reason);
  features = outcome.result.gateway_features ?? features;
}

const elapsedS = Math.round((performance.now() - startedAt) / 1000);
const loadavgAtEnd = os.loadavg().map((l) => Math.round(l * 100) / 100);
// Other work on the machine swamps sub-millisecond differences; say so in the output
// rather than let a busy run pass for a measurement.
const busy = Math.max(machine.loadavg_at_start[0] ?? 0, loadavgAtEnd[0] ?? 0) > BUSY_LOAD_PER_CORE * machine.cores + TARGET_AND_LOAD_PROCESSES;
const file = writeResult(name, { scenario: name, machine: { ...machine, loadavg_at_end: loadavgAtEnd, busy }, options, elapsed_s: elapsedS, gateway_features: features, results });
const lines = [
  `## Switchyard bench: ${names.join(' + ')}${options.smoke ? ' (SMOKE run: short, not a measurement)' : ''}`,
  '',
  `${machine.date}, ${machine.cpu} × ${machine.cores}, ${machine.kernel}, node ${machine.node}, ${machine.nginx}, autocannon ${machine.autocannon}, commit ${machine.git_commit}${machine.git_dirty ? ' (dirty)' : ''}, load average at start ${machine.loadavg_at_start.join(' ')}, pinning ${options.pin ? 'on' : 'off'}, ${elapsedS} s`,
];
if (busy) lines.push(`WARNING: machine busy (load average ${machine.loadavg_at_start[0]} at start, ${loadavgAtEnd[0]} at end, ${machine.cores} cores): these numbers are not a measurement.`);
for (const [target, reason] of skipped) lines.push(`SKIPPED ${target}: ${reason}`);
if (features) lines.push(`gateway features: ${Object.entries(features).map(([k, v]) => `${k}=${v}`).join('; ')}`);
lines.push('');
if (rows.length) lines.push(markdownTable(rows));
lines.push(...tables, '', `results: ${file}`);
console.log(lines.join('\n'));
