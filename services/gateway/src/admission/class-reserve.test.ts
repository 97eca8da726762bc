import { createClassReserve, type ClassReserve } from './class-reserve';

describe('headroom reserve (issue 19)', () => {
  let reserve: ClassReserve;
  let shrinks = 0;
  beforeEach(() => {
    shrinks = 0;
    reserve = createClassReserve({ slots: 2, windowMs: 1_000, onShrink: () => (shrinks += 1), timer: false });
  });
  afterEach(() => reserve.stop());
  /** Interactive requests for model m: `+` one opens, `-` one ends, `|` a window ends. */
  const play = (steps: string) => {
    for (const step of steps) {
      if (step === '+') reserve.opened('m', 'interactive');
      else if (step === '-') reserve.done('m', 'interactive');
      else reserve.roll();
    }
  };

  it('holds slots back from lower classes while a more urgent one has requests open, never from the most urgent', () => {
    expect(reserve.slotsFor('m', 'batch')).toBe(0);
    reserve.opened('m', 'interactive');
    expect(reserve.slotsFor('m', 'interactive')).toBe(0);
    // One interactive request open: one slot kept for the next.
    expect(reserve.slotsFor('m', 'standard')).toBe(1);
    expect(reserve.slotsFor('m', 'batch')).toBe(1);
    reserve.opened('m', 'interactive');
    reserve.opened('m', 'interactive');
    // Capped at ADMISSION_RESERVE_SLOTS.
    expect(reserve.slotsFor('m', 'batch')).toBe(2);
    expect([...reserve.entries()]).toEqual([
      ['m', 'standard', 2],
      ['m', 'batch', 2],
    ]);
    // Per model.
    expect(reserve.slotsFor('other', 'batch')).toBe(0);
  });

  it('keeps slots for standard from batch, and none for a class from its own kind', () => {
    reserve.opened('m', 'standard');
    expect(reserve.slotsFor('m', 'batch')).toBe(1);
    expect(reserve.slotsFor('m', 'standard')).toBe(0);
    reserve.opened('m', 'batch');
    expect(reserve.slotsFor('m', 'standard')).toBe(0);
  });

  it('remembers demand for one to two windows after it ended, then lets lower classes take every slot', () => {
    play('++--');
    // Quiet now, but seen in this window: the next interactive request will find its slots.
    expect(reserve.slotsFor('m', 'batch')).toBe(2);
    reserve.roll();
    expect(reserve.slotsFor('m', 'batch')).toBe(2);
    expect(shrinks).toBe(0);
    reserve.roll();
    expect(reserve.slotsFor('m', 'batch')).toBe(0);
    expect([...reserve.entries()]).toEqual([]);
    // The queues are told, so batch requests waiting on the reserve go without waiting for another request to end.
    expect(shrinks).toBe(1);
    reserve.roll();
    expect(shrinks).toBe(1);
  });

  it('follows demand down: a window with fewer urgent requests open at once holds back fewer slots', () => {
    play('++-|');
    // Still one open: the previous window's two are remembered once more.
    expect(reserve.slotsFor('m', 'batch')).toBe(2);
    reserve.roll();
    expect(reserve.slotsFor('m', 'batch')).toBe(1);
    expect(shrinks).toBe(1);
    play('-||');
    expect(reserve.slotsFor('m', 'batch')).toBe(0);
  });

  it('ignores an end it never saw open', () => {
    play('-+--+||');
    // Still one open (counts never go below 0, so the stray end did not cancel this one).
    expect(reserve.slotsFor('m', 'batch')).toBe(1);
  });
});
