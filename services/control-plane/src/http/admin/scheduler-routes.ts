import { Router, type Request, type Response } from 'express';
import { addSchedulerSchema, SCHEDULER_STATES, invalidRequest } from '@switchyard/contracts';
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
  router.get('/admin/scheduler/list', async (req, res) => {
    const query = req.query as Record<string, unknown>;
    const state = queryFilter(query, 'state', SCHEDULER_STATES);
    const all = await registry.list();
    const page = paginate(state === undefined ? all : all.filter((s) => s.state === state), query, (s) => s.id);
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
