import { isMaterialChange } from './material-change';

const base = { a: { effective_weight: 1, state: 'healthy' }, b: { effective_weight: 0.5, state: 'healthy' } };

describe('isMaterialChange', () => {
  it('ignores moves within the threshold', () => {
    expect(isMaterialChange(base, { ...base })).toBe(false);
    expect(isMaterialChange(base, { ...base, a: { effective_weight: 1.1, state: 'healthy' } })).toBe(false);
    expect(isMaterialChange(base, { ...base, b: { effective_weight: 0.46, state: 'healthy' } })).toBe(false);
  });

  it('flags a move beyond the threshold, to or from zero, or a state change', () => {
    expect(isMaterialChange(base, { ...base, a: { effective_weight: 1.11, state: 'healthy' } })).toBe(true);
    expect(isMaterialChange(base, { ...base, b: { effective_weight: 0.3, state: 'healthy' } })).toBe(true);
    expect(isMaterialChange(base, { ...base, b: { effective_weight: 0.5, state: 'degraded' } })).toBe(true);
    const zero = { ...base, b: { effective_weight: 0, state: 'healthy' } };
    expect(isMaterialChange(base, zero)).toBe(true);
    expect(isMaterialChange(zero, base)).toBe(true);
    expect(isMaterialChange(zero, { ...zero })).toBe(false);
  });

  it('flags schedulers that appear or disappear, whatever their ids', () => {
    expect(isMaterialChange(base, { a: base.a })).toBe(true);
    expect(isMaterialChange(base, { ...base, c: base.a })).toBe(true);
    expect(isMaterialChange({ constructor: base.a }, { other: base.a })).toBe(true);
  });

  it('honours a custom threshold and rejects a negative one', () => {
    const next = { ...base, a: { effective_weight: 1.04, state: 'healthy' } };
    expect(isMaterialChange(base, next, 0.03)).toBe(true);
    expect(() => isMaterialChange(base, next, -1)).toThrow(RangeError);
  });
});
