import { Router } from 'express';
import type { Registry } from 'prom-client';
import { serviceUnavailable } from '@switchyard/contracts';

export interface Readiness {
  /** True once a routing table is applied and until shutdown starts. */
  ready(): boolean;
}

/** GET /health (alive while the process runs), GET /ready, GET /metrics. */
export function opsRouter(readiness: Readiness, registry: Registry): Router {
  const router = Router();
  router.get('/health', (_req, res) => {
    res.json({ status: 'ok' });
  });
  router.get('/ready', (_req, res) => {
    if (!readiness.ready()) throw serviceUnavailable('Not ready: no routing table applied yet, or shutting down.', 'not_ready');
    res.json({ status: 'ready' });
  });
  router.get('/metrics', async (_req, res) => {
    const body = await registry.metrics();
    res.setHeader('content-type', registry.contentType);
    res.end(body);
  });
  return router;
}
