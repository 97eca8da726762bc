import { Router, type Request, type Response } from 'express';
import { addSchedulerSchema, SCHEDULER_STATES, invalidRequest, type SchedulerView } from '@switchyard/contracts';
import type { CallContext, SchedulerRegistry } from '../../schedulers/scheduler-registry';
import { callerRole } from './auth';
import { paginate, queryFilter } from './pagination';
import { validateBody } from './validate-body';


/**
 * `/admin/scheduler/*` (ARCHITECTURE.md, "Control plane admin HTTP API"). Thin:
 * parse, call the registry, answer; errors go to the error middleware.
 */
export function schedulerRoutes(registry: SchedulerRegistry): Router {
  const router = Router();

  router.post('/admin/scheduler/add', async (req, res) => {
    const request = validateBody(addSchedulerSchema, req.body);
    const { created, scheduler, warnings } = await registry.add(request, { ...callContext(res), signal: requestSignal(res) });
    res.status(created ? 201 : 200).json(warnings.length > 0 ? { scheduler, warnings } : { scheduler });
  });

  router.delete('/admin/scheduler/remove', async (req, res) => {
    const id = schedulerIdFrom(req);
    await registry.remove(id, callContext(res));
    res.json({ removed: id });
  });

  // Filters and pages (issue 16): ?state=unhealthy&limit=100&after=<last id>; without limit, every match.
  // ?q= keeps ids containing it (any case); ?order=state lists those needing a look first (then `after` is the opaque next_after).
  router.get('/admin/scheduler/list', async (req, res) => {
    const query = req.query as Record<string, unknown>;
    const state = queryFilter(query, 'state', SCHEDULER_STATES);
    const q = queryFilter(query, 'q')?.toLowerCase();
    const order = queryFilter(query, 'order', ['id', 'state']);
    const matching = (await registry.list()).filter((s) => (state === undefined || s.state === state) && (q === undefined || s.id.toLowerCase().includes(q)));
    const key = order === 'state' ? attentionKey : (s: SchedulerView) => s.id;
    if (order === 'state') matching.sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
    const page = paginate(matching, query, key);
    res.json({ schedulers: page.items, next_after: page.next_after, total: page.total });
  });

  router.post('/admin/scheduler/drain', async (req, res) => {
    const scheduler = await registry.drain(schedulerIdFrom(req), callContext(res));
    res.json({ scheduler });
  });

  router.post('/admin/scheduler/undrain', async (req, res) => {
    const scheduler = await registry.undrain(schedulerIdFrom(req), callContext(res));
    res.json({ scheduler });
  });

  return router;
}

/** `?id=` or a JSON body `{id}` (the contract allows both). */
function schedulerIdFrom(req: Request): string {
  const fromQuery: unknown = req.query.id;
  const body: unknown = req.body;
  const fromBody = typeof body === 'object' && body !== null ? (body as { id?: unknown }).id : undefined;
  const id = fromQuery ?? fromBody;
  if (typeof id !== 'string' || id === '') throw invalidRequest('id is required (as ?id= or a JSON body {"id": ...}).', 'id', 'missing_id');
  return id;
}

function callContext(res: Response): CallContext {
  const requestId = res.getHeader('x-request-id');
  return { role: callerRole(res), ...(typeof requestId === 'string' ? { requestId } : {}) };
}

/** Aborted when the client goes away before the answer, so discovery stops waiting for nobody. */
function requestSignal(res: Response): AbortSignal {
  const controller = new AbortController();
  res.once('close', () => {
    if (!res.writableFinished) controller.abort();
  });
  return controller.signal;
}

/** Unhealthy first, then the states an operator looks at next; healthy last (the status page's order, issue 16). */
const ATTENTION: Record<string, number> = { unhealthy: 0, degraded: 1, unknown: 2, draining: 3, healthy: 4 };

/** Sort and page key of ?order=state: the state's rank, then the id. */
function attentionKey(s: SchedulerView): string {
  return `${ATTENTION[s.state] ?? 5}:${s.id}`;
}
