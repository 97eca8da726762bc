/**
 * bench:scale's watchers: G table watchers spread over W forked processes
 * (scale/watch-worker.mjs), and the parent's side of their IPC: connect them all
 * and time the first table, register what a change must bring, wait for every
 * watcher to have it.
 */
import { fork } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const WORKER = path.join(path.dirname(fileURLToPath(import.meta.url)), 'watch-worker.mjs');

/**
 * @typedef {{kind: 'scheduler', id: string, state?: string} | {kind: 'key', user: string, enabled: boolean}} Match
 * @typedef {{at_ms: number[], bytes: number[], version: number, generated_at_ms: number, partial?: boolean}} Reached
 */

/**
 * @param {{address: string, watchers: number, processes: number, schedulerIds: string[], reportEveryMs: number}} options
 */
export async function startWatchers(options) {
  const processes = Math.max(1, Math.min(options.processes, options.watchers));
  /** @type {Array<{child: import('node:child_process').ChildProcess, count: number}>} */
  const workers = [];
  /** Each takes the messages it wants and answers true once it needs no more. */
  /** @type {Array<(m: any) => boolean>} */
  let waiters = [];
  for (let w = 0, first = 0; w < processes; w++) {
    const count = Math.floor(options.watchers / processes) + (w < options.watchers % processes ? 1 : 0);
    const child = fork(WORKER, [JSON.stringify({ address: options.address, first, count, schedulerIds: options.schedulerIds, reportEveryMs: options.reportEveryMs })], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    child.on('message', (m) => {
      waiters = waiters.filter((accept) => !accept({ ...(/** @type {object} */ (m)), worker: w }));
    });
    workers.push({ child, count });
    first += count;
  }
  /**
   * Resolves with one message of `type` (and `token`) from every worker.
   * @param {string} type @param {string} [token] @param {number} [timeoutMs]
   * @returns {Promise<any[]>}
   */
  const fromAll = (type, token, timeoutMs = 600_000) => new Promise((resolve, reject) => {
    /** @type {any[]} */
    const got = [];
    const seen = new Set();
    const timer = setTimeout(() => reject(new Error(`watchers: no '${type}' from every worker within ${timeoutMs} ms`)), timeoutMs);
    waiters.push((m) => {
      if (m.type !== type || (token !== undefined && m.token !== token)) return false;
      // One answer per worker (a worker that finished answers a late 'forget' again, with nothing).
      if (seen.has(m.worker)) return false;
      seen.add(m.worker);
      got.push(m);
      if (got.length < workers.length) return false;
      clearTimeout(timer);
      resolve(got);
      return true;
    });
  });
  await fromAll('ready', undefined, 30_000);
  let tokens = 0;
  return {
    /** Connects every watcher; resolves with the time each got its first table (Date.now() ms). */
    async connect() {
      const first = fromAll('first', undefined, 120_000);
      for (const { child } of workers) child.send({ cmd: 'connect' });
      return (await first).flatMap((m) => m.at_ms);
    },
    /**
     * Registers `match` with every watcher, then runs `change` (which resolves with its start time);
     * resolves when every watcher has it or after `timeoutMs` with what arrived (partial).
     * @param {Match} match @param {() => Promise<number>} change @param {number} timeoutMs
     * @returns {Promise<{startedAtMs: number, reached: Reached, missing: number}>}
     */
    async observe(match, change, timeoutMs) {
      const token = `t${tokens++}`;
      const expecting = fromAll('expecting', token, 10_000);
      for (const { child } of workers) child.send({ cmd: 'expect', token, match });
      await expecting;
      const arrived = fromAll('reached', token, timeoutMs + 10_000);
      const startedAtMs = await change();
      const timer = setTimeout(() => {
        for (const { child } of workers) child.send({ cmd: 'forget', token });
      }, timeoutMs);
      const parts = await arrived;
      clearTimeout(timer);
      const reached = { at_ms: parts.flatMap((p) => p.at_ms), bytes: parts.flatMap((p) => p.bytes), version: Math.max(...parts.map((p) => p.version)), generated_at_ms: Math.max(...parts.map((p) => p.generated_at_ms)), partial: parts.some((p) => p.partial) };
      return { startedAtMs, reached, missing: options.watchers - reached.at_ms.length };
    },
    /** Totals over every worker (bytes, messages, snapshots, batches, rejected, reports). */
    async stats() {
      const all = fromAll('stats', undefined, 10_000);
      for (const { child } of workers) child.send({ cmd: 'stats' });
      /** @type {Record<string, number>} */
      const sum = {};
      for (const m of await all) for (const [k, v] of Object.entries(m)) if (typeof v === 'number' && k !== 'worker') sum[k] = (sum[k] ?? 0) + v;
      return sum;
    },
    async stop() {
      await Promise.all(workers.map(({ child }) => new Promise((resolve) => {
        if (child.exitCode !== null) return resolve(undefined);
        const timer = setTimeout(() => child.kill('SIGKILL'), 3_000);
        child.once('exit', () => {
          clearTimeout(timer);
          resolve(undefined);
        });
        child.send({ cmd: 'stop' });
      })));
    },
  };
}
