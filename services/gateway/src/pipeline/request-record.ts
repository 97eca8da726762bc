import type { PriorityClass } from '@switchyard/proto';
import type { RequestTrace } from '../tracing/request-trace';
import type { ChunkFilter } from '../usage/usage-chunk-filter';
import type { EndpointKind } from './validate-request';

/**
 * What the gateway learns about one hot-path request as it goes; read once when
 * the response closes to log one line, count metrics and feed the stats report.
 */
export interface RequestRecord {
  readonly requestId: string;
  readonly endpoint: EndpointKind;
  readonly startedAtMs: number;
  model: string;
  /** `model` when the table knows it, else "unknown" (bounded metric label). */
  modelLabel: string;
  stream: boolean;
  /** The scheduler of the last attempt, or "none". */
  scheduler: string;
  /** Set while a scheduler counts this request as in flight. */
  inFlightAt?: string;
  attempts: number;
  /** When the last attempt was sent (performance.now()). */
  attemptStartedAtMs: number;
  /** Response body bytes written to the client. */
  bytes: number;
  /** When the first upstream body chunk arrived (performance.now()). */
  firstChunkAtMs?: number;
  /** Why the request did not end cleanly: an error code or a failure kind. */
  error?: string;
  /** A failure of the upstream after the response started: feeds metrics and stats. */
  streamFailure?: 'reset' | 'timeout';
  /** When the upstream body ended (performance.now()). */
  lastChunkAtMs?: number;
  /** From the upstream `usage` object, when the answer carried one. */
  promptTokens?: number;
  completionTokens?: number;
  /** The start of the request body, only with LOG_PROMPTS=true (a debug flag). */
  debugBody?: string;
  /** The `user` of the request's API key (never the key), when keys are required. */
  user?: string;
  /** The class it queues in when its model is saturated: the key's, maybe lowered by x-switchyard-priority (issue 19). */
  priority?: PriorityClass;
  /** Rewrites a streamed answer on its way to the client (the gateway's own usage request is removed again). */
  streamFilter?: ChunkFilter;
  /** The request's API key turns mid-stream resumption on (issue 10). */
  resumeStreams?: boolean;
  /** Its spans, only while OpenTelemetry tracing is on (issue 20). */
  trace?: RequestTrace;
}

const MAX_LOGGED_MODEL_LENGTH = 200;

export function newRequestRecord(requestId: string, endpoint: EndpointKind): RequestRecord {
  return {
    requestId,
    endpoint,
    startedAtMs: performance.now(),
    model: '',
    modelLabel: 'unknown',
    stream: false,
    scheduler: 'none',
    attempts: 0,
    attemptStartedAtMs: 0,
    bytes: 0,
  };
}

/** Client-chosen model names are logged, but never at any length. */
export function loggableModel(model: string): string {
  return model.length > MAX_LOGGED_MODEL_LENGTH ? `${model.slice(0, MAX_LOGGED_MODEL_LENGTH)}…` : model;
}
