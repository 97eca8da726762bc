/**
 * Issue 18's table and targets over every run of a `pnpm bench:routing`: per
 * scenario (tenant count) and gateway count, each strategy's hit rate against
 * round-robin's and the ideal ("gap captured"), TTFT, and the worst 5 s window's
 * in-flight imbalance; then cache-aware's verdict. Pure.
 */
import { simpleTable } from '../lib/report.mjs';
import { gapCaptured } from './analysis.mjs';

export const CACHE_TARGETS = Object.freeze({ gapCaptured: 0.85, meanTtftVsRoundRobin: 0.5, worstInFlightRatio: 1.5, gatewayHitGapPoints: 3 });

/** @typedef {{scenario: string, strategy: string, gateways: number, result: import('./analysis.mjs').StrategyResult}} Run */

/** @param {number} v */
const pct = (v) => (Number.isFinite(v) ? `${(v * 100).toFixed(1)}%` : '–');
/** @param {number} v @param {number} [d] */
const fixed = (v, d = 2) => (Number.isFinite(v) ? v.toFixed(d) : '–');
/** @param {boolean | null} met */
const yesNo = (met) => (met === null ? '–' : met ? 'yes' : '**no**');

/**
 * Round-robin's run for a scenario: at the same gateway count if there is one, else the first.
 * @param {Run[]} runs @param {string} scenario @param {string} strategy @param {number} gateways
 */
function baseline(runs, scenario, strategy, gateways) {
  const same = runs.filter((r) => r.scenario === scenario && r.strategy === strategy);
  return same.find((r) => r.gateways === gateways) ?? same[0];
}

/** @param {Run[]} runs */
export function gapTable(runs) {
  const rows = runs.map((run) => {
    const rr = baseline(runs, run.scenario, 'round-robin', run.gateways);
    const r = run.result;
    return [
      run.scenario, run.strategy, String(run.gateways), pct(r.cache_hit_rate), pct(r.ideal_hit_rate),
      fixed(rr ? gapCaptured(r.cache_hit_rate, rr.result.cache_hit_rate, r.ideal_hit_rate) : Number.NaN),
      fixed(r.ttft_ms.mean, 0), fixed(r.ttft_ms.p99, 0), fixed(r.worst_in_flight_ratio), pct(r.sticky_turns),
    ];
  });
  return simpleTable(['scenario', 'strategy', 'gateways', 'cache hit rate', 'ideal', 'gap captured', 'TTFT mean ms', 'TTFT p99 ms', 'worst 5 s in-flight ratio', 'turns on previous turn\'s sim'], rows);
}

/** cache-aware against issue 18's targets, per scenario and gateway count. @param {Run[]} runs */
export function cacheVerdict(runs) {
  const rows = [];
  /** @type {Array<Record<string, unknown>>} */
  const verdicts = [];
  for (const run of runs.filter((r) => r.strategy === 'cache-aware')) {
    const r = run.result;
    const rr = baseline(runs, run.scenario, 'round-robin', run.gateways);
    const lo = baseline(runs, run.scenario, 'least-outstanding', run.gateways);
    const one = runs.find((x) => x.scenario === run.scenario && x.strategy === 'cache-aware' && x.gateways === 1);
    const gap = rr ? gapCaptured(r.cache_hit_rate, rr.result.cache_hit_rate, r.ideal_hit_rate) : Number.NaN;
    const ttftRatio = rr ? r.ttft_ms.mean / rr.result.ttft_ms.mean : Number.NaN;
    const p99Ratio = lo ? r.ttft_ms.p99 / lo.result.ttft_ms.p99 : Number.NaN;
    const points = one && one !== run ? (one.result.cache_hit_rate - r.cache_hit_rate) * 100 : Number.NaN;
    const v = {
      scenario: run.scenario, gateways: run.gateways, gap_captured: gap, mean_ttft_vs_round_robin: ttftRatio, p99_vs_least_outstanding: p99Ratio,
      worst_in_flight_ratio: r.worst_in_flight_ratio, hit_points_below_one_gateway: points,
      gap_met: Number.isFinite(gap) ? gap >= CACHE_TARGETS.gapCaptured : null,
      ttft_met: Number.isFinite(ttftRatio) ? ttftRatio <= CACHE_TARGETS.meanTtftVsRoundRobin : null,
      p99_met: Number.isFinite(p99Ratio) ? p99Ratio <= 1 : null,
      collapse_met: Number.isFinite(r.worst_in_flight_ratio) ? r.worst_in_flight_ratio <= CACHE_TARGETS.worstInFlightRatio : null,
      gateways_met: Number.isFinite(points) ? points <= CACHE_TARGETS.gatewayHitGapPoints : null,
    };
    verdicts.push(v);
    const label = `${run.scenario}, ${run.gateways} gateway${run.gateways === 1 ? '' : 's'}`;
    rows.push(
      [`${label}: gap captured ≥ ${CACHE_TARGETS.gapCaptured}`, fixed(gap), yesNo(v.gap_met)],
      [`${label}: mean TTFT ≤ ${CACHE_TARGETS.meanTtftVsRoundRobin} × round-robin`, `${fixed(ttftRatio)}×`, yesNo(v.ttft_met)],
      [`${label}: p99 TTFT ≤ least-outstanding`, `${fixed(p99Ratio)}×`, yesNo(v.p99_met)],
      [`${label}: worst 5 s in-flight ≤ ${CACHE_TARGETS.worstInFlightRatio} × mean`, fixed(r.worst_in_flight_ratio), yesNo(v.collapse_met)],
      ...(run.gateways === 1 ? [] : [[`${label}: hit rate within ${CACHE_TARGETS.gatewayHitGapPoints} points of 1 gateway`, `${fixed(points, 1)} points`, yesNo(v.gateways_met)]]),
    );
  }
  return { table: rows.length ? simpleTable(['issue 18 target (cache-aware)', 'measured', 'met'], rows) : '', verdicts };
}
