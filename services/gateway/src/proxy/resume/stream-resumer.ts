import { badGateway } from '@switchyard/contracts';
import type { Logger } from '@switchyard/observability';
import type { ModelTarget } from '../../routing/routing-table-store';
import { sseErrorEvent } from '../../pipeline/error-response';
import type { GatewayMetrics } from '../../metrics';
import type { SchedulerPicker } from '../../routing/scheduler-picker';
import type { SchedulerBreakers } from '../breakers/scheduler-breakers';
import type { UpstreamTimeouts } from '../forward';
import { upstreamRequestHeaders } from '../headers';
import type { ProxyCall } from '../proxy-request';
import { relayResponse, type StreamLoss, type StreamLossHandler } from '../relay';
import { isEventStream, type AttemptOptions } from '../retry/first-event';
import type { UpstreamAccounting } from '../upstream-accounting';
import type { UpstreamPool } from '../upstream-pool';
import type { ChunkFilter } from '../../usage/usage-chunk-filter';
import { continuationOf, lengthFinishEvent, notResumable } from './continuation-request';
import { createProgressFilter, newStreamProgress, type StreamProgress } from './stream-progress';

/** The request header that turns resumption on for one request. */
export const RESUME_HEADER = 'x-switchyard-resume';

export interface ResumeDeps {
  picker: SchedulerPicker;
  pool: UpstreamPool;
  breakers: SchedulerBreakers<AttemptOptions>;
  accounting: UpstreamAccounting;
  metrics: GatewayMetrics;
  timeouts: UpstreamTimeouts;
  logger: Logger;
  /** RESUME_MAX_ATTEMPTS: continuation requests per client request. */
  maxAttempts: number;
}

export interface StreamResumer {
  /** For a resumable stream: installs the progress filter and returns the relay's loss handler. */
  arm(call: ProxyCall): StreamLossHandler | undefined;
}

/** Is resumption on for this request: by header, by its key, or by its model's route in the table. */
export function resumptionEnabled(call: ProxyCall): boolean {
  const header = call.req.headers[RESUME_HEADER];
  if (header === '1' || header === 'true') return true;
  if (header === '0' || header === 'false') return false;
  return call.record.resumeStreams === true || call.snapshot.table.models[call.request.model]?.resume_streams === true;
}

/**
 * Mid-stream failover (issue 10): when a stream's upstream is lost after some
 * chunks, asks another scheduler of the model to continue the text already
 * delivered and relays that continuation as the rest of the same stream.
 */
export function createStreamResumer(deps: ResumeDeps): StreamResumer {
  const log = deps.logger.child({ component: 'resume' });
  return {
    arm(call) {
      if (!call.request.stream || !resumptionEnabled(call) || notResumable(call.record.endpoint, call.request.body) !== undefined) return undefined;
      const progress = newStreamProgress();
      const inner = call.record.streamFilter;
      call.record.filterStream(createProgressFilter(progress, inner));
      const session = { deps, log, call, progress, inner, attempts: 0, tried: new Set<string>() };
      const onLoss: StreamLossHandler = (loss) => handleLoss(session, loss, onLoss);
      return onLoss;
    },
  };
}

interface Session {
  deps: ResumeDeps;
  log: Logger;
  call: ProxyCall;
  progress: StreamProgress;
  /** The usage filter the client's stream had before resumption wrapped it. */
  inner: ChunkFilter | undefined;
  attempts: number;
  tried: Set<string>;
}

/** The relay's hook: true when the resumer takes the stream over (the relay then does nothing more). */
function handleLoss(s: Session, loss: StreamLoss, onLoss: StreamLossHandler): boolean {
  const { record, res } = s.call;
  if (s.progress.done) {
    if (s.attempts > 0) s.deps.metrics.streamResumption('succeeded');
    record.upstreamEnded(s.progress.usage);
    return false;
  }
  if (s.progress.finished) {
    // Every token is out, only `[DONE]` is missing.
    if (s.attempts > 0) s.deps.metrics.streamResumption('succeeded');
    res.end('data: [DONE]\n\n');
    return true;
  }
  if (s.attempts > 0) s.deps.metrics.streamResumption('failed');
  if (s.progress.toolCalls || s.attempts >= s.deps.maxAttempts) return false;
  const failed = record.scheduler;
  s.deps.accounting.streamLost(record, loss === 'timeout' ? 'timeout' : 'stream');
  s.tried.add(failed);
  void resume(s, failed, onLoss);
  return true;
}

/** Tries schedulers until one streams the continuation, within the attempt limit; else the SSE error event. */
async function resume(s: Session, failed: string, onLoss: StreamLossHandler): Promise<void> {
  const { call, deps } = s;
  const { record, res, request } = call;
  while (s.attempts < deps.maxAttempts && !call.cancellation.cancelled) {
    const route = deps.picker.route(call.snapshot, request, { exclude: s.tried, headers: call.req.headers, unavailable: deps.breakers.isUnavailable });
    if (!route.ok) break;
    const continuation = continuationOf(record.endpoint, request.body, route.target.servedName, s.progress);
    if (continuation.kind === 'exhausted') return void res.end(lengthFinishEvent(record.endpoint, s.progress));
    const id = route.target.entry.id;
    s.attempts += 1;
    deps.metrics.streamResumption('attempted');
    s.log.info('resuming stream', { request_id: record.requestId, from_scheduler: failed, to_scheduler: id, tokens_delivered: s.progress.tokens, attempt: s.attempts });
    if (await continueOn(s, route.target, Buffer.from(JSON.stringify(continuation.body)), onLoss)) return;
    if (call.cancellation.cancelled) return;
    deps.metrics.streamResumption('failed');
    s.tried.add(id);
  }
  if (res.writableEnded || res.destroyed) return;
  record.failed('upstream_stream_not_resumed');
  const event = sseErrorEvent(badGateway(`Scheduler '${failed}' closed the stream before it finished and it could not be resumed.`, 'upstream_stream_error'));
  record.sent(Buffer.byteLength(event));
  res.end(event);
}

/** One continuation request; true once its stream is being relayed. */
async function continueOn(s: Session, target: ModelTarget, body: Buffer, onLoss: StreamLossHandler): Promise<boolean> {
  const { call, deps } = s;
  const { record } = call;
  const { entry } = target;
  const { id } = entry;
  const upstream = deps.pool.target(entry);
  deps.accounting.resumeBegun(record, id);
  const headers = upstreamRequestHeaders(call.req.headers, upstream.host, body.length, record.requestId, entry.api_key);
  // Tracing (tracing/request-trace.ts): the continuation is an attempt span of its own, marked as a resumption.
  const span = record.trace?.attemptStarted(upstream, target.servedName, record.attempts + s.attempts, headers, true);
  const result = await deps.breakers.forward(id, {
    target: upstream,
    method: 'POST',
    path: call.req.url ?? '/',
    headers,
    body,
    timeouts: deps.timeouts,
    cancellation: call.cancellation,
    failOnStatus: (status) => status !== 200,
    untilFirstEvent: true,
  });
  span?.settled(result);
  // A client that left was finished (and its in-flight count released) by the handler's close.
  if (!result.ok && result.reason === 'aborted') return false;
  if (result.ok && isEventStream(result.exchange) && !call.res.destroyed) {
    result.exchange.firstChunkSeen();
    record.filterStream(createProgressFilter(s.progress, s.inner, { deliveredBefore: s.progress.tokens }));
    relayResponse(result.exchange, call.res, record, onLoss);
    return true;
  }
  if (result.ok || result.reason === 'status') result.exchange.discard();
  const kind = result.ok || result.reason === 'status' ? 'status_5xx' : result.reason;
  deps.accounting.streamLost(record, kind === 'circuit_open' ? undefined : kind);
  return false;
}
