/**
 * Progressive recovery (issue 4): after a failure a scheduler comes back at 10%,
 * 30%, 50%, then 100% of its weight over successive good probes, so a scheduler
 * that is up but cold (empty KV cache, warming JIT) or still flaky does not take a
 * full share at once.
 */

export const RECOVERY_STEPS = ['failed', 'recovering_10', 'recovering_30', 'recovering_50', 'recovered'] as const;
export type RecoveryStep = (typeof RECOVERY_STEPS)[number];

/** The weight multiplier of each step. */
export const RECOVERY_FACTORS: Readonly<Record<RecoveryStep, number>> = Object.freeze({
  failed: 0,
  recovering_10: 0.1,
  recovering_30: 0.3,
  recovering_50: 0.5,
  recovered: 1,
});

const AFTER_GOOD_PROBE: Readonly<Record<RecoveryStep, RecoveryStep>> = Object.freeze({
  failed: 'recovering_10',
  recovering_10: 'recovering_30',
  recovering_30: 'recovering_50',
  recovering_50: 'recovered',
  recovered: 'recovered',
});

/**
 * The recovery state machine: a failure resets to `failed` from any step; each good
 * probe advances one step; `recovered` stays put. The caller decides what counts as
 * a failure (e.g. crossing the unhealthy threshold rather than any single probe),
 * since one failed probe here drops the factor to 0. A scheduler seen for the first
 * time starts at `recovered`, or at `failed` for a slow start.
 */
export function nextRecoveryStep(step: RecoveryStep, probeOk: boolean): RecoveryStep {
  return probeOk ? AFTER_GOOD_PROBE[step] : 'failed';
}
