import type { IncomingMessage, ServerResponse } from 'node:http';
import { ApiError, invalidRequest, serviceUnavailable, unauthorized } from '@switchyard/contracts';
import { formatFault, parseFault, type Fault } from '../faults/fault';
import type { RequestOutcome } from '../metrics';
import type { SimContext } from '../sim-context';
import type { RequestRecord } from '../stats/sim-stats';
import { readJsonBody } from './read-body';
import { sendError } from './send';

export interface Admitted {
  body: unknown;
  record: RequestRecord;
  /** What remains to apply while generating (slow first token, die after N). */
  fault: Fault;
}

/**
 * Everything before an OpenAI POST handler runs: auth (SIM_API_KEY), body, the
 * stats record (settled when the response closes: completed, error, or aborted
 * when the client left first), then the faults that replace an answer altogether
 * (status, reset, hang), SIM_FAIL_RATE, and the refusal while shutting down.
 * Resolves undefined when the request has been dealt with.
 */
export async function admit(ctx: SimContext, req: IncomingMessage, res: ServerResponse, route: string): Promise<Admitted | undefined> {
  authorize(ctx, req);
  const record = ctx.stats.begin({ request_id: headerValue(req, 'x-request-id') ?? null, method: req.method ?? 'POST', path: route });
  res.setHeader('x-sim-request-id', record.id);
  res.once('close', () => settleOnClose(ctx, res, record, route));
  const body = await readJsonBody(req, ctx.maxBodyBytes);
  ctx.stats.recordBody(body, { ...req.headers });
  describe(record, body);
  const fault = faultFor(ctx, req);
  record.fault = fault.kind === 'none' ? null : formatFault(fault);
  if (applyTerminalFault(ctx, req, res, record, fault)) return undefined;
  if (ctx.failRate > 0 && ctx.rand() < ctx.failRate) {
    throw new ApiError(500, 'Simulated failure (SIM_FAIL_RATE).', 'server_error', 'simulated_failure');
  }
  if (ctx.draining()) throw serviceUnavailable('The sim scheduler is shutting down.', 'shutting_down');
  return { body, record, fault };
}

/** SIM_API_KEY, checked like vLLM's `--api-key`: `Authorization: Bearer <key>` on `/v1/*`. */
export function authorize(ctx: SimContext, req: IncomingMessage): void {
  if (ctx.apiKey === undefined || req.headers.authorization === `Bearer ${ctx.apiKey}`) return;
  req.resume();
  throw unauthorized();
}

function settleOnClose(ctx: SimContext, res: ServerResponse, record: RequestRecord, route: string): void {
  if (record.outcome === 'in_flight') {
    if (!res.writableFinished) ctx.stats.settle(record, 'aborted');
    else ctx.stats.settle(record, res.statusCode >= 400 ? 'error' : 'completed', res.statusCode);
  }
  ctx.metrics.request(route, record.outcome as RequestOutcome);
}

/** The header fault wins over the process-wide one (`x-sim-fault: none` bypasses it). */
function faultFor(ctx: SimContext, req: IncomingMessage): Fault {
  const header = headerValue(req, 'x-sim-fault');
  if (header === undefined) return ctx.fault.current;
  const parsed = parseFault(header);
  if (!parsed.ok) throw invalidRequest(parsed.reason, 'x-sim-fault', 'invalid_fault');
  return parsed.fault;
}

function applyTerminalFault(ctx: SimContext, req: IncomingMessage, res: ServerResponse, record: RequestRecord, fault: Fault): boolean {
  switch (fault.kind) {
    case 'status':
      ctx.stats.settle(record, 'fault', fault.status);
      sendError(res, simulatedStatus(fault.status));
      return true;
    case 'reset':
      ctx.stats.settle(record, 'fault');
      req.socket.resetAndDestroy();
      return true;
    case 'hang':
      ctx.hung.add(res);
      res.once('close', () => ctx.hung.delete(res));
      return true;
    default:
      return false;
  }
}

function simulatedStatus(status: number): ApiError {
  const type = status === 429 ? 'rate_limit_error' : status >= 500 ? 'server_error' : 'invalid_request_error';
  const headers: Record<string, string> = status === 429 ? { 'retry-after': '1' } : {};
  return new ApiError(status, `Simulated status ${status} (fault injection).`, type, 'simulated_fault', null, headers);
}

/** Model and stream flag for the record, read leniently (validation comes later). */
function describe(record: RequestRecord, body: unknown): void {
  if (typeof body !== 'object' || body === null) return;
  const { model, stream } = body as Record<string, unknown>;
  record.model = typeof model === 'string' ? model : null;
  record.stream = stream === true;
}

function headerValue(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value[0] : value;
}
