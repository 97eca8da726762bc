import type { HealthSnapshot, PassiveStats, ProbeRecord } from '../health/health-record';
import { initialProbeRecord } from '../health/probe-state';
import { record } from '../state/state-store.contract';
import type { SchedulerRecord } from '../state/scheduler-record';
import { assessSchedulers, misconfiguration } from './assess-schedulers';

const probed = (r: SchedulerRecord): ProbeRecord => ({ ...initialProbeRecord(r.url), last_probe_at_ms: 1_000, consecutive_ok: 1 });
const passive = (fields: Partial<PassiveStats>): PassiveStats => ({ requests: 0, errors: 0, error_rate: 0, refused_auth: 0, not_found: 0, latency_p95_ms: 0, ttft_p95_ms: 0, ...fields });

describe('assessSchedulers: unknown and misconfigured (issue 21)', () => {
  it('lists a scheduler no probe has seen as unknown, routable at full weight', () => {
    const a = record('a');
    const assessed = assessSchedulers([a], undefined).get('a')!;
    expect(assessed).toMatchObject({ state: 'unknown', reasons: ['not probed yet'], effective_weight: 1 });
    const health: HealthSnapshot = { updated_at_ms: 0, probes: { a: probed(a) }, passive: {} };
    expect(assessSchedulers([a], health).get('a')!.state).toBe('healthy');
  });

  it('takes a scheduler whose routed requests are refused 401/403 out of rotation, with the reason naming api_key', () => {
    const a = record('a');
    const health: HealthSnapshot = { updated_at_ms: 0, probes: { a: probed(a) }, passive: { a: passive({ requests: 3, refused_auth: 6 }) } };
    const assessed = assessSchedulers([a], health).get('a')!;
    expect(assessed.state).toBe('unhealthy');
    expect(assessed.effective_weight).toBe(0);
    expect(assessed.reasons[0]).toMatch(/^misconfigured: 6 routed requests refused with 401\/403 .*api_key/);
    expect(assessed.misconfigured).toBe(assessed.reasons[0]);
  });

  it('names the url and model names for 404s that other schedulers served', () => {
    expect(misconfiguration(passive({ requests: 1, not_found: 5 }))).toMatch(/404 .*without \/v1/);
  });

  it('needs at least 5 such answers and half of the attempts', () => {
    expect(misconfiguration(passive({ refused_auth: 4 }))).toBeUndefined();
    expect(misconfiguration(passive({ requests: 20, refused_auth: 6 }))).toBeUndefined();
    expect(misconfiguration(passive({ requests: 5, refused_auth: 5 }))).toBeDefined();
    expect(misconfiguration(undefined)).toBeUndefined();
  });
});
