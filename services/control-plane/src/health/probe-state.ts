import { nextRecoveryStep } from '@switchyard/routing';
import type { ProbeRecord } from './health-record';
import type { ObservedLoad } from './load-metrics';

/** The outcome of one probe of one scheduler (probe-scheduler.ts). */
export type ProbeResult =
  | { ok: true; durationMs: number; load?: ObservedLoad; healthPath: ProbeRecord['health_path'] }
  | { ok: false; durationMs: number; error: string; healthPath: ProbeRecord['health_path'] };

export interface ProbeThresholds {
  /** Consecutive good probes that make an unhealthy scheduler healthy (PROBE_HEALTHY_THRESHOLD). */
  healthy: number;
  /** Consecutive failed probes that make a scheduler unhealthy (PROBE_UNHEALTHY_THRESHOLD). */
  unhealthy: number;
  /** A good probe slower than this counts as slow; `unhealthy` of them in a row make the scheduler slow (degraded). */
  slowMs: number;
}

/**
 * A scheduler seen for the first time: listed `unknown` (routable at full
 * weight: registration checked it answers) until its first probe, which alone
 * decides healthy or unhealthy.
 */
export function initialProbeRecord(url: string): ProbeRecord {
  return {
    url,
    status: 'healthy',
    recovery: 'recovered',
    consecutive_ok: 0,
    consecutive_failures: 0,
    last_probe_at_ms: null,
    last_probe_duration_ms: null,
    consecutive_slow: 0,
    slow: false,
    health_path: '/health',
  };
}

/**
 * The probe state machine (pure). A failure counts toward the unhealthy
 * threshold; crossing it makes the scheduler unhealthy and resets progressive
 * recovery. A single failure below the threshold changes nothing but the
 * counter (one lost packet must not halve a weight). Good probes count toward
 * the healthy threshold; once healthy, every good probe advances recovery one
 * step (10% → 30% → 50% → 100%), starting with the probe that crossed it.
 */
export function applyProbeResult(previous: ProbeRecord, result: ProbeResult, thresholds: ProbeThresholds, nowMs: number): ProbeRecord {
  const common = { url: previous.url, last_probe_at_ms: nowMs, last_probe_duration_ms: Math.round(result.durationMs), health_path: result.healthPath };
  if (!result.ok) {
    const failures = previous.consecutive_failures + 1;
    // A scheduler never probed before has not shown it works: its first failed probe makes it unhealthy.
    const crossed = failures >= thresholds.unhealthy || previous.last_probe_at_ms === null;
    return {
      ...common,
      status: crossed ? 'unhealthy' : previous.status,
      recovery: crossed ? nextRecoveryStep(previous.recovery, false) : previous.recovery,
      consecutive_ok: 0,
      consecutive_failures: failures,
      consecutive_slow: previous.consecutive_slow,
      slow: previous.slow,
      last_error: result.error,
      ...(previous.load ? { load: previous.load } : {}),
    };
  }
  const ok = previous.consecutive_ok + 1;
  const status = previous.status === 'healthy' || ok >= thresholds.healthy ? 'healthy' : 'unhealthy';
  const slowInRow = result.durationMs > thresholds.slowMs ? previous.consecutive_slow + 1 : 0;
  return {
    ...common,
    status,
    recovery: status === 'healthy' ? nextRecoveryStep(previous.recovery, true) : previous.recovery,
    consecutive_ok: ok,
    consecutive_failures: 0,
    consecutive_slow: slowInRow,
    slow: slowInRow >= thresholds.unhealthy,
    ...(result.load ? { load: result.load } : {}),
  };
}

/** Whether a new record changes routing (state, recovery step or slowness), so it is worth persisting at once. */
export function routingChanged(before: ProbeRecord | undefined, after: ProbeRecord): boolean {
  return !before || before.status !== after.status || before.recovery !== after.recovery || before.slow !== after.slow;
}
