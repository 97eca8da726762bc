import { createOutcomeWindow } from './outcome-window';

describe('breaker outcome window', () => {
  it('sums attempts and failures over the last window', () => {
    const window = createOutcomeWindow(1_000);
    window.record(false, 0);
    window.record(true, 50);
    window.record(true, 950);
    expect(window.totals()).toEqual({ attempts: 3, failures: 2 });
  });

  it('drops buckets as they leave the window, also after an idle gap', () => {
    const window = createOutcomeWindow(1_000);
    window.record(true, 0);
    window.record(true, 500);
    window.record(false, 1_050);
    // The bucket of t=0 left the window; t=500 is still in it.
    expect(window.totals()).toEqual({ attempts: 2, failures: 1 });
    window.record(false, 60_000);
    expect(window.totals()).toEqual({ attempts: 1, failures: 0 });
  });

  it('clears on demand (a breaker that closed starts over)', () => {
    const window = createOutcomeWindow(1_000);
    window.record(true, 10);
    window.clear();
    expect(window.totals()).toEqual({ attempts: 0, failures: 0 });
  });
});
