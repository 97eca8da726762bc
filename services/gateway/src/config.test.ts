import { loadConfig } from './config';

describe('gateway config', () => {
  it('has LLM-friendly defaults', () => {
    const result = loadConfig({});
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.config).toMatchObject({
      PORT: 8080,
      HOST: '127.0.0.1',
      CONTROL_PLANE_ADDR: ['127.0.0.1:50051'],
      LOG_LEVEL: 'info',
      REDIS_KEY_PREFIX: 'switchyard:',
      UPSTREAM_CONNECT_TIMEOUT_MS: 5_000,
      UPSTREAM_FIRST_BYTE_TIMEOUT_MS: 120_000,
      UPSTREAM_IDLE_TIMEOUT_MS: 60_000,
      RETRY_MAX_ATTEMPTS: 3,
      SHUTDOWN_GRACE_MS: 30_000,
      MAX_REQUEST_BODY_BYTES: 10 * 1024 * 1024,
    });
    expect(result.config.GATEWAY_ID).toMatch(new RegExp(`-${process.pid}$`));
  });

  it('parses a comma list of control-plane addresses', () => {
    const result = loadConfig({ CONTROL_PLANE_ADDR: 'cp-0.cp:50051, cp-1.cp:50051,[::1]:50051', PORT: '0' });
    expect(result.ok && result.config.CONTROL_PLANE_ADDR).toEqual(['cp-0.cp:50051', 'cp-1.cp:50051', '[::1]:50051']);
  });

  it('reads the issue 17 variables: upload limit, response affinity TTL, passthrough paths in canonical form', () => {
    const defaults = loadConfig({});
    expect(defaults.ok && [defaults.config.MAX_UPLOAD_BYTES, defaults.config.RESPONSE_AFFINITY_TTL_SECONDS, defaults.config.PASSTHROUGH_PATHS]).toEqual([25 * 1024 * 1024, 86_400, []]);
    const set = loadConfig({ PASSTHROUGH_PATHS: '/v1/Foo/, /bar', MAX_UPLOAD_BYTES: '1000', RESPONSE_AFFINITY_TTL_SECONDS: '60' });
    expect(set.ok && [set.config.PASSTHROUGH_PATHS, set.config.MAX_UPLOAD_BYTES, set.config.RESPONSE_AFFINITY_TTL_SECONDS]).toEqual([['/v1/foo', '/bar'], 1000, 60]);
    const bad = loadConfig({ PASSTHROUGH_PATHS: 'no-slash', RESPONSE_AFFINITY_TTL_SECONDS: '0' });
    expect(bad.ok ? [] : bad.problems.map((p) => p.split(/[:.]/)[0])).toEqual(expect.arrayContaining(['PASSTHROUGH_PATHS', 'RESPONSE_AFFINITY_TTL_SECONDS']));
  });

  it('reads the headroom reserve (issue 19): 2 slots over 10 s windows by default, 0 turns it off, a window under 100 ms is refused', () => {
    const defaults = loadConfig({});
    expect(defaults.ok && [defaults.config.ADMISSION_RESERVE_SLOTS, defaults.config.ADMISSION_RESERVE_WINDOW_MS]).toEqual([2, 10_000]);
    const off = loadConfig({ ADMISSION_RESERVE_SLOTS: '0' });
    expect(off.ok && off.config.ADMISSION_RESERVE_SLOTS).toBe(0);
    const bad = loadConfig({ ADMISSION_RESERVE_SLOTS: '-1', ADMISSION_RESERVE_WINDOW_MS: '50' });
    expect(bad.ok ? [] : bad.problems.map((p) => p.split(/[:.]/)[0])).toEqual(expect.arrayContaining(['ADMISSION_RESERVE_SLOTS', 'ADMISSION_RESERVE_WINDOW_MS']));
  });

  it('names every bad variable', () => {
    const result = loadConfig({ PORT: '-1', CONTROL_PLANE_ADDR: 'no-port', RETRY_MAX_ATTEMPTS: '0', UPSTREAM_IDLE_TIMEOUT_MS: 'soon' });
    expect(result.ok).toBe(false);
    if (result.ok) return;
    const text = result.problems.join('\n');
    for (const name of ['PORT', 'CONTROL_PLANE_ADDR', 'RETRY_MAX_ATTEMPTS', 'UPSTREAM_IDLE_TIMEOUT_MS']) expect(text).toMatch(new RegExp(`^${name}`, 'm'));
  });
});
