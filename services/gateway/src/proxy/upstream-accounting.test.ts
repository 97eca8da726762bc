import { Registry } from 'prom-client';
import { createSchedulerStats } from '../control-plane-client/scheduler-stats';
import { createGatewayMetrics } from '../metrics';
import { RequestRecord } from '../pipeline/request-record';
import { createLocalSignals } from '../routing/local-signals';
import { createUpstreamAccounting } from './upstream-accounting';

function setup() {
  const registry = new Registry();
  const signals = createLocalSignals();
  const stats = createSchedulerStats(() => 0.5);
  const metrics = createGatewayMetrics(registry, { version: () => 1, ageSeconds: () => 0 });
  return { registry, signals, stats, accounting: createUpstreamAccounting({ signals, stats, metrics }) };
}

const errorsOf = async (registry: Registry, kind: string) => (await registry.getSingleMetric('switchyard_gateway_upstream_errors_total')!.get()).values.find((v) => v.labels.kind === kind)?.value ?? 0;

describe('upstream accounting', () => {
  it('holds a relayed answer in flight until the request finishes, then counts its latency once', () => {
    const { signals, stats, accounting } = setup();
    const record = new RequestRecord('r1', 'chat_completions');
    accounting.attemptBegun(record, 'a');
    expect(signals.inFlight('a')).toBe(1);
    record.relaying();
    record.chunkArrived();
    accounting.finish(record, 200);
    accounting.finish(record, 200);
    expect(signals.inFlight('a')).toBe(0);
    expect(stats.drain(signals.entries())).toEqual([expect.objectContaining({ scheduler_id: 'a', requests: 1 })]);
  });

  it('releases a failed attempt at once and counts nothing when the request then finishes', () => {
    const { signals, stats, accounting } = setup();
    const record = new RequestRecord('r2', 'chat_completions');
    accounting.attemptBegun(record, 'a');
    accounting.attemptFailed('a');
    accounting.finish(record, 502);
    expect(signals.inFlight('a')).toBe(0);
    expect(stats.drain(signals.entries())).toEqual([]);
  });

  it('counts a lost stream against its scheduler and releases it; the continuation is in flight on the next', async () => {
    const { registry, signals, stats, accounting } = setup();
    const record = new RequestRecord('r3', 'chat_completions');
    accounting.attemptBegun(record, 'a');
    record.relaying();
    accounting.streamLost(record, 'timeout');
    accounting.streamLost(record, undefined);
    expect(signals.inFlight('a')).toBe(0);
    accounting.resumeBegun(record, 'b');
    expect(signals.inFlight('b')).toBe(1);
    accounting.finish(record, 200);
    expect(signals.inFlight('b')).toBe(0);
    expect(await errorsOf(registry, 'timeout')).toBe(1);
    const drained = stats.drain(signals.entries());
    expect(drained.find((s) => s.scheduler_id === 'a')).toMatchObject({ requests: 0, errors_by_kind: { timeout: 1 } });
    expect(drained.find((s) => s.scheduler_id === 'b')).toMatchObject({ requests: 1 });
  });

  it('counts a stream that broke mid-response as the scheduler\'s error when the request finishes', async () => {
    const { registry, signals, accounting } = setup();
    const record = new RequestRecord('r4', 'chat_completions');
    accounting.attemptBegun(record, 'a');
    record.relaying();
    record.streamBroke('reset');
    accounting.finish(record, 200);
    expect(await errorsOf(registry, 'stream')).toBe(1);
    expect(signals.inFlight('a')).toBe(0);
  });
});
