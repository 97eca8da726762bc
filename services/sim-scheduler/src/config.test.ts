import { loadConfig } from './config';

describe('sim config', () => {
  it('has the documented defaults', () => {
    const result = loadConfig({});
    expect(result).toEqual({
      ok: true,
      config: expect.objectContaining({
        HOST: '127.0.0.1',
        PORT: 9001,
        SIM_MODELS: ['sim-model'],
        SIM_TTFT_MS: 50,
        SIM_ITL_MS: 10,
        SIM_SEED: 42,
        SIM_DEFAULT_MAX_TOKENS: 16,
        SIM_FAIL_RATE: 0,
        SIM_MAX_RUNNING: 256,
        SIM_PREFIX_CACHE_BLOCKS: 0,
        SIM_BLOCK_TOKENS: 16,
        SIM_PREFILL_MS_PER_TOKEN: 0,
        SIM_REGISTRATION_TTL_SECONDS: 10,
        SHUTDOWN_GRACE_MS: 30_000,
      }),
    });
  });

  it('names every bad variable', () => {
    const result = loadConfig({ SIM_FAIL_RATE: '1.5', SIM_FAULT: 'explode', PORT: 'x', CONTROL_PLANE_URL: 'ftp://cp', SIM_MODELS: ' , ', SIM_ID: 'bad id' });
    expect(result.ok).toBe(false);
    const problems = result.ok ? '' : result.problems.join('\n');
    expect(problems).toMatch(/^SIM_FAIL_RATE: must be <= 1$/m);
    expect(problems).toMatch(/^SIM_FAULT: unknown fault 'explode'/m);
    expect(problems).toMatch(/^PORT: /m);
    expect(problems).toMatch(/^CONTROL_PLANE_URL: must be http\(s\)$/m);
    expect(problems).toMatch(/^SIM_MODELS: must list at least one model$/m);
    expect(problems).toMatch(/^SIM_ID: /m);
    expect(result.ok === false && result.problems).toHaveLength(6);
  });

  it('takes a fractional prefill time and refuses a negative one', () => {
    expect(loadConfig({ SIM_PREFILL_MS_PER_TOKEN: '0.25', SIM_PREFIX_CACHE_BLOCKS: '4096' })).toMatchObject({ ok: true, config: { SIM_PREFILL_MS_PER_TOKEN: 0.25, SIM_PREFIX_CACHE_BLOCKS: 4096 } });
    const bad = loadConfig({ SIM_PREFILL_MS_PER_TOKEN: '-1', SIM_BLOCK_TOKENS: '0' });
    expect(bad.ok === false && bad.problems).toEqual(['SIM_BLOCK_TOKENS: must be >= 1', 'SIM_PREFILL_MS_PER_TOKEN: must be >= 0']);
  });

  it('accepts a valid fault', () => {
    const result = loadConfig({ SIM_FAULT: 'die-after:5', SIM_FAIL_RATE: '0.25' });
    expect(result.ok && result.config).toMatchObject({ SIM_FAULT: 'die-after:5', SIM_FAIL_RATE: 0.25 });
  });
});
