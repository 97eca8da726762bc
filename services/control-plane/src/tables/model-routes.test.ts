import { buildModelRoutes, parseModelAliases, parseModelStrategies } from './model-routes';

describe('MODEL_ALIASES / MODEL_STRATEGIES', () => {
  it('parses public=served1|served2 lists, trimming and deduplicating', () => {
    expect(parseModelAliases(' llama = meta-llama/Llama-3-8B | llama-3-8b|llama-3-8b , qwen=Qwen/Qwen2-7B,')).toEqual({
      ok: true,
      value: { llama: ['meta-llama/Llama-3-8B', 'llama-3-8b'], qwen: ['Qwen/Qwen2-7B'] },
    });
    expect(parseModelAliases('')).toEqual({ ok: true, value: {} });
  });

  it.each([
    ['llama', "bad entry 'llama'"],
    ['=x', "bad entry '=x'"],
    ['a=', "bad entry 'a='"],
    ['a=x||y', "alias 'a': bad served name ''"],
    ['a=x,a=y', "'a' is listed twice"],
    ['a b=x', "bad entry 'a b=x'"],
  ])('refuses %s', (text, reason) => {
    expect(parseModelAliases(text)).toMatchObject({ ok: false, reason: expect.stringContaining(reason) });
  });

  it('parses strategies and refuses unknown ones', () => {
    expect(parseModelStrategies('llama=prefix-affinity,qwen=least-latency')).toEqual({ ok: true, value: { llama: 'prefix-affinity', qwen: 'least-latency' } });
    expect(parseModelStrategies('llama=fastest')).toMatchObject({ ok: false, reason: expect.stringContaining("unknown strategy 'fastest'") });
  });

  it('maps served models to themselves, adds served aliases, applies overrides, sorted', () => {
    const models = buildModelRoutes(['b-served', 'a-served'], { pub: ['a-served', 'x'], ghost: ['nobody'], 'b-served': ['a-served'] }, { pub: 'session-affinity' });
    expect(Object.keys(models)).toEqual(['a-served', 'b-served', 'pub']);
    expect(models.pub).toEqual({ strategy: 'session-affinity', served_names: ['a-served', 'x'], resume_streams: false });
    expect(models['b-served']!.served_names).toEqual(['a-served']);
    expect(models['a-served']).toEqual({ strategy: '', served_names: ['a-served'], resume_streams: false });
  });
});
