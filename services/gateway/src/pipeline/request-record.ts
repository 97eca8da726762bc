import type { PriorityClass } from '@switchyard/proto';
import type { RequestTrace } from '../tracing/request-trace';
import type { ChunkFilter } from '../usage/usage-chunk-filter';
import type { EndpointKind } from './validate-request';

/** Token counts read from an upstream answer's `usage` (pipeline/sse-reader.ts). */
export interface TokenUsage {
  promptTokens: number;
  completionTokens: number;
  /** The usage object named no input tokens (promptTokens is then 0). */
  promptMissing?: true;
}

/** How an upstream broke off after the response started. */
export type StreamFailure = 'reset' | 'timeout';

/**
 * The exchange of one hot-path request (issue 17 item 1): what the gateway knows
 * about it, changed only through the methods of the stage that learns it —
 * parse (`parsed`), admit (`admittedFor`, `queuedAs`, `filterStream`), forward
 * (`attemptBegun`), relay (`relaying`, `chunkArrived`, `upstreamEnded`), finish —
 * and read through getters once the response closes (one log line, metrics, the
 * stats report). Fields are private so no file writes it behind the stages' back.
 */
export class RequestRecord {
  readonly startedAtMs = performance.now();
  #model = '';
  #modelLabel = 'unknown';
  #stream = false;
  #scheduler = 'none';
  #inFlightAt: string | undefined;
  #attempts = 0;
  #attemptStartedAtMs = 0;
  #bytes = 0;
  #firstChunkAtMs: number | undefined;
  #lastChunkAtMs: number | undefined;
  #error: string | undefined;
  #streamFailure: StreamFailure | undefined;
  #promptTokens: number | undefined;
  #completionTokens: number | undefined;
  #debugBody: string | undefined;
  #user: string | undefined;
  #priority: PriorityClass | undefined;
  #streamFilter: ChunkFilter | undefined;
  #resumeStreams: boolean | undefined;
  #trace: RequestTrace | undefined;

  constructor(
    readonly requestId: string,
    readonly endpoint: EndpointKind,
  ) {}

  get model(): string {
    return this.#model;
  }
  /** `model` when the table knows it, else "unknown" (bounded metric label). */
  get modelLabel(): string {
    return this.#modelLabel;
  }
  get stream(): boolean {
    return this.#stream;
  }
  /** The scheduler of the last attempt, or "none". */
  get scheduler(): string {
    return this.#scheduler;
  }
  get attempts(): number {
    return this.#attempts;
  }
  /** When the last attempt was sent (performance.now()). */
  get attemptStartedAtMs(): number {
    return this.#attemptStartedAtMs;
  }
  /** Response body bytes written to the client. */
  get bytes(): number {
    return this.#bytes;
  }
  /** When the first upstream body chunk arrived (performance.now()). */
  get firstChunkAtMs(): number | undefined {
    return this.#firstChunkAtMs;
  }
  /** When the upstream body ended (performance.now()). */
  get lastChunkAtMs(): number | undefined {
    return this.#lastChunkAtMs;
  }
  /** Why the request did not end cleanly: an error code or a failure kind. */
  get error(): string | undefined {
    return this.#error;
  }
  /** A failure of the upstream after the response started: feeds metrics and stats. */
  get streamFailure(): StreamFailure | undefined {
    return this.#streamFailure;
  }
  /** From the upstream `usage`, when the answer carried one. */
  get promptTokens(): number | undefined {
    return this.#promptTokens;
  }
  get completionTokens(): number | undefined {
    return this.#completionTokens;
  }
  /** The start of the request body, only with LOG_PROMPTS=true (a debug flag). */
  get debugBody(): string | undefined {
    return this.#debugBody;
  }
  /** The `user` of the request's API key (never the key), when keys are required. */
  get user(): string | undefined {
    return this.#user;
  }
  /** The class it queues in when its model is saturated: the key's, maybe lowered by x-switchyard-priority (issue 19). */
  get priority(): PriorityClass | undefined {
    return this.#priority;
  }
  /** Rewrites a streamed answer on its way to the client (the gateway's own usage request is removed again). */
  get streamFilter(): ChunkFilter | undefined {
    return this.#streamFilter;
  }
  /** The request's API key turns mid-stream resumption on (issue 10). */
  get resumeStreams(): boolean | undefined {
    return this.#resumeStreams;
  }
  /** Its spans, only while OpenTelemetry tracing is on (issue 20). */
  get trace(): RequestTrace | undefined {
    return this.#trace;
  }
  /** Time to first token of a stream's last attempt, when its first chunk came. */
  get ttftMs(): number | undefined {
    return this.#stream && this.#firstChunkAtMs !== undefined ? this.#firstChunkAtMs - this.#attemptStartedAtMs : undefined;
  }

  // accept
  traced(trace: RequestTrace): void {
    this.#trace = trace;
  }

  // parse
  /** The body named `model` (known to the table or not) and whether it asks for a stream. */
  parsed(model: string, stream: boolean, knownModel: boolean): void {
    this.#model = model;
    this.#stream = stream;
    if (knownModel) this.#modelLabel = model;
  }
  keepDebugBody(start: string): void {
    this.#debugBody = start;
  }

  // admit
  admittedFor(user: string, resumeStreams: boolean | undefined): void {
    this.#user = user;
    this.#resumeStreams = resumeStreams;
  }
  queuedAs(priority: PriorityClass): void {
    this.#priority = priority;
  }
  /** The filter a streamed answer goes through to the client (the usage filter, resumption's progress filter around it). */
  filterStream(filter: ChunkFilter): void {
    this.#streamFilter = filter;
  }

  // forward
  /** An attempt is sent to `schedulerId` (upstream-accounting.ts counts it in flight there until it fails or is relayed). */
  attemptBegun(schedulerId: string): void {
    this.#attempts += 1;
    this.#scheduler = schedulerId;
    this.#attemptStartedAtMs = performance.now();
  }
  /** The attempt was not a real one (a breaker that opened since the pick, a stale keep-alive socket). */
  attemptWithdrawn(): void {
    this.#attempts -= 1;
  }
  /** A continuation of a lost stream is sent to `schedulerId` (issue 10): the same attempt goes on there. */
  resumedOn(schedulerId: string): void {
    this.#scheduler = schedulerId;
    this.#inFlightAt = schedulerId;
  }
  /** The scheduler no longer counts this request in flight; returns where it was. */
  inFlightReleased(): string | undefined {
    const at = this.#inFlightAt;
    this.#inFlightAt = undefined;
    return at;
  }
  /** A judged upstream answer (attribution/) is the one relayed: its scheduler is the request's. */
  answeredBy(schedulerId: string): void {
    this.#scheduler = schedulerId;
  }

  // relay
  /** The last attempt's answer is relayed: it stays in flight at its scheduler until the request finishes. */
  relaying(): void {
    this.#inFlightAt = this.#scheduler;
  }
  /** One upstream body chunk arrived; true when it was the first. */
  chunkArrived(): boolean {
    if (this.#firstChunkAtMs !== undefined) return false;
    this.#firstChunkAtMs = performance.now();
    return true;
  }
  /** `bytes` more went to the client. */
  sent(bytes: number): void {
    this.#bytes += bytes;
  }
  /** The upstream body ended; `usage` when it carried one. */
  upstreamEnded(usage: TokenUsage | undefined): void {
    this.#lastChunkAtMs = performance.now();
    if (!usage) return;
    // An Anthropic stream's last usage (message_delta) may lack input_tokens: message_start's count, read at the head, stays.
    if (!usage.promptMissing || this.#promptTokens === undefined) this.#promptTokens = usage.promptTokens;
    this.#completionTokens = usage.completionTokens;
  }
  /** An Anthropic stream's input tokens, from its `message_start` event. */
  inputTokensSeen(tokens: number): void {
    this.#promptTokens ??= tokens;
  }
  /** The upstream broke off after the response started. */
  streamBroke(failure: StreamFailure): void {
    this.#streamFailure = failure;
    this.#error = `upstream_${failure}_mid_response`;
  }

  // finish
  /** Why the request did not end cleanly (an error code), whichever stage found it. */
  failed(code: string): void {
    this.#error = code;
  }
  /** The client left before its answer was complete (unless something else went wrong first). */
  clientLeft(): void {
    this.#error ??= 'client_closed';
  }
}

const MAX_LOGGED_MODEL_LENGTH = 200;

/** Client-chosen model names are logged, but never at any length. */
export function loggableModel(model: string): string {
  return model.length > MAX_LOGGED_MODEL_LENGTH ? `${model.slice(0, MAX_LOGGED_MODEL_LENGTH)}…` : model;
}
