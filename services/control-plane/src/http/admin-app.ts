import express, { type Express } from 'express';
import type { Registry } from 'prom-client';
import { serviceUnavailable } from '@switchyard/contracts';
import { createHttpMetrics, httpMetricsMiddleware, requestIdFrom, type Logger } from '@switchyard/observability';
import type { GatewayTracker } from '../grpc/gateway-tracker';
import type { KeysComponents } from '../keys/create-keys';
import { keysRoutes, KEYS_ROUTES } from '../keys/keys-routes';
import type { Leadership } from '../leader/leadership';
import { METRIC_PREFIX } from '../metrics';
import type { SchedulerRegistry } from '../schedulers/scheduler-registry';
import type { StateStore } from '../state/state-store';
import { usageRoutes } from '../usage/usage-routes';
import { summaryRoutes, type MetricsSummaryService } from '../summary/metrics-summary';
import type { AssessOptions } from '../weights/assess-schedulers';
import { adminAuth, type AdminAuthOptions } from './admin/auth';
import { clusterRoutes } from './admin/cluster-routes';
import { errorMiddleware, unknownRoute } from './admin/render-error';
import { schedulerRoutes } from './admin/scheduler-routes';
import { weightsRoutes } from './admin/weights-routes';
import { statusPageRoutes, STATUS_PAGE_ROUTES } from './status/status-routes';

export interface AdminAppDeps {
  registry: SchedulerRegistry;
  leadership: Leadership;
  gateways: GatewayTracker;
  store: StateStore;
  metricsRegistry: Registry;
  /** GET /admin/metrics. */
  summary: MetricsSummaryService;
  auth: AdminAuthOptions;
  /** True between a completed start() and the beginning of stop(). */
  isReady: () => boolean;
  logger: Logger;
  /** Passive-health thresholds, as the table publisher applies them. */
  assess?: AssessOptions;
  now?: () => number;
  /** API keys and usage (issue 6). */
  keys: Pick<KeysComponents, 'adminKeys' | 'fileLoader' | 'usage'>;
}

/** Admin bodies are small JSON objects; anything bigger is a mistake or an attack. */
export const ADMIN_BODY_LIMIT_BYTES = 64 * 1024;

const KNOWN_ROUTES = [
  '/health', '/ready', '/metrics', '/admin/scheduler/add', '/admin/scheduler/remove', '/admin/scheduler/list',
  '/admin/scheduler/drain', '/admin/scheduler/undrain', '/admin/leader', '/admin/gateways', '/admin/weights',
  '/admin/metrics', ...STATUS_PAGE_ROUTES, ...KEYS_ROUTES, '/admin/usage',
];

/**
 * The admin HTTP app (no listen, so tests can mount it): probes and metrics open,
 * everything under /admin behind adminAuth, errors in the OpenAI envelope.
 */
export function createAdminApp(deps: AdminAppDeps): Express {
  const app = express();
  app.disable('x-powered-by');
  app.use(httpMetricsMiddleware(createHttpMetrics(deps.metricsRegistry, METRIC_PREFIX), KNOWN_ROUTES));
  app.use((req, res, next) => {
    res.setHeader('x-request-id', requestIdFrom(req.headers['x-request-id']));
    next();
  });

  app.get('/health', (_req, res) => {
    res.json({ status: 'ok' });
  });
  app.get('/ready', (_req, res) => {
    if (!deps.isReady()) throw serviceUnavailable('The control plane is not ready.', 'not_ready');
    res.json({ status: 'ready' });
  });
  app.get('/metrics', async (_req, res) => {
    res.type(deps.metricsRegistry.contentType).send(await deps.metricsRegistry.metrics());
  });

  // The status page is static (it holds no data; its script calls /admin/* with the token).
  app.use(statusPageRoutes());

  // Authenticate before parsing, so an anonymous caller never gets past a 401/403.
  app.use('/admin', adminAuth(deps.auth), express.json({ limit: ADMIN_BODY_LIMIT_BYTES }));
  app.use(schedulerRoutes(deps.registry));
  app.use(clusterRoutes(deps.leadership, deps.gateways, deps.store, deps.now));
  app.use(weightsRoutes(deps.store, deps.assess));
  app.use(summaryRoutes(deps.summary));
  app.use(keysRoutes(deps.keys.adminKeys, deps.keys.fileLoader));
  app.use(usageRoutes(deps.keys.usage, deps.now ?? Date.now));
  app.use(unknownRoute);
  app.use(errorMiddleware(deps.logger.child({ component: 'admin-http' })));
  return app;
}
