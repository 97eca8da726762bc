import { Router } from 'express';
import { compareTableVersions } from '@switchyard/proto';
import type { GatewayTracker } from '../../grpc/gateway-tracker';
import type { Leadership } from '../../leader/leadership';
import type { StateStore } from '../../state/state-store';

/**
 * `GET /admin/leader` and `GET /admin/gateways`: which replica leads, and which
 * gateways are connected to this one with the table version each has applied
 * (`lag` = versions behind the current table, within the same epoch; `behind`
 * also covers an older epoch; `lag_ms` = how long the current table has been
 * out while the gateway lacks it; `last_report_age_ms` = time since its last
 * ReportStats message).
 */
export function clusterRoutes(leadership: Leadership, gateways: GatewayTracker, store: StateStore, now: () => number = Date.now): Router {
  const router = Router();

  router.get('/admin/leader', async (_req, res) => {
    const leader = await leadership.leader();
    res.json({ id: leader.id, epoch: leader.epoch, self: leader.id === leadership.replicaId });
  });

  router.get('/admin/gateways', async (_req, res) => {
    const table = await store.getTable();
    const nowMs = now();
    const list = gateways.list().map((g) => {
      const behind = table && g.applied_epoch !== null && g.applied_version !== null ? compareTableVersions({ epoch: g.applied_epoch, version: g.applied_version }, table) < 0 : null;
      return {
        ...g,
        lag: table && g.applied_epoch === table.epoch && g.applied_version !== null ? Math.max(0, table.version - g.applied_version) : null,
        behind,
        lag_ms: behind === null ? null : behind ? Math.max(0, nowMs - (table?.generated_at_ms ?? nowMs)) : 0,
        last_report_age_ms: g.last_report_at === null ? null : Math.max(0, nowMs - Date.parse(g.last_report_at)),
      };
    });
    res.json({ current_epoch: table?.epoch ?? null, current_version: table?.version ?? null, gateways: list });
  });

  return router;
}
