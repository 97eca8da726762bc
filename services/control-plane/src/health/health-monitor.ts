import { createSerialRunner, type Component } from '@switchyard/lifecycle';
import type { Logger } from '@switchyard/observability';
import type { SchedulerRecord } from '../state/scheduler-record';
import type { StateStore } from '../state/state-store';
import { createConcurrencyLimit } from './concurrency-limit';
import type { HealthSnapshot, ProbeRecord } from './health-record';
import { mergePassiveStats } from './passive-window';
import { createProbeHttpClient } from './probe-http-client';
import { nextDue, probePhase } from './probe-phase';
import { probeScheduler, type ProbeTarget } from './probe-scheduler';
import { applyProbeResult, initialProbeRecord, routingChanged, type ProbeResult, type ProbeThresholds } from './probe-state';

export interface HealthMonitorDeps {
  store: StateStore;
  now: () => number;
  logger: Logger;
  /** PROBE_INTERVAL_MS and PROBE_TIMEOUT_MS. */
  intervalMs: number;
  timeoutMs: number;
  /** PROBE_HEALTHY_THRESHOLD and PROBE_UNHEALTHY_THRESHOLD. */
  healthyThreshold: number;
  unhealthyThreshold: number;
  /** PROBE_CONCURRENCY: probes in flight at most. */
  concurrency: number;
  /** A replica's passive stats older than this no longer count (it stopped reporting). */
  passiveMaxAgeMs: number;
  /** Called after a new health view is stored: the table publisher's rebuild. */
  onHealthChange: () => Promise<void>;
  /** Sees every finished probe (metrics). */
  onProbe?: (schedulerId: string, result: ProbeResult) => void;
  /** Replaces the HTTP probe (tests). */
  probe?: (target: ProbeTarget, signal: AbortSignal) => Promise<ProbeResult>;
}

export interface HealthMonitor extends Component {
  /** Stores the current health view now and resolves once the tables saw it. */
  persist(): Promise<void>;
}

/**
 * Active health probing (issue 4). Every PROBE_INTERVAL_MS each scheduler gets
 * one probe at its own stable offset in the interval, at most PROBE_CONCURRENCY
 * at a time and never two for the same scheduler; results feed the probe state
 * machine. The health view (probe records and the passive stats of every
 * replica) is stored once per interval, and at once when a scheduler changes
 * state or recovery step, then the tables are rebuilt. Only the leader should
 * run it (issue 3 starts and stops it with leadership); start() continues from
 * the stored view, so a new leader keeps counters and recovery steps.
 */
export function createHealthMonitor(deps: HealthMonitorDeps): HealthMonitor {
  const log = deps.logger.child({ component: 'health-monitor' });
  const thresholds: ProbeThresholds = { healthy: deps.healthyThreshold, unhealthy: deps.unhealthyThreshold, slowMs: deps.timeoutMs / 2 };
  const limit = createConcurrencyLimit(deps.concurrency);
  const probes = new Map<string, ProbeRecord>();
  const targets = new Map<string, SchedulerRecord>();
  const due = new Map<string, number>();
  const inFlight = new Map<string, Promise<void>>();
  let client = createProbeHttpClient();
  let abort = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  let refreshAtMs = 0;
  let ticking: Promise<void> | undefined;
  const persister = createSerialRunner(() => persistOnce());

  const probe = deps.probe ?? ((target: ProbeTarget) => probeScheduler(client, target, deps.timeoutMs));

  const persistOnce = async (): Promise<void> => {
    const nowMs = deps.now();
    const replicas = await deps.store.listPassiveStats();
    const snapshot: HealthSnapshot = {
      updated_at_ms: nowMs,
      probes: Object.fromEntries([...probes.entries()].filter(([id]) => targets.has(id)).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))),
      passive: mergePassiveStats(replicas, nowMs, deps.passiveMaxAgeMs),
    };
    if (abort.signal.aborted) return;
    await deps.store.putHealth(snapshot);
    // Let probe I/O run between storing the view and rebuilding the table: with
    // an in-memory store both are synchronous work that grows with the fleet.
    await new Promise((resolve) => setImmediate(resolve));
    await deps.onHealthChange();
  };
  const persistSoon = () => {
    persister.run().catch((err: unknown) => log.error('storing the health view failed', { error: String(err) }));
  };

  /** Re-reads the schedulers: new ones get a phase, removed ones are forgotten, a new URL starts over. */
  const refresh = async (nowMs: number): Promise<void> => {
    const records = (await deps.store.listSchedulers()).filter((r) => !r.discovery_pending);
    const ids = new Set(records.map((r) => r.id));
    for (const id of [...targets.keys()]) if (!ids.has(id)) forget(id);
    for (const record of records) {
      targets.set(record.id, record);
      if (probes.get(record.id)?.url !== record.url) probes.set(record.id, initialProbeRecord(record.url));
      if (!due.has(record.id)) due.set(record.id, nowMs + probePhase(record.id) * deps.intervalMs);
    }
  };
  const forget = (id: string) => {
    targets.delete(id);
    probes.delete(id);
    due.delete(id);
  };

  const launch = (record: SchedulerRecord): void => {
    const { signal } = abort;
    const started = limit
      .run(() => (signal.aborted ? Promise.resolve(undefined) : probe(targetOf(record, probes.get(record.id)), signal)))
      .then((result) => {
        if (result && !signal.aborted) deps.onProbe?.(record.id, result);
        if (result && !signal.aborted && targets.get(record.id)?.url === record.url) settle(record.id, result);
      })
      .catch((err: unknown) => {
        log.error('probe failed unexpectedly', { scheduler_id: record.id, error: String(err) });
      })
      .finally(() => inFlight.delete(record.id));
    inFlight.set(record.id, started);
  };
  const settle = (id: string, result: ProbeResult): void => {
    const before = probes.get(id) ?? initialProbeRecord(targets.get(id)!.url);
    const after = applyProbeResult(before, result, thresholds, deps.now());
    probes.set(id, after);
    if (!routingChanged(before, after)) return;
    const fields = { scheduler_id: id, status: after.status, recovery: after.recovery, slow: after.slow, ...(after.last_error ? { error: after.last_error } : {}) };
    if (before.status !== after.status) log.warn('scheduler health changed', { ...fields, previous: before.status });
    else log.info('scheduler recovery step', fields);
    persistSoon();
  };

  const tick = async (): Promise<void> => {
    const nowMs = deps.now();
    if (nowMs >= refreshAtMs) {
      refreshAtMs = nowMs + deps.intervalMs;
      await refresh(nowMs);
      persistSoon();
    }
    for (const [id, record] of targets) {
      const dueMs = due.get(id)!;
      if (dueMs > nowMs) continue;
      due.set(id, nextDue(dueMs, nowMs, deps.intervalMs));
      // Still probing (slower than the interval): this slot is skipped, never doubled up.
      if (!inFlight.has(id)) launch(record);
    }
  };
  const scheduleTick = () => {
    if (abort.signal.aborted) return;
    const wakeMs = Math.min(refreshAtMs, ...due.values());
    timer = setTimeout(runTick, Math.max(0, wakeMs - deps.now()));
    timer.unref();
  };
  const runTick = () => {
    ticking = tick()
      .catch((err: unknown) => {
        log.error('probe round failed', { error: String(err) });
      })
      .finally(() => {
        ticking = undefined;
        scheduleTick();
      });
  };

  return {
    name: 'health-monitor',
    persist: () => persister.run(),
    async start() {
      abort = new AbortController();
      client = createProbeHttpClient();
      const stored = await deps.store.getHealth();
      for (const [id, record] of Object.entries(stored?.probes ?? {})) probes.set(id, record);
      refreshAtMs = 0;
      runTick();
    },
    async stop() {
      abort.abort();
      clearTimeout(timer);
      timer = undefined;
      client.close();
      await ticking;
      await Promise.all(inFlight.values());
      await persister.idle();
      targets.clear();
      probes.clear();
      due.clear();
    },
  };
}

function targetOf(record: SchedulerRecord, probe: ProbeRecord | undefined): ProbeTarget {
  return { url: record.url, healthPath: probe?.health_path ?? '/health', ...(record.api_key ? { apiKey: record.api_key } : {}) };
}
