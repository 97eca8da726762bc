import { RECOVERY_FACTORS } from '@switchyard/routing';
import type { ProbeRecord } from './health-record';
import { applyProbeResult, initialProbeRecord, routingChanged, type ProbeResult, type ProbeThresholds } from './probe-state';

const THRESHOLDS: ProbeThresholds = { healthy: 2, unhealthy: 2, slowMs: 500 };
const OK: ProbeResult = { ok: true, durationMs: 5, healthPath: '/health', load: { running: 1, waiting: 0, kv_cache_usage: 0.1, source: 'sim', metrics: ['sim:num_requests_running'] } };
const FAIL: ProbeResult = { ok: false, durationMs: 5, error: 'GET /health answered HTTP 500', healthPath: '/health' };

/** A healthy scheduler with probes behind it: the thresholds apply to it. */
const PROBED_BEFORE: ProbeRecord = { ...initialProbeRecord('http://s'), last_probe_at_ms: 0 };

/** Applies results one after another, one "interval" (1000 ms of fake time) apart. */
function run(results: ProbeResult[], thresholds = THRESHOLDS, start: ProbeRecord = PROBED_BEFORE): ProbeRecord[] {
  const states: ProbeRecord[] = [];
  let record = start;
  results.forEach((result, i) => {
    record = applyProbeResult(record, result, thresholds, (i + 1) * 1_000);
    states.push(record);
  });
  return states;
}

describe('probe state machine', () => {
  it('a scheduler never probed is decided by its first probe alone (issue 21: no "healthy" before any probe)', () => {
    const fresh = initialProbeRecord('http://s');
    expect(fresh.last_probe_at_ms).toBeNull();
    expect(run([OK], THRESHOLDS, fresh)[0]).toMatchObject({ status: 'healthy', consecutive_ok: 1 });
    const [failed, oneOk, twoOk] = run([FAIL, OK, OK], THRESHOLDS, fresh);
    expect(failed).toMatchObject({ status: 'unhealthy', consecutive_failures: 1, last_error: 'GET /health answered HTTP 500' });
    expect(oneOk!.status).toBe('unhealthy');
    expect(twoOk!.status).toBe('healthy');
  });

  it('starts healthy at full weight and stays so on good probes, keeping the load report', () => {
    const [after] = run([OK]);
    expect(after).toMatchObject({ status: 'healthy', recovery: 'recovered', consecutive_ok: 1, last_probe_at_ms: 1_000, load: OK.ok ? OK.load : undefined });
  });

  it('ignores a single failure below the unhealthy threshold', () => {
    const [first, second] = run([FAIL, OK]);
    expect(first).toMatchObject({ status: 'healthy', recovery: 'recovered', consecutive_failures: 1, last_error: 'GET /health answered HTTP 500' });
    expect(second).toMatchObject({ status: 'healthy', recovery: 'recovered', consecutive_failures: 0 });
    expect(second!.last_error).toBeUndefined();
  });

  it('turns unhealthy on the probe that crosses PROBE_UNHEALTHY_THRESHOLD and resets recovery', () => {
    expect(run([FAIL, FAIL]).map((r) => r.status)).toEqual(['healthy', 'unhealthy']);
    expect(run([FAIL, FAIL, FAIL], { ...THRESHOLDS, unhealthy: 3 }).map((r) => r.status)).toEqual(['healthy', 'healthy', 'unhealthy']);
    expect(run([FAIL, FAIL])[1]!.recovery).toBe('failed');
  });

  it('needs PROBE_HEALTHY_THRESHOLD good probes, then recovers 10% → 30% → 50% → 100% one probe at a time', () => {
    const states = run([FAIL, FAIL, OK, OK, OK, OK, OK, OK]);
    expect(states.map((r) => r.status)).toEqual(['healthy', 'unhealthy', 'unhealthy', 'healthy', 'healthy', 'healthy', 'healthy', 'healthy']);
    expect(states.map((r) => RECOVERY_FACTORS[r.recovery])).toEqual([1, 0, 0, 0.1, 0.3, 0.5, 1, 1]);
    const three = run([FAIL, FAIL, OK, OK, OK], { ...THRESHOLDS, healthy: 3 });
    expect(three.map((r) => RECOVERY_FACTORS[r.recovery])).toEqual([1, 0, 0, 0, 0.1]);
  });

  it('holds the recovery step on a failure below the threshold and starts over on crossing it', () => {
    const states = run([FAIL, FAIL, OK, OK, FAIL, OK, FAIL, FAIL]);
    expect(states.map((r) => r.recovery)).toEqual(['recovered', 'failed', 'failed', 'recovering_10', 'recovering_10', 'recovering_30', 'recovering_30', 'failed']);
  });

  it('marks a scheduler slow after PROBE_UNHEALTHY_THRESHOLD slow good probes in a row, and clears it on a fast one', () => {
    const slow: ProbeResult = { ...OK, durationMs: 700 };
    expect(run([slow, OK, slow, slow, slow, FAIL, OK]).map((r) => r.slow)).toEqual([false, false, false, true, true, true, false]);
  });

  it('remembers the health path a probe used', () => {
    expect(run([{ ...OK, healthPath: '/v1/models' }])[0]!.health_path).toBe('/v1/models');
  });

  it('reports routing changes only for status, recovery or slowness', () => {
    const [a, b, c] = run([OK, OK, FAIL]);
    expect(routingChanged(a, b!)).toBe(false);
    expect(routingChanged(b, c!)).toBe(false);
    expect(routingChanged(undefined, a!)).toBe(true);
    expect(routingChanged(c, applyProbeResult(c!, FAIL, THRESHOLDS, 9))).toBe(true);
  });
});
