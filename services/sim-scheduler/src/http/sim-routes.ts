import { invalidRequest } from '@switchyard/contracts';
import type { Registry } from 'prom-client';
import { formatFault, parseFault } from '../faults/fault';
import type { SimContext } from '../sim-context';
import { readJsonBody } from './read-body';
import type { Routes } from './router';
import { sendJson } from './send';

/** Health, metrics, and the test-facing `/sim/*` endpoints (no auth: the sim is a test tool). */
export function simRoutes(ctx: SimContext, registry: Registry): Routes {
  const faultView = () => ({ fault: formatFault(ctx.fault.current) });
  return {
    'GET /health': (_req, res) => {
      // A process-wide 5xx fault models a broken server, so health probes see it too;
      // per-request faults (the header) never touch /health.
      const fault = ctx.fault.current;
      if (fault.kind === 'status' && fault.status >= 500) {
        sendJson(res, fault.status, { status: 'failing', id: ctx.id(), fault: formatFault(fault) });
        return;
      }
      const draining = ctx.draining();
      sendJson(res, draining ? 503 : 200, { status: draining ? 'shutting_down' : 'ok', id: ctx.id() });
    },
    'GET /metrics': async (_req, res) => {
      const text = await registry.metrics();
      res.writeHead(200, { 'content-type': registry.contentType }).end(text);
    },
    'GET /sim/stats': (_req, res) => sendJson(res, 200, { id: ctx.id(), ...faultView(), load: ctx.pool.load(), prefix_cache: ctx.cache.stats(), ...ctx.stats.snapshot() }),
    'POST /sim/stats/reset': (req, res) => {
      req.resume();
      ctx.stats.reset();
      ctx.cache.resetCounters();
      sendJson(res, 200, { reset: true });
    },
    'GET /sim/fault': (_req, res) => sendJson(res, 200, faultView()),
    /** `{"fault": "die-after:5"}`; `null` or `"none"` clears it. */
    'POST /sim/fault': async (req, res) => {
      const body = await readJsonBody(req, ctx.maxBodyBytes);
      const value = typeof body === 'object' && body !== null ? (body as Record<string, unknown>).fault : undefined;
      if (value !== null && typeof value !== 'string') throw invalidRequest("Body must be {\"fault\": string | null}.", 'fault', 'invalid_type');
      const parsed = parseFault(value ?? 'none');
      if (!parsed.ok) throw invalidRequest(parsed.reason, 'fault', 'invalid_fault');
      ctx.fault.current = parsed.fault;
      ctx.logger.info('process-wide fault changed', faultView());
      sendJson(res, 200, faultView());
    },
  };
}
