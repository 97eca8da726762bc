/**
 * Routing quality (issue 9 target 5, issue 18): `node bench/routing/run.mjs [--quick]`,
 * or `pnpm bench:routing [--quick]`. Per scenario (12 and 48 tenants), strategy and
 * gateway count (1 and 4) a fresh fleet (8 sims with the prefix cache, a control
 * plane with ROUTING_STRATEGY, N gateways taking turns like a round-robin balancer)
 * gets the same seeded multi-tenant chat workload at 80% of the fleet's capacity;
 * the run prints TTFT, cache hit rate, gap captured and throughput side by side
 * with the targets' verdicts and writes everything to
 * bench/results/<time>-routing.json. bench/routing/README.md describes the workload
 * and every knob.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { REPO_ROOT } from '../lib/gateway-stack.mjs';
import { sleep } from '../lib/processes.mjs';
import { machineInfo, writeResult } from '../lib/report.mjs';
import { analyse, counterDelta, tables } from './analysis.mjs';
import { cacheVerdict, gapTable } from './gap-verdict.mjs';
import { playConversations } from './conversations.mjs';
import { ROUTING_MODEL, simEnv, startFleet } from './fleet.mjs';
import { MULTI_GATEWAY_STRATEGIES, readRoutingOptions } from './options.mjs';
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
/** @type {import('./gap-verdict.mjs').Run[]} */
const runs = [];
/** @type {Array<{tenants: number, plan: ReturnType<typeof capacity>, tables: ReturnType<typeof tables>, results: Record<string, import('./analysis.mjs').StrategyResult>, records: Record<string, import('./conversations.mjs').TurnRecord[]>}>} */
const scenarios = [];
for (const tenantCount of options.scenarios) {
  const workload = { ...options.workload, tenants: tenantCount };
  const tenants = makeTenants(workload);
  const plan = capacity(workload, options.sim, tenants);
  const runMs = (options.warmupS + options.measureS) * 1000;
  // Conversations that would still be running at time 0 had the traffic always flowed:
  // the longest one lasts maxTurns × (uncached service + think time), roughly.
  const preRollMs = workload.maxTurns * (plan.uncached_service_ms + workload.meanThinkMs) * 1.5;
  const conversations = planConversations(workload, plan.conversations_per_s, -preRollMs, runMs);
  // cache-aware's index holds as much prompt text per scheduler as a sim's cache holds tokens
  // (an operator sets PREFIX_INDEX_BLOCKS_PER_SCHEDULER from the engine's KV size the same way).
  const charsPerToken = tenants.reduce((sum, t) => sum + t.systemPrompt.length / t.systemTokens, 0) / tenants.length;
  const gatewayEnv = { PREFIX_INDEX_BLOCKS_PER_SCHEDULER: String(Math.max(1, Math.round((options.sim.cacheBlocks * options.sim.blockTokens * charsPerToken) / 256))), ...options.gatewayEnv };
  const scenario = `${tenantCount} tenants`;
  log(`${scenario}: ${options.quick ? 'QUICK ' : ''}${options.strategies.join(', ')} × gateways ${options.gateways.join('/')}: ${options.sim.sims} sims × ${options.sim.maxRunning} slots, capacity ${plan.fleet_capacity_rps.toFixed(1)} req/s uncached, offering ${plan.offered_rps.toFixed(1)} req/s (${conversations.length} conversations, some under way at the start), warm-up ${options.warmupS} s + ${options.measureS} s measured; load average ${machine.loadavg_at_start.join(' ')}`);
  /** @type {Record<string, import('./analysis.mjs').StrategyResult>} */
  const results = {};
  /** @type {Record<string, import('./conversations.mjs').TurnRecord[]>} */
  const recordsByRun = {};
  for (const strategy of options.strategies) {
    const counts = options.allAtEveryGatewayCount || MULTI_GATEWAY_STRATEGIES.includes(strategy) ? options.gateways : options.gateways.slice(0, 1);
    for (const gateways of counts) {
      // The first gateway count keeps the bare strategy name, so the target-5 table reads as before.
      const name = gateways === options.gateways[0] ? strategy : `${strategy} ×${gateways} gw`;
      const fleet = await startFleet({ strategy, gateways, sim: options.sim, controlPlaneEnv: options.controlPlaneEnv, gatewayEnv, log });
      try {
        const playing = playConversations({ plans: conversations, tenants, sim: options.sim, gatewayUrls: fleet.gatewayUrls, model: ROUTING_MODEL, stopAtMs: runMs, drainMs: options.drainS * 1000 });
        await sleep(options.warmupS * 1000);
        const before = await fleet.counters();
        const versionBefore = await fleet.tableVersion();
        log(`${scenario}, ${name}: warm-up done, measuring ${options.measureS} s`);
        await sleep(options.measureS * 1000);
        const versionAfter = await fleet.tableVersion();
        const { records, aborted } = await playing;
        const after = await fleet.counters();
        const simRequests = await fleet.simRequests();
        for (const r of records) {
          const sim = simRequests.get(r.requestId);
          r.simTtftMs = sim?.ttftMs ?? null;
          r.simPromptTokens = sim?.promptTokens ?? null;
          r.simCachedTokens = sim?.cachedTokens ?? null;
        }
        recordsByRun[name] = records;
        const r = analyse({ records, aborted, windowMs: [options.warmupS * 1000, runMs], delta: counterDelta(before, after), tableVersions: [versionBefore, versionAfter], blockTokens: options.sim.blockTokens });
        results[name] = r;
        runs.push({ scenario, strategy, gateways, result: r });
        log(`${scenario}, ${name}: ${r.requests} requests, ${r.errors} errors, TTFT mean ${r.ttft_ms.mean.toFixed(0)} ms p99 ${r.ttft_ms.p99.toFixed(0)} ms, hit rate ${(r.cache_hit_rate * 100).toFixed(1)}% (ideal ${(r.ideal_hit_rate * 100).toFixed(1)}%)`);
      } finally {
        await fleet.stop();
      }
    }
  }
  scenarios.push({ tenants: tenantCount, plan, tables: tables(results), results, records: recordsByRun });
}

const gap = gapTable(runs);
const cache = cacheVerdict(runs);
const elapsedS = Math.round((performance.now() - startedAt) / 1000);
const file = writeResult('routing', {
  scenario: 'routing', quick: options.quick, machine, control_plane_env: options.controlPlaneEnv, gateway_env: options.gatewayEnv, elapsed_s: elapsedS, workload: options.workload, sim: options.sim, sim_env: simEnv(options.sim),
  gateways: options.gateways, windows: { warmup_s: options.warmupS, measure_s: options.measureS },
  scenarios: scenarios.map((s) => ({ tenants: s.tenants, capacity: s.plan, results: s.results, verdict: s.tables.verdict, records: s.records })),
  issue_18: cache.verdicts,
});
console.log([
  `## Switchyard bench: routing quality${options.quick ? ' (QUICK run: short, not a measurement)' : ''}`,
  '',
  `${machine.date}, ${machine.cpu} × ${machine.cores}, ${machine.kernel}, node ${machine.node}, commit ${machine.git_commit}${machine.git_dirty ? ' (dirty)' : ''}, load average at start ${machine.loadavg_at_start.join(' ')}, ${elapsedS} s`,
  `fleet: ${options.sim.sims} sims, SIM_MAX_RUNNING=${options.sim.maxRunning}, SIM_TTFT_MS=${options.sim.ttftMs}, SIM_ITL_MS=${options.sim.itlMs}, SIM_PREFILL_MS_PER_TOKEN=${options.sim.prefillMsPerToken}, SIM_PREFIX_CACHE_BLOCKS=${options.sim.cacheBlocks} × SIM_BLOCK_TOKENS=${options.sim.blockTokens}`,
  `workload: tenants ${options.scenarios.join(' and ')} (Zipf s=${options.workload.zipfS}), system prompts ${options.workload.systemTokens.join('-')} tokens, turns geometric mean ${options.workload.meanTurns} (max ${options.workload.maxTurns}), user ${options.workload.userTokens.join('-')} tokens, answers ${options.workload.answerTokens.join('-')} tokens, think time exp. mean ${options.workload.meanThinkMs} ms; gateways ${options.gateways.join(', ')} (behind a round-robin client)`,
  ...scenarios.flatMap((s) => [
    '',
    `### ${s.tenants} tenants: ${s.plan.offered_rps.toFixed(2)} req/s offered = ${options.workload.load} × uncached capacity ${s.plan.fleet_capacity_rps.toFixed(2)} req/s; mean prompt ≈ ${s.plan.mean_prompt_tokens.toFixed(0)} tokens`,
    '',
    s.tables.main,
    '',
    s.tables.goals,
    '',
    ...s.tables.diagnostics,
  ]),
  '',
  '### Gap captured (issue 18)',
  '',
  gap,
  '',
  cache.table,
  '',
  `results: ${file}`,
].join('\n'));

