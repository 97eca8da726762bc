/**
 * Results: one JSON file per scenario run under bench/results/ (gitignored) and
 * one markdown table on stdout with every target side by side and the gateway's
 * ratios against the direct path and the bare proxy.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { nginxVersion } from '../baselines/nginx.mjs';
import { REPO_ROOT } from './gateway-stack.mjs';

const RESULTS_DIR = path.join(REPO_ROOT, 'bench/results');
const COLUMNS = ['direct', 'bare-proxy', 'nginx', 'gateway'];
/** Another build's gateway (BENCH_GATEWAY_BEFORE): a column and its own ratio to the bare proxy, only in runs that have it. */
const BEFORE = 'gateway-before';

/**
 * @typedef {object} Row
 * @property {string} scenario
 * @property {string} metric
 * @property {string} unit
 * @property {Record<string, number>} values  by target name
 * @property {{text: string, met: boolean | null} | undefined} [goal]
 */

/**
 * What every scenario's run() resolves with: rows for the four-target table, or a
 * table of its own, and the raw data for the JSON file.
 * @typedef {object} ScenarioOutcome
 * @property {Row[]} rows
 * @property {string} [table]
 * @property {{skipped?: Array<{name: string, reason: string}>, gateway_features?: Record<string, unknown> | null} & Record<string, unknown>} result
 */

/** @param {string} name */
function packageVersion(name) {
  try {
    const require = createRequire(path.join(REPO_ROOT, 'package.json'));
    return JSON.parse(readFileSync(require.resolve(`${name}/package.json`), 'utf8')).version;
  } catch {
    return 'not installed';
  }
}

/** Machine, versions and load, recorded with every result. */
export function machineInfo() {
  const git = (/** @type {string[]} */ args) => spawnSync('git', args, { cwd: REPO_ROOT }).stdout?.toString().trim() ?? '';
  return {
    date: new Date().toISOString(),
    cpu: os.cpus()[0]?.model ?? 'unknown',
    cores: os.cpus().length,
    memory_gb: Math.round(os.totalmem() / 2 ** 30),
    kernel: `${os.type()} ${os.release()}`,
    node: process.version,
    nginx: nginxVersion() ?? 'not installed',
    autocannon: packageVersion('autocannon'),
    git_commit: git(['rev-parse', '--short', 'HEAD']),
    git_dirty: git(['status', '--porcelain', '--', 'services', 'libs']).length > 0,
    loadavg_at_start: os.loadavg().map((l) => Math.round(l * 100) / 100),
  };
}

/**
 * @param {string} scenario
 * @param {unknown} data
 * @returns {string} the file written
 */
export function writeResult(scenario, data) {
  mkdirSync(RESULTS_DIR, { recursive: true });
  const file = path.join(RESULTS_DIR, `${new Date().toISOString().replace(/[:.]/g, '-')}-${scenario}.json`);
  writeFileSync(file, `${JSON.stringify(data, null, 2)}\n`);
  return file;
}

/** @param {number} value @param {string} unit */
function format(value, unit) {
  if (!Number.isFinite(value)) return '–';
  if (unit === 'req/s') return Math.round(value).toLocaleString('en-US');
  if (unit === 'count') return String(Math.round(value));
  return value >= 100 ? value.toFixed(0) : value.toFixed(value >= 10 ? 1 : 2);
}

/** @param {number} a @param {number} b */
const ratio = (a, b) => (Number.isFinite(a) && Number.isFinite(b) && b !== 0 ? `${(a / b).toFixed(2)}×` : '–');

/**
 * @param {Row[]} rows
 * @returns {string} a markdown table
 */
export function markdownTable(rows) {
  const withBefore = rows.some((row) => row.values[BEFORE] !== undefined);
  const columns = withBefore ? [...COLUMNS, BEFORE] : COLUMNS;
  const header = ['scenario', 'metric', ...columns, 'gw ÷ direct', 'gw ÷ bare', ...(withBefore ? ['before ÷ bare'] : []), 'gw − direct', 'target', 'met'];
  const lines = [`| ${header.join(' | ')} |`, `|${header.map(() => '---').join('|')}|`];
  for (const row of rows) {
    const gw = row.values.gateway ?? Number.NaN;
    const direct = row.values.direct ?? Number.NaN;
    const bare = row.values['bare-proxy'] ?? Number.NaN;
    const delta = row.unit === 'ms' && Number.isFinite(gw - direct) ? `${gw - direct >= 0 ? '+' : ''}${(gw - direct).toFixed(2)} ms` : '–';
    const met = !row.goal || row.goal.met === null ? '–' : row.goal.met ? 'yes' : '**no**';
    lines.push(`| ${[
      row.scenario, `${row.metric} (${row.unit})`, ...columns.map((c) => format(row.values[c] ?? Number.NaN, row.unit)),
      ratio(gw, direct), ratio(gw, bare), ...(withBefore ? [ratio(row.values[BEFORE] ?? Number.NaN, bare)] : []), delta, row.goal?.text ?? '', met,
    ].join(' | ')} |`);
  }
  return lines.join('\n');
}

/**
 * A plain markdown table for scenarios whose columns are not the four targets
 * (propagation, soak, forwarding alternatives).
 * @param {string[]} header
 * @param {Array<Array<string | number>>} rows  numbers are formatted to 2 decimals
 */
export function simpleTable(header, rows) {
  const cell = (/** @type {string | number} */ v) => (typeof v === 'number' ? (Number.isFinite(v) ? (Math.abs(v) >= 100 ? v.toFixed(0) : v.toFixed(2)) : '–') : v);
  return [`| ${header.join(' | ')} |`, `|${header.map(() => '---').join('|')}|`, ...rows.map((r) => `| ${r.map(cell).join(' | ')} |`)].join('\n');
}
