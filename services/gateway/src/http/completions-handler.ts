import type { IncomingMessage, ServerResponse } from 'node:http';
import { internalError, invalidJson, invalidRequest, payloadTooLarge, serviceUnavailable, unsupportedMediaType, type ApiError } from '@switchyard/contracts';
import { infoLineWriter, type Logger } from '@switchyard/observability';
import type { GuardedRequest, RequestGuard } from '../auth/request-guard';
import type { SchedulerStatsCollector } from '../control-plane-client/scheduler-stats';
import type { GatewayMetrics } from '../metrics';
import { CancellationSource, type Cancellation } from '../proxy/cancellation';
import type { ProxyCall } from '../proxy/proxy-request';
import type { UpstreamAccounting } from '../proxy/upstream-accounting';
import type { RoutingTableStore } from '../routing/routing-table-store';
import type { Tracing } from '../tracing/create-tracing';
import { writeApiError } from '../pipeline/error-response';
import { jsonBodyRefusal } from './json-content-type';
import { discardBody, readBody } from './read-body';
import { createRequestIds } from './request-ids';
import { loggableModel, RequestRecord } from '../pipeline/request-record';
import { multipartBoundary, readUntilModel } from './multipart-model';
import { answerHook, originOf, parseResponseCall, pinToPreviousResponse } from './response-affinity-steps';
import { usesAnthropicErrors, validateRequest, type EndpointKind, type ValidRequest } from '../pipeline/validate-request';
import type { ResponseAffinity } from '../routing/response-affinity';

export interface CompletionsHandlerDeps {
  store: RoutingTableStore;
  proxy(call: ProxyCall): Promise<void>;
  /** Ends the relayed attempt's counts when the response closes. */
  accounting: UpstreamAccounting;
  stats: SchedulerStatsCollector;
  metrics: GatewayMetrics;
  logger: Logger;
  maxBodyBytes: number;
  /** LOG_PROMPTS: put the start of each request body on its log line (debugging only). */
  logPrompts?: boolean;
  /** Keys, permissions and limits (issue 6). */
  guard: RequestGuard;
  /** OpenTelemetry tracing; undefined when off (then no tracing code runs). */
  tracing?: Tracing;
  /** Response-id affinity of the Responses API (issue 17). */
  affinity?: ResponseAffinity;
  /** MAX_UPLOAD_BYTES: multipart uploads (audio) above it get 413. */
  maxUploadBytes?: number;
}

const NO_BODY = Buffer.alloc(0);

/** How much of a body LOG_PROMPTS logs. */
const DEBUG_BODY_CHARS = 2000;

export type HotHandler = (req: IncomingMessage, res: ServerResponse, endpoint: EndpointKind) => void;

/**
 * The lean handler of the hot routes (ARCHITECTURE.md: dispatched before Express).
 * One request's exchange (pipeline/request-record.ts) goes through the stages:
 *  - accept: the returned function: request id, trace, cancellation, the key check;
 *  - parse: `handle` (JSON body), `handleUpload` (multipart, up to the model field)
 *    or `handleById` (a stored response), then `routableTable` names the model;
 *  - admit: `guarded.admit` (auth/: allowed models, limits, priority);
 *  - route, forward, relay: `deps.proxy` (proxy/: picking, the admission queue,
 *    retries, the upstream exchange, the relay with its SSE reader);
 *  - finish: `createFinisher` on close, with upstream-accounting.ts for the last attempt.
 */
export function createCompletionsHandler(deps: CompletionsHandlerDeps): HotHandler {
  const finish = createFinisher(deps);
  const requestIdFor = createRequestIds();
  /** The table to route `model` on, the model and stream noted; undefined (answered 503) before the first table. */
  const routableTable = (res: ServerResponse, record: RequestRecord, model: string, stream: boolean) => {
    const snapshot = deps.store.current();
    record.parsed(model, stream, snapshot?.targetsByModel.has(model) === true);
    if (!snapshot) reply(res, record, serviceUnavailable('The gateway has no routing table yet.', 'no_routing_table'));
    return snapshot;
  };
  const handle = async (req: IncomingMessage, res: ServerResponse, record: RequestRecord, cancellation: Cancellation, guarded: GuardedRequest) => {
    const mediaRefusal = jsonBodyRefusal(req.headers);
    if (mediaRefusal) {
      discardBody(req, 0, deps.maxBodyBytes);
      return reply(res, record, mediaRefusal);
    }
    const body = await readBody(req, deps.maxBodyBytes);
    if (!body.ok) return body.reason === 'too_large' ? reply(res, record, payloadTooLarge(deps.maxBodyBytes)) : undefined;
    let parsed: unknown;
    try {
      parsed = JSON.parse(body.body.toString('utf8'));
    } catch (err) {
      return reply(res, record, invalidJson((err as Error).message));
    }
    if (deps.logPrompts) record.keepDebugBody(body.body.toString('utf8', 0, DEBUG_BODY_CHARS));
    const validation = validateRequest(record.endpoint, parsed);
    if (!validation.ok) return reply(res, record, validation.error);
    const request = validation.request;
    const snapshot = routableTable(res, record, request.model, request.stream);
    if (!snapshot) return;
    if (record.endpoint === 'responses') {
      const unknown = await pinToPreviousResponse(deps.affinity, request);
      if (unknown) return reply(res, record, unknown);
    }
    const admitted = await guarded.admit(req, res, request, record, body.body);
    if (!admitted.ok) return reply(res, record, admitted.error);
    await deps.proxy({ req, res, record, snapshot, request, rawBody: admitted.body, cancellation, onAnswer: answerHook(record, deps.affinity) });
  };
  /** Audio uploads: routed by the form's `model`, read only that far, the rest piped upstream (issue 17). */
  const handleUpload = async (req: IncomingMessage, res: ServerResponse, record: RequestRecord, cancellation: CancellationSource, guarded: GuardedRequest) => {
    const limit = deps.maxUploadBytes ?? deps.maxBodyBytes;
    const boundary = multipartBoundary(req.headers['content-type']);
    if (boundary === undefined) {
      discardBody(req, 0, limit);
      return reply(res, record, unsupportedMediaType(`This endpoint takes a multipart/form-data upload with a boundary; got content-type ${JSON.stringify(req.headers['content-type'] ?? null)}.`));
    }
    const declared = req.headers['content-length'] === undefined ? undefined : Number(req.headers['content-length']);
    if (declared !== undefined && declared > limit) {
      discardBody(req, 0, limit);
      return reply(res, record, payloadTooLarge(limit));
    }
    const head = await readUntilModel(req, boundary, limit);
    if (!head.ok) {
      if (head.reason === 'aborted') return undefined;
      discardBody(req, 0, limit);
      return reply(res, record, head.reason === 'too_large' ? payloadTooLarge(limit) : missingFormModel(head.reason));
    }
    const snapshot = routableTable(res, record, head.model, false);
    if (!snapshot) return;
    const request: ValidRequest = { model: head.model, stream: false, body: {} };
    const admitted = await guarded.admit(req, res, request, record, head.head);
    if (!admitted.ok) {
      discardBody(req, head.head.length, limit);
      return reply(res, record, admitted.error);
    }
    let size = head.head.length;
    let tooLarge = false;
    const open = () => {
      req.on('data', (chunk: Buffer) => {
        size += chunk.length;
        // Past the limit: the upstream request is cut (as if the client left) and the client gets 413 below.
        if (size > limit && !tooLarge) {
          tooLarge = true;
          cancellation.cancel();
        }
      });
      return req;
    };
    const upload = { open, declaredLength: declared, started: false };
    await deps.proxy({ req, res, record, snapshot, request, rawBody: head.head, cancellation, upload });
    if (!upload.started) discardBody(req, head.head.length, limit);
    if (tooLarge && !res.headersSent) {
      discardBody(req, size, limit);
      reply(res, record, payloadTooLarge(limit));
    }
  };
  /** `/v1/responses/{id}…`: no body to read; the model and the scheduler come from where the response was created. */
  const handleById = async (req: IncomingMessage, res: ServerResponse, record: RequestRecord, cancellation: Cancellation, guarded: GuardedRequest) => {
    discardBody(req, 0, deps.maxBodyBytes);
    const call = parseResponseCall(req.method ?? 'GET', req.url ?? '/');
    if (!call.ok) return reply(res, record, call.error);
    const found = await originOf(deps.affinity, call.id);
    if (!found.ok) return reply(res, record, found.error);
    const { origin } = found;
    const snapshot = routableTable(res, record, origin.model, false);
    if (!snapshot) return;
    const request: ValidRequest = { model: origin.model, stream: false, affinity: origin.scheduler, body: {} };
    const admitted = await guarded.admit(req, res, request, record, NO_BODY);
    if (!admitted.ok) return reply(res, record, admitted.error);
    const onAnswer = call.action === 'delete' ? () => deps.affinity?.forget(call.id) : undefined;
    await deps.proxy({ req, res, record, snapshot, request, rawBody: NO_BODY, cancellation, method: req.method, onAnswer });
  };
  return (req, res, endpoint) => {
    const record = new RequestRecord(requestIdFor(req.headers['x-request-id']), endpoint);
    if (deps.tracing !== undefined) record.traced(deps.tracing.requestStarted(req, endpoint, record.requestId));
    deps.metrics.requestStarted();
    const cancellation = new CancellationSource();
    const guarded = deps.guard.open(req);
    res.once('close', () => {
      if (!res.writableFinished) cancellation.cancel();
      guarded.close(record);
      finish(record, res);
    });
    if (guarded.refusal) return reply(res, record, guarded.refusal);
    (endpoint === 'response_by_id' ? handleById : endpoint === 'audio_transcriptions' || endpoint === 'audio_translations' ? handleUpload : handle)(req, res, record, cancellation, guarded).catch((err: unknown) => {
      deps.logger.error('hot path failed', { request_id: record.requestId, error: String(err) });
      if (!res.headersSent) reply(res, record, internalError());
      else res.destroy();
    });
  };
}

function missingFormModel(reason: 'no_model' | 'bad_model'): ApiError {
  return reason === 'no_model'
    ? invalidRequest("Missing required parameter: 'model' (a field of the multipart form), or the form is malformed.", 'model', 'missing_required_parameter')
    : invalidRequest("The form's 'model' field is empty, too long, or malformed.", 'model', 'invalid_value');
}

function reply(res: ServerResponse, record: RequestRecord, error: ApiError): void {
  record.failed(error.code ?? error.type);
  record.sent(writeApiError(res, error, record.requestId, undefined, usesAnthropicErrors(record.endpoint)));
}

/** Runs once per request when its response closes: in-flight, metrics, stats, the log line. */
function createFinisher(deps: CompletionsHandlerDeps) {
  // The one fixed-shape line per request skips winston's format pipeline (issue 9); its fields hold no secret.
  const logLine = infoLineWriter(deps.logger);
  return (record: RequestRecord, res: ServerResponse) => {
    const durationMs = performance.now() - record.startedAtMs;
    // 499 (nginx's "client closed request") when the client left before any answer.
    const status = res.headersSent ? res.statusCode : 499;
    if (!res.writableFinished) record.clientLeft();
    deps.metrics.requestEnded();
    deps.metrics.requestFinished(record.modelLabel, record.scheduler, status, durationMs / 1000);
    deps.metrics.endpointRequest(record.endpoint, status);
    deps.stats.recordResponse(status);
    deps.accounting.finish(record, status);
    record.trace?.finished(record, status);
    const ttftMs = record.ttftMs;
    if (!deps.logger.isInfoEnabled()) return;
    logLine('request', {
      component: 'proxy',
      request_id: record.requestId,
      endpoint: record.endpoint,
      model: loggableModel(record.model),
      scheduler: record.scheduler,
      user: record.user,
      status,
      duration_ms: Math.round(durationMs * 100) / 100,
      ttft_ms: ttftMs === undefined ? undefined : Math.round(ttftMs * 100) / 100,
      stream: record.stream,
      bytes: record.bytes,
      prompt_tokens: record.promptTokens,
      completion_tokens: record.completionTokens,
      attempts: record.attempts,
      retries: Math.max(0, record.attempts - 1),
      error: record.error,
      request_body: record.debugBody,
    });
  };
}
