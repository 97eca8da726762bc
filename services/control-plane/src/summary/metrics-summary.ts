import { Router } from 'express';
import type { SchedulerView } from '@switchyard/contracts';
import type { GatewayReport } from '@switchyard/proto';
import type { GatewayTracker } from '../grpc/gateway-tracker';
import { buildSummary, type MetricsSummary } from './build-summary';
import { createReportWindow } from './report-window';

/** GET /admin/metrics looks back this far (ARCHITECTURE.md: request rate over the last minute). */
export const SUMMARY_WINDOW_MS = 60_000;

export interface MetricsSummaryDeps {
  /** The scheduler list as GET /admin/scheduler/list answers it (states after health). */
  schedulers(): Promise<SchedulerView[]>;
  replicaId: string;
  now: () => number;
  windowMs?: number;
}

export interface MetricsSummaryService {
  /** Feeds one ReportStats message (from the gRPC handler). */
  record(report: GatewayReport): void;
  summary(): Promise<MetricsSummary>;
}

/** The gateway reports of the last minute, summarized on demand for GET /admin/metrics. */
export function createMetricsSummary(deps: MetricsSummaryDeps): MetricsSummaryService {
  const window = createReportWindow({ windowMs: deps.windowMs ?? SUMMARY_WINDOW_MS, now: deps.now });
  return {
    record: (report) => window.record(report),
    async summary() {
      const schedulers = await deps.schedulers();
      return buildSummary({ sums: window.sums(), coveredSeconds: window.coveredSeconds(), latest: window.latest(), schedulers, replicaId: deps.replicaId, nowMs: deps.now() });
    },
  };
}

/** `GET /admin/metrics`: the JSON summary (mounted behind the admin auth). */
export function summaryRoutes(service: MetricsSummaryService): Router {
  const router = Router();
  router.get('/admin/metrics', async (_req, res) => {
    res.json(await service.summary());
  });
  return router;
}

/** The gateway tracker the gRPC handlers use, also feeding each report to the summary. */
export function withSummary(tracker: GatewayTracker, service: MetricsSummaryService): GatewayTracker {
  return {
    ...tracker,
    recordReport(report) {
      tracker.recordReport(report);
      service.record(report);
    },
  };
}
