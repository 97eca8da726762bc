import { nextRecoveryStep, RECOVERY_FACTORS, RECOVERY_STEPS, type RecoveryStep } from './recovery';

describe('nextRecoveryStep', () => {
  it('climbs 0 → 10% → 30% → 50% → 100% over good probes and stays there', () => {
    let step: RecoveryStep = 'failed';
    const factors = [RECOVERY_FACTORS[step]];
    for (let i = 0; i < 5; i++) {
      step = nextRecoveryStep(step, true);
      factors.push(RECOVERY_FACTORS[step]);
    }
    expect(factors).toEqual([0, 0.1, 0.3, 0.5, 1, 1]);
  });

  it('resets to failed from any step on a failure', () => {
    for (const step of RECOVERY_STEPS) expect(nextRecoveryStep(step, false)).toBe('failed');
  });
});
