import { loadConfig } from './config';

describe('control-plane config', () => {
  it('has the documented defaults', () => {
    expect(loadConfig({})).toEqual({
      ok: true,
      config: {
        ADMIN_PORT: 8081, GRPC_PORT: 50051, HOST: '127.0.0.1', LOG_LEVEL: 'info', REDIS_URL: undefined, REDIS_KEY_PREFIX: 'switchyard:',
        ADMIN_TOKEN: undefined, REGISTRATION_TOKEN: undefined, API_KEYS_FILE: undefined, ROUTING_STRATEGY: 'round-robin',
        PROBE_INTERVAL_MS: 2000, PROBE_TIMEOUT_MS: 1000, LEADER_LEASE_MS: 10000, REGISTRATION_ALLOWED_HOSTS: [], SHUTDOWN_GRACE_MS: 30000,
        PROBE_HEALTHY_THRESHOLD: 2, PROBE_UNHEALTHY_THRESHOLD: 2, PROBE_CONCURRENCY: 32, PASSIVE_WINDOW_MS: 30000, PASSIVE_DEGRADED_ERROR_RATE: 0.2,
        MODEL_ALIASES: undefined, MODEL_STRATEGIES: undefined, TLS_CERT_FILE: undefined, TLS_KEY_FILE: undefined,
      },
    });
  });

  it('accepts every variable of the contract', () => {
    const result = loadConfig({
      ADMIN_PORT: '0', GRPC_PORT: '0', HOST: '0.0.0.0', LOG_LEVEL: 'debug', REDIS_URL: 'redis://redis:6379/0', REDIS_KEY_PREFIX: 'test:',
      ADMIN_TOKEN: 'a', REGISTRATION_TOKEN: 'r', API_KEYS_FILE: '/etc/keys.json', ROUTING_STRATEGY: 'prefix-affinity',
      PROBE_INTERVAL_MS: '500', PROBE_TIMEOUT_MS: '200', LEADER_LEASE_MS: '5000', REGISTRATION_ALLOWED_HOSTS: '10.0.0.0/8, *.gpu.internal, localhost',
      SHUTDOWN_GRACE_MS: '0',
    });
    expect(result.ok && result.config).toMatchObject({ HOST: '0.0.0.0', ROUTING_STRATEGY: 'prefix-affinity', REGISTRATION_ALLOWED_HOSTS: ['10.0.0.0/8', '*.gpu.internal', 'localhost'] });
  });

  it('names every bad variable', () => {
    const result = loadConfig({
      ADMIN_PORT: '99999', ROUTING_STRATEGY: 'random', PROBE_TIMEOUT_MS: 'soon', REDIS_URL: 'http://x', REGISTRATION_ALLOWED_HOSTS: '10.0.0.0/40',
      LOG_LEVEL: 'loud',
    });
    expect(result.ok).toBe(false);
    if (result.ok) return;
    const names = result.problems.map((p) => p.split(':')[0]).sort();
    expect(names).toEqual(['ADMIN_PORT', 'LOG_LEVEL', 'PROBE_TIMEOUT_MS', 'REDIS_URL', 'REGISTRATION_ALLOWED_HOSTS', 'ROUTING_STRATEGY'].sort());
    expect(result.problems.join('\n')).toMatch(/^ROUTING_STRATEGY: must be one of round-robin, weighted-random/m);
  });

  it('parses model aliases and per-model strategies, naming the variable of a bad entry', () => {
    const result = loadConfig({ MODEL_ALIASES: 'llama=meta-llama/Llama-3-8B|llama-3-8b, qwen=Qwen/Qwen2-7B', MODEL_STRATEGIES: 'llama=prefix-affinity,qwen=least-outstanding' });
    expect(result.ok && result.config).toMatchObject({
      MODEL_ALIASES: { llama: ['meta-llama/Llama-3-8B', 'llama-3-8b'], qwen: ['Qwen/Qwen2-7B'] },
      MODEL_STRATEGIES: { llama: 'prefix-affinity', qwen: 'least-outstanding' },
    });
    const bad = loadConfig({ MODEL_ALIASES: 'llama', MODEL_STRATEGIES: 'llama=fastest', PROBE_UNHEALTHY_THRESHOLD: '0', PASSIVE_DEGRADED_ERROR_RATE: '2' });
    expect(bad.ok ? [] : bad.problems.map((p) => p.split(':')[0]).sort()).toEqual(['MODEL_ALIASES', 'MODEL_STRATEGIES', 'PASSIVE_DEGRADED_ERROR_RATE', 'PROBE_UNHEALTHY_THRESHOLD']);
    expect(loadConfig({ MODEL_ALIASES: 'a=x,a=y' })).toEqual({ ok: false, problems: ["MODEL_ALIASES: 'a' is listed twice"] });
  });

  it('wants TLS_CERT_FILE and TLS_KEY_FILE together, naming the missing one', () => {
    expect(loadConfig({ TLS_CERT_FILE: '/tls/cert.pem' })).toEqual({ ok: false, problems: [expect.stringMatching(/^TLS_KEY_FILE: must be set together with TLS_CERT_FILE/)] });
    expect(loadConfig({ TLS_KEY_FILE: '/tls/key.pem' })).toEqual({ ok: false, problems: [expect.stringMatching(/^TLS_CERT_FILE: must be set together with TLS_KEY_FILE/)] });
    expect(loadConfig({ TLS_CERT_FILE: '/tls/cert.pem', TLS_KEY_FILE: '/tls/key.pem' }).ok).toBe(true);
  });

  it('refuses one secret for both roles', () => {
    expect(loadConfig({ ADMIN_TOKEN: 'same', REGISTRATION_TOKEN: 'same' })).toEqual({ ok: false, problems: ['REGISTRATION_TOKEN: must differ from ADMIN_TOKEN'] });
  });
});
