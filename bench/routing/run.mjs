/**
 * Routing quality (issue 9, target 5): `node bench/routing/run.mjs [--quick]`, or
 * `pnpm bench:routing [--quick]`. For each strategy a fresh fleet (8 sims with the
 * prefix cache, a control plane with ROUTING_STRATEGY, one gateway) gets the same
 * seeded multi-tenant chat workload at 80% of the fleet's capacity; the run prints
 * TTFT, cache hit rate and throughput side by side with the target's verdict and
 * writes everything to bench/results/<time>-routing.json. bench/routing/README.md
 * describes the workload and every knob.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { REPO_ROOT } from '../lib/gateway-stack.mjs';
import { sleep } from '../lib/processes.mjs';
import { machineInfo, writeResult } from '../lib/report.mjs';
import { analyse, counterDelta, tables } from './analysis.mjs';
import { playConversations } from './conversations.mjs';
import { ROUTING_MODEL, simEnv, startFleet } from './fleet.mjs';
import { readRoutingOptions } from './options.mjs';
import { capacity, makeTenants, planConversations } from './workload.mjs';

const options = readRoutingOptions(process.env, process.argv.slice(2));
const startedAt = performance.now();
const log = (/** @type {string} */ message) => console.error(`[bench:routing +${((performance.now() - startedAt) / 1000).toFixed(0)}s] ${message}`);

const missing = ['services/sim-scheduler/dist/main.js', 'services/control-plane/dist/main.js', 'services/gateway/dist/main.js'].filter((f) => !existsSync(path.join(REPO_ROOT, f)));
if (missing.length) {
  console.error(`not built: ${missing.join(', ')} (run pnpm build)`);
  process.exit(1);
}

const machine = machineInfo();
const tenants = makeTenants(options.workload);
const plan = capacity(options.workload, options.sim, tenants);
const runMs = (options.warmupS + options.measureS) * 1000;
// Conversations that would still be running at time 0 had the traffic always flowed:
// the longest one lasts maxTurns × (uncached service + think time), roughly.
const preRollMs = options.workload.maxTurns * (plan.uncached_service_ms + options.workload.meanThinkMs) * 1.5;
const conversations = planConversations(options.workload, plan.conversations_per_s, -preRollMs, runMs);
log(`${options.quick ? 'QUICK ' : ''}${options.strategies.join(', ')}: ${options.sim.sims} sims × ${options.sim.maxRunning} slots, capacity ${plan.fleet_capacity_rps.toFixed(1)} req/s uncached, offering ${plan.offered_rps.toFixed(1)} req/s (${conversations.length} conversations, some under way at the start), warm-up ${options.warmupS} s + ${options.measureS} s measured; load average ${machine.loadavg_at_start.join(' ')}`);

/** @type {Record<string, import('./analysis.mjs').StrategyResult>} */
const results = {};
/** @type {Record<string, import('./conversations.mjs').TurnRecord[]>} */
const recordsByStrategy = {};
for (const strategy of options.strategies) {
  const fleet = await startFleet({ strategy, sim: options.sim, controlPlaneEnv: options.controlPlaneEnv, gatewayEnv: options.gatewayEnv, log });
  try {
    const playing = playConversations({ plans: conversations, tenants, sim: options.sim, gatewayUrl: fleet.gatewayUrl, model: ROUTING_MODEL, stopAtMs: runMs, drainMs: options.drainS * 1000 });
    await sleep(options.warmupS * 1000);
    const before = await fleet.counters();
    const versionBefore = await fleet.tableVersion();
    log(`${strategy}: warm-up done, measuring ${options.measureS} s`);
    await sleep(options.measureS * 1000);
    const versionAfter = await fleet.tableVersion();
    const { records, aborted } = await playing;
    const after = await fleet.counters();
    const simTtfts = await fleet.simTtfts();
    for (const r of records) r.simTtftMs = simTtfts.get(r.requestId) ?? null;
    recordsByStrategy[strategy] = records;
    results[strategy] = analyse({ records, aborted, windowMs: [options.warmupS * 1000, runMs], delta: counterDelta(before, after), tableVersions: [versionBefore, versionAfter] });
    const r = results[strategy];
    log(`${strategy}: ${r.requests} requests, ${r.errors} errors, TTFT mean ${r.ttft_ms.mean.toFixed(0)} ms p99 ${r.ttft_ms.p99.toFixed(0)} ms, hit rate ${(r.cache_hit_rate * 100).toFixed(1)}%`);
  } finally {
    await fleet.stop();
  }
}

const { main, goals, verdict, diagnostics } = tables(results);
const elapsedS = Math.round((performance.now() - startedAt) / 1000);
const file = writeResult('routing', {
  scenario: 'routing', quick: options.quick, machine, control_plane_env: options.controlPlaneEnv, gateway_env: options.gatewayEnv, elapsed_s: elapsedS, workload: options.workload, sim: options.sim, sim_env: simEnv(options.sim),
  capacity: plan, windows: { warmup_s: options.warmupS, measure_s: options.measureS }, tenants: tenants.map(({ name, share, systemTokens }) => ({ name, share, systemTokens })),
  results, verdict, records: recordsByStrategy,
});
console.log([
  `## Switchyard bench: routing quality${options.quick ? ' (QUICK run: short, not a measurement)' : ''}`,
  '',
  `${machine.date}, ${machine.cpu} × ${machine.cores}, ${machine.kernel}, node ${machine.node}, commit ${machine.git_commit}${machine.git_dirty ? ' (dirty)' : ''}, load average at start ${machine.loadavg_at_start.join(' ')}, ${elapsedS} s`,
  `fleet: ${options.sim.sims} sims, SIM_MAX_RUNNING=${options.sim.maxRunning}, SIM_TTFT_MS=${options.sim.ttftMs}, SIM_ITL_MS=${options.sim.itlMs}, SIM_PREFILL_MS_PER_TOKEN=${options.sim.prefillMsPerToken}, SIM_PREFIX_CACHE_BLOCKS=${options.sim.cacheBlocks} × SIM_BLOCK_TOKENS=${options.sim.blockTokens}`,
  `workload: ${options.workload.tenants} tenants (Zipf s=${options.workload.zipfS}), system prompts ${options.workload.systemTokens.join('-')} tokens, turns geometric mean ${options.workload.meanTurns} (max ${options.workload.maxTurns}), user ${options.workload.userTokens.join('-')} tokens, answers ${options.workload.answerTokens.join('-')} tokens, think time exp. mean ${options.workload.meanThinkMs} ms; mean prompt ≈ ${plan.mean_prompt_tokens.toFixed(0)} tokens`,
  `load: ${plan.offered_rps.toFixed(2)} req/s offered = ${options.workload.load} × uncached capacity ${plan.fleet_capacity_rps.toFixed(2)} req/s (${plan.uncached_service_ms.toFixed(0)} ms per request per slot); warm-up ${options.warmupS} s, measured ${options.measureS} s`,
  '',
  main,
  '',
  goals,
  '',
  ...diagnostics,
  `results: ${file}`,
].join('\n'));
