/**
 * Target 6: after an admin change, p99 ≤ 100 ms until every one of 4 gateways
 * routes by the new table. Each repeat adds a scheduler serving a model no table
 * has had before, then polls every gateway with a chat completion for that model
 * until it answers 200; the repeat's time is the slowest gateway's. The scheduler
 * is then removed and the time until every gateway refuses the model again is
 * measured the same way.
 */
import { randomBytes } from 'node:crypto';
import { startControlPlane, startGateway, waitUntilRoutes, BENCH_MODEL } from '../lib/gateway-stack.mjs';
import { simpleTable } from '../lib/report.mjs';
import { summarize } from '../lib/stats.mjs';
import { startNodeServer } from '../lib/targets.mjs';
import { LOAD_CORE } from '../lib/processes.mjs';

export const PROPAGATION_P99_GOAL_MS = 100;
const POLL_INTERVAL_MS = 2;
const GIVE_UP_MS = 10_000;

/**
 * Polls `url` until a chat completion for `model` answers `wanted` (200 routed, or
 * anything but 200 once removed); resolves with ms since `since`, or NaN on timeout.
 * @param {string} url
 * @param {string} model
 * @param {Record<string, string>} headers
 * @param {(status: number) => boolean} wanted
 * @param {number} since  performance.now() of the admin call
 */
async function timeUntil(url, model, headers, wanted, since) {
  const body = JSON.stringify({ model, messages: [{ role: 'user', content: 'x' }] });
  while (performance.now() - since < GIVE_UP_MS) {
    const res = await fetch(`${url}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });
    await res.arrayBuffer();
    if (wanted(res.status)) return performance.now() - since;
    await new Promise((resolve) => setTimeout(resolve, POLL_INTERVAL_MS));
  }
  return Number.NaN;
}

/**
 * @param {import('../lib/options.mjs').Options} options
 * @param {(message: string) => void} log
 */
export async function run(options, log) {
  const { gateways: gatewayCount, repeats } = options.propagation;
  /** @type {Array<{stop(): Promise<void>}>} */
  const owned = [];
  try {
    const responder = await startNodeServer({ name: 'upstream', script: 'backends/static-responder.mjs', flags: [`--model=${BENCH_MODEL}`], core: LOAD_CORE, pin: false });
    owned.push(responder.proc);
    const controlPlane = await startControlPlane({ pin: false, features: options.features });
    owned.push(controlPlane);
    const gateways = [];
    for (let i = 0; i < gatewayCount; i += 1) {
      const gateway = await startGateway({ pin: false, controlPlane, extraEnv: options.features.extraEnv });
      owned.push(gateway.proc);
      gateways.push(gateway);
    }
    /** @type {Record<string, string>} */
    const headers = controlPlane.apiKey ? { authorization: `Bearer ${controlPlane.apiKey}` } : {};
    await controlPlane.addScheduler({ id: 'bench-upstream', url: responder.url, models: [BENCH_MODEL] });
    for (const g of gateways) await waitUntilRoutes(g.url, BENCH_MODEL, headers, 20_000);
    const added = [];
    const removed = [];
    for (let i = 1; i <= repeats; i += 1) {
      const id = `bench-prop-${i}`;
      const model = `bench-prop-${randomBytes(4).toString('hex')}`;
      const addedAt = performance.now();
      await controlPlane.addScheduler({ id, url: responder.url, models: [model] });
      const addTimes = await Promise.all(gateways.map((g) => timeUntil(g.url, model, headers, (s) => s === 200, addedAt)));
      const removedAt = performance.now();
      await controlPlane.removeScheduler(id);
      const removeTimes = await Promise.all(gateways.map((g) => timeUntil(g.url, model, headers, (s) => s !== 200, removedAt)));
      added.push(Math.max(...addTimes));
      removed.push(Math.max(...removeTimes));
      log(`repeat ${i}/${repeats}: add → all ${gatewayCount} gateways ${added.at(-1)?.toFixed(1)} ms, remove → ${removed.at(-1)?.toFixed(1)} ms`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    const summary = { add: summarize(added.map((v) => (Number.isFinite(v) ? v : GIVE_UP_MS))), remove: summarize(removed.map((v) => (Number.isFinite(v) ? v : GIVE_UP_MS))) };
    const timeouts = [...added, ...removed].filter((v) => !Number.isFinite(v)).length;
    const table = simpleTable(
      ['change', `repeats × ${gatewayCount} gateways`, 'p50 ms', 'p90 ms', 'p99 ms', 'max ms', 'target', 'met'],
      [
        ['scheduler added (new model routable everywhere)', String(repeats), summary.add.p50, summary.add.p90, summary.add.p99, summary.add.max, `p99 ≤ ${PROPAGATION_P99_GOAL_MS} ms`, summary.add.p99 <= PROPAGATION_P99_GOAL_MS && timeouts === 0 ? 'yes' : '**no**'],
        ['scheduler removed (model refused everywhere)', String(repeats), summary.remove.p50, summary.remove.p90, summary.remove.p99, summary.remove.max, 'info', '–'],
      ],
    ) + (timeouts ? `\n\n${timeouts} repeat(s) did not propagate within ${GIVE_UP_MS} ms (counted as ${GIVE_UP_MS} ms).` : '')
      + `\n\nTimes include the admin call itself and the poll interval (${POLL_INTERVAL_MS} ms + one request).`;
    return { rows: [], table, result: { added_ms: added, removed_ms: removed, summary, poll_interval_ms: POLL_INTERVAL_MS } };
  } finally {
    for (const p of owned.reverse()) await p.stop().catch(() => undefined);
  }
}
