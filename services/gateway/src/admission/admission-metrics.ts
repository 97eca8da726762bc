import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { ModelQueueStats, PriorityClass } from '@switchyard/proto';
import type { AdmissionQueue, ShedReason } from './admission-queue';
import type { ClassReserve } from './class-reserve';

/** Queue waits run from a turn of the event loop to the queue's bound (SCHEDULER_CAPACITY_WAIT_MS, up to minutes). */
const WAIT_BUCKETS_SECONDS = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120];

export interface AdmissionMetricsSources {
  queue: AdmissionQueue;
  /** Table model names (bounded) and how many of each model's healthy schedulers are full or saturated. */
  saturation(): Iterable<[string, { saturated: number; total: number }]>;
  /** The headroom reserve, when on. */
  reserve?: ClassReserve;
}

export interface AdmissionMetrics {
  /** A request left a model's queue: served, shed, or its client left. */
  left(model: string, priority: PriorityClass, outcome: 'served' | ShedReason | 'cancelled', waitedMs: number, overShare: boolean): void;
  /** The report's `queues`: models with requests waiting, saturated, or with sheds since the last call. */
  drainReport(): ModelQueueStats[];
}

/**
 * The admission queue's metrics (issue 19), beside the service's other metrics
 * (metrics.ts) on the same registry; kept apart because they are read from the
 * queue and the picker when scraped. Labels are bounded: `model` is a table
 * model (only those can saturate), `priority` one of three classes.
 */
export function createAdmissionMetrics(registry: Registry, sources: AdmissionMetricsSources): AdmissionMetrics {
  new Gauge({
    name: 'switchyard_gateway_queue_depth',
    help: 'Requests waiting in a model\'s admission queue on this gateway, by priority class.',
    labelNames: ['model', 'priority'],
    registers: [registry],
    collect() {
      this.reset();
      for (const [model, priority, depth] of sources.queue.depths()) this.labels(model, priority).set(depth);
    },
  });
  new Gauge({
    name: 'switchyard_gateway_model_saturation',
    help: 'Share of a model\'s healthy schedulers that are full or past a saturation threshold (1 = requests queue).',
    labelNames: ['model'],
    registers: [registry],
    collect() {
      this.reset();
      for (const [model, s] of sources.saturation()) this.labels(model).set(s.total === 0 ? 0 : s.saturated / s.total);
    },
  });
  new Gauge({
    name: 'switchyard_gateway_queue_reserve_slots',
    help: 'Free slots of a model a priority class may not take now: kept for more urgent classes seen recently (at most a quarter of the model\'s slots apply).',
    labelNames: ['model', 'priority'],
    registers: [registry],
    collect() {
      this.reset();
      for (const [model, priority, slots] of sources.reserve?.entries() ?? []) this.labels(model, priority).set(slots);
    },
  });
  const wait = new Histogram({
    name: 'switchyard_gateway_queue_wait_seconds',
    help: 'Time requests spent in a model\'s admission queue, whatever the outcome.',
    labelNames: ['model', 'priority'],
    buckets: WAIT_BUCKETS_SECONDS,
    registers: [registry],
  });
  const sheds = new Counter({
    name: 'switchyard_gateway_shed_total',
    help: 'Requests that could not wait for capacity, by reason: tenant_over_share (answered 429), queue_full, queue_timeout, shutting_down (503).',
    labelNames: ['model', 'priority', 'reason'],
    registers: [registry],
  });
  let shedSinceReport = new Map<string, Record<string, number>>();
  return {
    left(model, priority, outcome, waitedMs, overShare) {
      wait.labels(model, priority).observe(waitedMs / 1000);
      if (outcome === 'served' || outcome === 'cancelled') return;
      const reason = overShare ? 'tenant_over_share' : outcome;
      sheds.labels(model, priority, reason).inc();
      const counts = shedSinceReport.get(model) ?? {};
      counts[reason] = (counts[reason] ?? 0) + 1;
      shedSinceReport.set(model, counts);
    },
    drainReport() {
      const byModel = new Map<string, ModelQueueStats>();
      const entry = (model: string) => {
        let stats = byModel.get(model);
        if (!stats) byModel.set(model, (stats = { model, waiting_by_priority: {}, saturation: 0, sheds_by_reason: {} }));
        return stats;
      };
      for (const [model, priority, depth] of sources.queue.depths()) if (depth > 0) entry(model).waiting_by_priority[priority] = depth;
      for (const [model, s] of sources.saturation()) if (s.saturated > 0 && s.total > 0) entry(model).saturation = s.saturated / s.total;
      for (const [model, counts] of shedSinceReport) entry(model).sheds_by_reason = counts;
      shedSinceReport = new Map();
      return [...byModel.values()];
    },
  };
}
