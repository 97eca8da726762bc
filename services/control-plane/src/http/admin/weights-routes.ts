import { Router } from 'express';
import type { ProbeRecord } from '../../health/health-record';
import type { StateStore } from '../../state/state-store';
import { assessSchedulers, type AssessOptions, type SchedulerAssessment } from '../../weights/assess-schedulers';

/**
 * `GET /admin/weights` (issue 4): per scheduler the effective weight computed
 * now, each factor it is the product of, the inputs behind them (probe record,
 * load report, passive stats across gateways), and the weight the current table
 * carries (`pushed_effective_weight`; it lags the computed one until the change
 * is material). Answers on any replica from the shared health view.
 */
export function weightsRoutes(store: StateStore, assess?: AssessOptions): Router {
  const router = Router();
  router.get('/admin/weights', async (_req, res) => {
    const [records, health, table] = await Promise.all([store.listSchedulers(), store.getHealth(), store.getTable()]);
    const assessed = assessSchedulers(records, health, assess);
    const pushed = new Map(table?.schedulers.map((s) => [s.id, s.effective_weight]) ?? []);
    res.json({
      table: table ? { epoch: table.epoch, version: table.version } : null,
      health_updated_at: health ? new Date(health.updated_at_ms).toISOString() : null,
      schedulers: records.map((record) => weightView(record.weight, assessed.get(record.id)!, pushed.get(record.id))),
    });
  });
  return router;
}

function weightView(baseWeight: number, a: SchedulerAssessment, pushed: number | undefined) {
  return {
    id: a.id,
    state: a.state,
    reasons: a.reasons,
    weight: baseWeight,
    effective_weight: a.effective_weight,
    pushed_effective_weight: pushed ?? null,
    factors: a.factors,
    recovery: a.recovery,
    inputs: {
      probe: a.probe ? probeView(a.probe) : null,
      load: a.probe?.load ?? null,
      passive: a.passive ?? null,
    },
  };
}

function probeView(p: ProbeRecord) {
  return {
    status: p.status,
    consecutive_ok: p.consecutive_ok,
    consecutive_failures: p.consecutive_failures,
    last_probe_at: p.last_probe_at_ms === null ? null : new Date(p.last_probe_at_ms).toISOString(),
    last_probe_duration_ms: p.last_probe_duration_ms,
    slow: p.slow,
    health_path: p.health_path,
    ...(p.last_error !== undefined ? { last_error: p.last_error } : {}),
  };
}
