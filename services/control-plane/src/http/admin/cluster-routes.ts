import { Router } from 'express';
import type { GatewayTracker } from '../../grpc/gateway-tracker';
import type { Leadership } from '../../leader/leadership';
import type { StateStore } from '../../state/state-store';

/**
 * `GET /admin/leader` and `GET /admin/gateways`: which replica leads, and which
 * gateways are connected to this one with the table version each has applied
 * (`lag` = versions behind the current table, within the same epoch).
 */
export function clusterRoutes(leadership: Leadership, gateways: GatewayTracker, store: StateStore): Router {
  const router = Router();

  router.get('/admin/leader', async (_req, res) => {
    const leader = await leadership.leader();
    res.json({ id: leader.id, epoch: leader.epoch, self: leader.id === leadership.replicaId });
  });

  router.get('/admin/gateways', async (_req, res) => {
    const table = await store.getTable();
    const list = gateways.list().map((g) => ({
      ...g,
      lag: table && g.applied_epoch === table.epoch && g.applied_version !== null ? Math.max(0, table.version - g.applied_version) : null,
    }));
    res.json({ current_epoch: table?.epoch ?? null, current_version: table?.version ?? null, gateways: list });
  });

  return router;
}
