import type { SchedulerState } from '@switchyard/contracts';
import { computeWeights, type RecoveryStep, type SchedulerWeightInput, type WeightBreakdown } from '@switchyard/routing';
import type { HealthSnapshot, PassiveStats, ProbeRecord } from '../health/health-record';
import type { SchedulerRecord } from '../state/scheduler-record';

/** When passive health makes a probed-healthy scheduler degraded. */
export interface AssessOptions {
  /** Error rate across gateways at or above which a scheduler is degraded (PASSIVE_DEGRADED_ERROR_RATE). */
  degradedErrorRate: number;
  /** Attempts in the window below which the error rate means nothing yet. */
  minAttempts: number;
}

export const DEFAULT_ASSESS_OPTIONS: AssessOptions = { degradedErrorRate: 0.2, minAttempts: 10 };

/**
 * Misconfiguration (issue 21): at least this many routed requests in the passive
 * window were refused 401/403 by the scheduler, or answered 404 while another
 * scheduler served them, and they are at least half of its attempts.
 */
const MISCONFIGURED_MIN = 5;
const MISCONFIGURED_SHARE = 0.5;

/** Everything the control plane concludes about one scheduler: state, weight, and why. */
export interface SchedulerAssessment extends WeightBreakdown {
  id: string;
  state: SchedulerState;
  recovery: RecoveryStep;
  /** Why the state is not plain healthy (empty when it is). */
  reasons: string[];
  /** Why the gateways' traffic says the registration is wrong (also the first reason); the listing shows it as last_error. */
  misconfigured?: string;
  /** The probe record for this scheduler's current URL, if it was probed. */
  probe?: ProbeRecord;
  passive?: PassiveStats;
}

/**
 * States and effective weights of every scheduler (pure): the record says
 * draining or discovery-pending, the probes say unhealthy, passive error rate
 * or a slow health answer says degraded; then effective weight = base × health
 * × recovery × load × latency over the whole fleet (libs/routing). Used alike
 * for tables, listings and GET /admin/weights, so they cannot disagree.
 */
export function assessSchedulers(records: readonly SchedulerRecord[], health: HealthSnapshot | undefined, options: AssessOptions = DEFAULT_ASSESS_OPTIONS): Map<string, SchedulerAssessment> {
  const partial = records.map((record) => {
    const probe = health?.probes[record.id];
    const current = probe && probe.url === record.url ? probe : undefined;
    const passive = health?.passive[record.id];
    const { state, reasons, misconfigured } = stateOf(record, current, passive, options);
    return { record, probe: current, passive, state, reasons, misconfigured, recovery: current?.recovery ?? 'recovered' };
  });
  const inputs: SchedulerWeightInput[] = partial.map((p) => ({
    id: p.record.id,
    baseWeight: p.record.weight,
    health: p.state,
    recovery: p.recovery,
    ...(p.probe?.load ? { load: p.probe.load } : {}),
    ...(p.passive && p.passive.ttft_p95_ms > 0 ? { latency: { ttft_p95_ms: p.passive.ttft_p95_ms } } : {}),
  }));
  const weights = computeWeights(inputs);
  return new Map(
    partial.map((p) => [
      p.record.id,
      { id: p.record.id, state: p.state, recovery: p.recovery, reasons: p.reasons, ...(p.misconfigured ? { misconfigured: p.misconfigured } : {}), ...weights[p.record.id]!, ...(p.probe ? { probe: p.probe } : {}), ...(p.passive ? { passive: p.passive } : {}) },
    ]),
  );
}

function stateOf(record: SchedulerRecord, probe: ProbeRecord | undefined, passive: PassiveStats | undefined, options: AssessOptions): { state: SchedulerState; reasons: string[]; misconfigured?: string } {
  if (record.state === 'draining') return { state: 'draining', reasons: ['drained by an operator'] };
  if (record.discovery_pending) return { state: 'unhealthy', reasons: ['model discovery pending'] };
  if (probe?.status === 'unhealthy') return { state: 'unhealthy', reasons: [`${probe.consecutive_failures} consecutive failed probes`] };
  const misconfigured = misconfiguration(passive);
  if (misconfigured) return { state: 'unhealthy', reasons: [misconfigured], misconfigured };
  if (!probe || probe.last_probe_at_ms === null) return { state: 'unknown', reasons: ['not probed yet'] };
  const reasons: string[] = [];
  if (passive && passive.requests + passive.errors >= options.minAttempts && passive.error_rate >= options.degradedErrorRate) {
    reasons.push(`passive error rate ${passive.error_rate} ≥ ${options.degradedErrorRate}`);
  }
  if (probe?.slow) reasons.push(`slow health answer (${probe.last_probe_duration_ms} ms)`);
  return { state: reasons.length > 0 ? 'degraded' : 'healthy', reasons };
}

/**
 * Why the gateways' traffic says the scheduler is misconfigured, if it does: its
 * health probe passes (llama.cpp serves /health without a key) while every routed
 * request fails, so only what the gateways report can catch it. The scheduler is
 * out of rotation while the evidence lasts (PASSIVE_WINDOW_MS); fix the
 * registration and it is back after the window.
 */
export function misconfiguration(passive: PassiveStats | undefined): string | undefined {
  if (!passive) return undefined;
  const refused = passive.refused_auth ?? 0;
  const notFound = passive.not_found ?? 0;
  const attempts = passive.requests + passive.errors + refused + notFound;
  const share = (count: number) => count >= MISCONFIGURED_MIN && count >= attempts * MISCONFIGURED_SHARE;
  if (share(refused)) return `misconfigured: ${refused} routed requests refused with 401/403 by the scheduler; its api_key is missing or wrong (re-register it with the key its server was started with)`;
  if (share(notFound)) return `misconfigured: ${notFound} routed requests answered 404 by the scheduler while other schedulers served them; check its url (the server's root, without /v1) and model names`;
  return undefined;
}
