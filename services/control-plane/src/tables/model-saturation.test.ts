import { parseModelSaturation, saturationFor } from './model-saturation';

describe('MODEL_SATURATION (issue 19)', () => {
  it('parses per-model thresholds, filling what is left out with 0 (the gateway default)', () => {
    const parsed = parseModelSaturation('{"llama": {"max_waiting": 2, "max_in_flight": 16}, "*": {"max_kv_cache_usage": 0.9}}');
    expect(parsed).toEqual({
      ok: true,
      value: { llama: { max_waiting: 2, max_kv_cache_usage: 0, max_in_flight: 16 }, '*': { max_waiting: 0, max_kv_cache_usage: 0.9, max_in_flight: 0 } },
    });
    const value = parsed.ok ? parsed.value : {};
    expect(saturationFor('llama', value)?.max_in_flight).toBe(16);
    expect(saturationFor('other', value)?.max_kv_cache_usage).toBe(0.9);
    expect(saturationFor('other', undefined)).toBeNull();
  });

  it('names what is wrong', () => {
    expect(parseModelSaturation('nope')).toMatchObject({ ok: false, reason: expect.stringContaining('not valid JSON') });
    expect(parseModelSaturation('[]')).toMatchObject({ ok: false });
    expect(parseModelSaturation('{"m": {"max_kv_cache_usage": 2}}')).toMatchObject({ ok: false, reason: expect.stringContaining("model 'm': max_kv_cache_usage") });
    expect(parseModelSaturation('{"m": {"max_waiters": 2}}')).toMatchObject({ ok: false, reason: expect.stringContaining("model 'm'") });
  });
});
