import { loadCliConfig } from './cli-config';

const BASE = { CONTROL_PLANE_URL: 'http://127.0.0.1:8081', SCHEDULER_URL: 'http://10.0.0.5:8000' };

describe('loadCliConfig', () => {
  it('reads the environment with defaults', () => {
    const result = loadCliConfig([], { ...BASE, SCHEDULER_MODELS: 'llama, qwen', REGISTRATION_TOKEN: 'tok' });
    expect(result).toEqual({
      ok: true,
      config: expect.objectContaining({ ...BASE, SCHEDULER_MODELS: ['llama', 'qwen'], REGISTRATION_TOKEN: 'tok', TTL_SECONDS: 15, READY_TIMEOUT_MS: 0 }),
    });
  });

  it('lets flags override the environment, in both --flag value and --flag=value forms', () => {
    const result = loadCliConfig(['--scheduler-id', 'node-1', '--ttl-seconds=30'], { ...BASE, TTL_SECONDS: '5' });
    expect(result.ok === true && result.config).toMatchObject({ SCHEDULER_ID: 'node-1', TTL_SECONDS: 30 });
  });

  it('names every problem: missing URLs, bad numbers, unknown flags', () => {
    const missing = loadCliConfig([], { TTL_SECONDS: '0' });
    expect(missing.ok).toBe(false);
    const problems = missing.ok === false ? missing.problems.join('\n') : '';
    expect(problems).toMatch(/^CONTROL_PLANE_URL: is required$/m);
    expect(problems).toMatch(/^SCHEDULER_URL: is required$/m);
    expect(problems).toMatch(/^TTL_SECONDS: must be >= 1$/m);

    const badUrl = loadCliConfig(['--scheduler-url', 'ftp://x'], BASE);
    expect(badUrl.ok === false && badUrl.problems).toEqual(['SCHEDULER_URL: must be http(s)']);

    const unknown = loadCliConfig(['--nope', '1', '--ttl-seconds'], BASE);
    expect(unknown.ok === false && unknown.problems).toEqual(['--nope: unknown argument', '1: unknown argument', '--ttl-seconds: needs a value']);
  });

  it('answers help', () => {
    expect(loadCliConfig(['--help'], {})).toEqual({ ok: 'help' });
  });
});
