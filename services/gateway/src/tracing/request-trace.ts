import type { OutgoingHttpHeaders } from 'node:http';
import { SpanKind, SpanStatusCode, trace, type Context, type Span, type Tracer } from '@opentelemetry/api';
import { ATTR_ERROR_TYPE, ATTR_HTTP_RESPONSE_STATUS_CODE, ATTR_SERVER_ADDRESS, ATTR_SERVER_PORT } from '@opentelemetry/semantic-conventions';
import type { RequestRecord } from '../pipeline/request-record';
import type { EndpointKind } from '../pipeline/validate-request';
import type { GuardedResult } from '../proxy/breakers/scheduler-breakers';
import type { UpstreamTarget } from '../proxy/upstream-pool';
import { GEN_AI, OPERATION_OF, SWITCHYARD } from './span-attributes';

/** The spans of one client request; lives on its RequestRecord only when tracing is on. */
export interface RequestTrace {
  /**
   * Opens the span of one upstream attempt and puts its W3C context on the
   * outgoing headers (replacing whatever traceparent/tracestate the client sent).
   */
  attemptStarted(upstream: UpstreamTarget, servedModel: string, attempt: number, headers: OutgoingHttpHeaders, resumption?: boolean): AttemptTrace;
  /** Ends the request span when the response closes; attributes come from the record. */
  finished(record: RequestRecord, status: number): void;
}

export interface AttemptTrace {
  /** The attempt's outcome: a failure ends the span now, an answer when its body ends. */
  settled(result: GuardedResult): void;
}

interface RequestTraceDeps {
  tracer: Tracer;
  span: Span;
  context: Context;
  endpoint: EndpointKind;
  requestId: string;
  inject(context: Context, headers: OutgoingHttpHeaders): void;
}

/** The first chunk of an OpenAI answer (JSON or SSE) names the model that served it. */
const RESPONSE_MODEL = /"model"\s*:\s*"((?:[^"\\]|\\.){1,256})"/;
const MODEL_SCAN_BYTES = 2048;

export function createRequestTrace(deps: RequestTraceDeps): RequestTrace {
  const { tracer, span } = deps;
  const operation = OPERATION_OF[deps.endpoint];
  span.setAttribute(GEN_AI.OPERATION_NAME, operation);
  span.setAttribute(SWITCHYARD.REQUEST_ID, deps.requestId);
  let responseModel: string | undefined;
  return {
    attemptStarted(upstream, servedModel, attempt, headers, resumption = false) {
      const child = tracer.startSpan(`${operation} ${servedModel}`, { kind: SpanKind.CLIENT }, deps.context);
      child.setAttribute(GEN_AI.OPERATION_NAME, operation);
      child.setAttribute(GEN_AI.REQUEST_MODEL, servedModel);
      child.setAttribute(ATTR_SERVER_ADDRESS, upstream.hostname);
      child.setAttribute(ATTR_SERVER_PORT, upstream.port);
      child.setAttribute(SWITCHYARD.SCHEDULER_ID, upstream.schedulerId);
      child.setAttribute(SWITCHYARD.ATTEMPT, attempt);
      if (resumption) child.setAttribute(SWITCHYARD.RESUMPTION, true);
      delete headers.tracestate;
      deps.inject(trace.setSpan(deps.context, child), headers);
      return {
        settled(result) {
          if (!result.ok) return endFailed(child, result);
          const response = result.exchange.response;
          child.setAttribute(ATTR_HTTP_RESPONSE_STATUS_CODE, response.statusCode ?? 0);
          if (!child.isRecording()) return;
          response.once('data', (chunk: Buffer) => {
            const model = RESPONSE_MODEL.exec(chunk.toString('utf8', 0, MODEL_SCAN_BYTES))?.[1];
            if (model === undefined) return;
            responseModel = model;
            child.setAttribute(GEN_AI.RESPONSE_MODEL, model);
          });
          response.once('close', () => {
            if ((response.statusCode ?? 0) >= 400) markError(child, String(response.statusCode));
            child.end();
          });
        },
      };
    },
    finished(record, status) {
      if (record.model !== '') {
        span.setAttribute(GEN_AI.REQUEST_MODEL, record.model);
        span.updateName(`${operation} ${record.model}`);
      }
      if (responseModel !== undefined) span.setAttribute(GEN_AI.RESPONSE_MODEL, responseModel);
      if (record.promptTokens !== undefined) span.setAttribute(GEN_AI.USAGE_INPUT_TOKENS, record.promptTokens);
      if (record.completionTokens !== undefined) span.setAttribute(GEN_AI.USAGE_OUTPUT_TOKENS, record.completionTokens);
      span.setAttribute(ATTR_HTTP_RESPONSE_STATUS_CODE, status);
      span.setAttribute(SWITCHYARD.ATTEMPTS, record.attempts);
      if (record.scheduler !== 'none') span.setAttribute(SWITCHYARD.SCHEDULER_ID, record.scheduler);
      if (status >= 500 || (record.error !== undefined && status < 400)) markError(span, record.error ?? String(status));
      else if (record.error !== undefined) span.setAttribute(ATTR_ERROR_TYPE, record.error);
      span.end();
    },
  };
}

const NO_ATTEMPT: AttemptTrace = { settled: () => undefined };

/**
 * A request the sampler left out: no attempt spans, no attributes, nothing
 * exported; each upstream attempt is sent the request span's context (flags 00),
 * so the trace still continues through the engine and the client's trace id is kept.
 */
export function unsampledTrace(context: Context, inject: RequestTraceDeps['inject']): RequestTrace {
  return {
    attemptStarted(_upstream, _servedModel, _attempt, headers) {
      delete headers.tracestate;
      inject(context, headers);
      return NO_ATTEMPT;
    },
    finished: () => undefined,
  };
}

function endFailed(span: Span, failure: Exclude<GuardedResult, { ok: true }>): void {
  if (failure.reason === 'status') {
    span.setAttribute(ATTR_HTTP_RESPONSE_STATUS_CODE, failure.status);
    markError(span, String(failure.status));
  } else {
    markError(span, failure.reason);
  }
  span.end();
}

function markError(span: Span, type: string): void {
  span.setAttribute(ATTR_ERROR_TYPE, type);
  span.setStatus({ code: SpanStatusCode.ERROR });
}
