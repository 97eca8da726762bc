import { PassThrough } from 'node:stream';
import { createLogger } from '@switchyard/observability';
import { sleep, waitFor } from '@switchyard/testing';
import { createMemoryStateStore } from '../state/memory-state-store';
import { record } from '../state/state-store.contract';
import type { StateStore } from '../state/state-store';
import { createHealthMonitor, type HealthMonitorDeps } from './health-monitor';
import type { ProbeTarget } from './probe-scheduler';
import type { ProbeResult } from './probe-state';

const logger = createLogger({ service: 'control-plane', stream: new PassThrough(), level: 'error' });
const INTERVAL_MS = 60;

/** A probe the test scripts: which URLs fail, how long a probe takes, and who is in flight. */
function scriptedProbe(durationMs = 1) {
  const failing = new Set<string>();
  const calls: Array<{ url: string; atMs: number }> = [];
  const inFlight = new Map<string, number>();
  let maxInFlight = 0;
  let maxSameUrl = 0;
  const probe = async (target: ProbeTarget): Promise<ProbeResult> => {
    calls.push({ url: target.url, atMs: performance.now() });
    inFlight.set(target.url, (inFlight.get(target.url) ?? 0) + 1);
    maxSameUrl = Math.max(maxSameUrl, inFlight.get(target.url)!);
    maxInFlight = Math.max(maxInFlight, [...inFlight.values()].reduce((a, b) => a + b, 0));
    await sleep(durationMs);
    inFlight.set(target.url, inFlight.get(target.url)! - 1);
    return failing.has(target.url)
      ? { ok: false, durationMs, error: 'GET /health failed: ECONNREFUSED', healthPath: '/health' }
      : { ok: true, durationMs, healthPath: '/health', load: { running: 1, waiting: 0, kv_cache_usage: 0, source: 'sim', metrics: ['sim:num_requests_running'] } };
  };
  return { probe, failing, calls, stats: () => ({ maxInFlight, maxSameUrl }) };
}

function monitorFor(store: StateStore, overrides: Partial<HealthMonitorDeps> = {}) {
  let rebuilds = 0;
  const monitor = createHealthMonitor({
    store, now: Date.now, logger, intervalMs: INTERVAL_MS, timeoutMs: 50, healthyThreshold: 2, unhealthyThreshold: 2, concurrency: 4, passiveMaxAgeMs: 5_000,
    onHealthChange: async () => {
      rebuilds += 1;
    },
    ...overrides,
  });
  return { monitor, rebuilds: () => rebuilds };
}

describe('health monitor', () => {
  it('probes every scheduler about once per interval, spread out, bounded, never twice at once', async () => {
    const store = createMemoryStateStore();
    for (let i = 0; i < 12; i++) await store.upsertScheduler(record(`s${i}`));
    await store.upsertScheduler(record('pending', { discovery_pending: true, models: [], state: 'unhealthy' }));
    const script = scriptedProbe(INTERVAL_MS * 1.5); // slower than the interval: slots must be skipped, not doubled
    const { monitor } = monitorFor(store, { probe: script.probe });
    await monitor.start();
    await sleep(INTERVAL_MS * 8);
    await monitor.stop();
    const urls = new Set(script.calls.map((c) => c.url));
    expect(urls.size).toBe(12);
    expect(script.calls.some((c) => c.url.endsWith('/pending'))).toBe(false);
    expect(script.stats().maxInFlight).toBeLessThanOrEqual(4);
    expect(script.stats().maxSameUrl).toBe(1);
    const afterStop = script.calls.length;
    await sleep(INTERVAL_MS * 2);
    expect(script.calls.length).toBe(afterStop);
  });

  it('spreads first probes over the interval instead of bursting', async () => {
    const store = createMemoryStateStore();
    for (let i = 0; i < 20; i++) await store.upsertScheduler(record(`spread-${i}`));
    const script = scriptedProbe();
    const { monitor } = monitorFor(store, { probe: script.probe, intervalMs: 400, concurrency: 32 });
    const started = performance.now();
    await monitor.start();
    await waitFor(() => new Set(script.calls.map((c) => c.url)).size === 20, 2_000, 10, 'every scheduler probed once');
    await monitor.stop();
    const offsets = script.calls.slice(0, 20).map((c) => c.atMs - started);
    expect(Math.max(...offsets) - Math.min(...offsets)).toBeGreaterThan(150);
  });

  it('stores the unhealthy state within two intervals of a failure and asks for a table rebuild', async () => {
    const store = createMemoryStateStore();
    await store.upsertScheduler(record('a'));
    await store.upsertScheduler(record('b'));
    const script = scriptedProbe();
    const { monitor, rebuilds } = monitorFor(store, { probe: script.probe });
    await monitor.start();
    await waitFor(async () => (await store.getHealth())?.probes.a?.last_probe_at_ms, 1_000, 5, 'a first probe of a');
    const failedAt = Date.now();
    const probesBefore = script.calls.filter((c) => c.url === record('a').url).length;
    script.failing.add(record('a').url);
    await waitFor(async () => (await store.getHealth())?.probes.a?.status === 'unhealthy', 2_000, 5, 'a unhealthy');
    // By count: the second failed probe (the unhealthy threshold) is the one that stores it, and one
    // more may have started meanwhile. By the clock, loosely: about two intervals.
    expect(script.calls.filter((c) => c.url === record('a').url).length - probesBefore).toBeLessThanOrEqual(3);
    expect(Date.now() - failedAt).toBeLessThanOrEqual(2 * INTERVAL_MS + 500);
    expect((await store.getHealth())!.probes.a).toMatchObject({ recovery: 'failed', last_error: 'GET /health failed: ECONNREFUSED' });
    expect((await store.getHealth())!.probes.b).toMatchObject({ status: 'healthy', load: { running: 1, waiting: 0, kv_cache_usage: 0 } });
    expect(rebuilds()).toBeGreaterThan(0);
    await monitor.stop();
  });

  it('continues from the stored view after a restart (leader handover) and forgets removed schedulers', async () => {
    const store = createMemoryStateStore();
    await store.upsertScheduler(record('a'));
    await store.upsertScheduler(record('gone'));
    const script = scriptedProbe();
    script.failing.add(record('a').url);
    const first = monitorFor(store, { probe: script.probe });
    await first.monitor.start();
    await waitFor(async () => (await store.getHealth())?.probes.a?.status === 'unhealthy', 5_000, 5, 'a unhealthy');
    await first.monitor.stop();
    await store.removeScheduler('gone');
    script.failing.clear();
    // The second good probe waits for the test, so the state after exactly one good probe can be read
    // however slowly this machine runs (the monitor never probes one URL twice at once).
    let releaseSecondProbe!: () => void;
    const secondProbeHeld = new Promise<void>((resolve) => (releaseSecondProbe = resolve));
    let probesOfA = 0;
    const holdingProbe: HealthMonitorDeps['probe'] = async (target) => {
      if (target.url === record('a').url && ++probesOfA === 2) await secondProbeHeld;
      return script.probe(target);
    };
    const second = monitorFor(store, { probe: holdingProbe, healthyThreshold: 3 });
    await second.monitor.start();
    // Still unhealthy after one good probe: the counters carried over rather than starting healthy.
    await waitFor(async () => (await store.getHealth())?.probes.a?.consecutive_ok === 1, 5_000, 5, 'one good probe');
    expect((await store.getHealth())!.probes.a!.status).toBe('unhealthy');
    expect((await store.getHealth())!.probes.gone).toBeUndefined();
    releaseSecondProbe();
    await waitFor(async () => (await store.getHealth())?.probes.a?.recovery === 'recovering_10', 5_000, 5, 'recovery starts');
    await second.monitor.stop();
  });
});
