import type { IncomingMessage, ServerResponse } from 'node:http';
import { ApiError } from '@switchyard/contracts';
import { requestPriority } from '../admission/priority';
import type { Logger } from '@switchyard/observability';
import type { RequestRecord } from '../pipeline/request-record';
import type { ValidRequest } from '../pipeline/validate-request';
import type { Admission, LimitSubject, Limiter } from '../limits/limiter';
import { rateLimitError, setRateLimitHeaders } from '../limits/rate-limit-response';
import type { RateLimitReason } from '../metrics';
import type { RoutingTableStore } from '../routing/routing-table-store';
import { createUsageChunkFilter } from '../usage/usage-chunk-filter';
import type { UsageRecorder } from '../usage/usage-recorder';
import { authenticate, authorize } from './authenticate';
import { buildKeyIndex, createPresentedKeyHasher, type AuthKey, type KeyIndex } from './key-index';

export interface RequestGuardDeps {
  store: RoutingTableStore;
  limiter: Limiter;
  usage: UsageRecorder;
  metrics: { rateLimited(reason: RateLimitReason): void };
  logger: Logger;
  /** GATEWAY_MAX_CONCURRENCY (0 = no cap). */
  maxConcurrency: number;
}

export type Admitted = { ok: true; body: Buffer } | { ok: false; error: ApiError };

/** One hot-path request as the guard sees it. */
export interface GuardedRequest {
  /** Set when the request is refused before its body is read (overload, 401). */
  readonly refusal?: ApiError;
  /** After validation: 403s, per-key limits and their headers; resolves the body to send upstream. */
  admit(req: IncomingMessage, res: ServerResponse, request: ValidRequest, record: RequestRecord, rawBody: Buffer): Promise<Admitted>;
  /** When the response closed: frees slots, counts tokens and usage. Once. */
  close(record: RequestRecord): void;
}

export interface RequestGuard {
  open(req: IncomingMessage): GuardedRequest;
  /** The keys of the current table (the Express routes check GET /v1/models with it). */
  keys(): KeyIndex;
}

/**
 * Auth, permissions and limits of the hot path (issue 6), in order of cost: the
 * gateway-wide concurrency cap (a counter), the key (one SHA-256 and a Map
 * lookup, before the body is read), then after validation the model and pin
 * permissions and one limiter call for keys that have limits.
 */
export function createRequestGuard(deps: RequestGuardDeps): RequestGuard {
  let index: KeyIndex = buildKeyIndex({ api_keys: [], auth_required: false });
  let inFlight = 0;
  const hashPresented = createPresentedKeyHasher();
  const announce = createAuthAnnouncer(deps.logger);
  let indexed: { keys: unknown; authRequired: boolean } | undefined;
  deps.store.onApply((snapshot) => {
    // A change batch without key changes keeps the same packed keys (issue 16): no re-index per routing change.
    const { packed_keys: keys, auth_required: authRequired } = snapshot.table;
    if (indexed && indexed.keys === keys && indexed.authRequired === authRequired) return;
    indexed = { keys, authRequired };
    index = buildKeyIndex(snapshot.table);
    announce(index);
  });
  const open = (req: IncomingMessage): GuardedRequest => {
    const capped = deps.maxConcurrency > 0;
    if (capped && inFlight >= deps.maxConcurrency) {
      deps.metrics.rateLimited('global_concurrency');
      return refused(overloaded());
    }
    if (capped) inFlight += 1;
    let left = !capped;
    const leave = () => {
      if (!left) inFlight -= 1;
      left = true;
    };
    if (!index.authRequired) return openRequest(leave);
    const key = authenticate(req.headers, index, hashPresented);
    return key instanceof ApiError ? { ...refused(key), close: leave } : keyRequest(deps, key, leave);
  };
  return { open, keys: () => index };
}

function keyRequest(deps: RequestGuardDeps, key: AuthKey, leave: () => void): GuardedRequest {
  const subject: LimitSubject = { id: key.id, rpm: key.record.rpm, tpm: key.record.tpm, maxConcurrency: key.record.max_concurrency };
  let admission: Admission | undefined;
  let admitted = false;
  let closed = false;
  const release = (a: Admission, tokens: number) => void deps.limiter.release(subject, a, tokens).catch(() => undefined);
  return {
    async admit(req, res, request, record, rawBody) {
      record.admittedFor(key.record.user, key.record.resume_streams);
      const denied = authorize(key, request);
      if (denied) return { ok: false, error: denied };
      const priority = requestPriority(key.record.priority, req.headers);
      if (priority instanceof ApiError) return { ok: false, error: priority };
      record.queuedAs(priority);
      if (!key.record.allow_explain) delete req.headers['x-switchyard-explain'];
      if (key.limited) {
        const result = await deps.limiter.acquire(subject);
        if (closed && result.verdict === 'ok') release(result, 0);
        setRateLimitHeaders(res, subject, result);
        if (result.verdict !== 'ok') {
          deps.metrics.rateLimited(result.verdict);
          return { ok: false, error: rateLimitError(subject, result, key.record.user) };
        }
        admission = result;
      }
      admitted = true;
      return { ok: true, body: requestStreamUsage(request, record, rawBody) };
    },
    close(record) {
      if (closed) return;
      closed = true;
      leave();
      if (!admitted) return;
      const prompt = record.promptTokens ?? 0;
      const completion = record.completionTokens ?? 0;
      if (admission) release(admission, prompt + completion);
      deps.usage.record(key.record.user, record.modelLabel, prompt, completion);
    },
  };
}

/**
 * Streams only report usage when asked (`stream_options.include_usage`): ask for
 * the client, and have the relay strip the usage event again, so the key's tokens
 * are counted and the client sees the stream it asked for (issue 6).
 */
function requestStreamUsage(request: ValidRequest, record: RequestRecord, rawBody: Buffer): Buffer {
  // Only chat and text completions know stream_options.include_usage; the Responses and Messages APIs report usage in their final events.
  if (!request.stream || (record.endpoint !== 'chat_completions' && record.endpoint !== 'completions')) return rawBody;
  const options = request.body.stream_options;
  const given = typeof options === 'object' && options !== null && !Array.isArray(options) ? (options as Record<string, unknown>) : undefined;
  if (given?.include_usage === true) return rawBody;
  // Kept on the parsed body too: a later rewrite (backend pin, alias) serializes from it.
  request.body.stream_options = { ...given, include_usage: true };
  record.filterStream(createUsageChunkFilter());
  return options === undefined ? withIncludeUsageField(rawBody) : Buffer.from(JSON.stringify(request.body));
}

const INCLUDE_USAGE_FIELD = Buffer.from('"stream_options":{"include_usage":true},');

/**
 * The client's bytes with `stream_options` added right after the opening brace,
 * instead of re-serializing the whole body on every keyed stream. Only used when
 * the body has no `stream_options` (so no key is duplicated); the body was
 * validated as a JSON object with a model, so its first `{` opens it and a field
 * follows.
 */
function withIncludeUsageField(rawBody: Buffer): Buffer {
  const open = rawBody.indexOf(0x7b);
  return Buffer.concat([rawBody.subarray(0, open + 1), INCLUDE_USAGE_FIELD, rawBody.subarray(open + 1)]);
}

function openRequest(leave: () => void): GuardedRequest {
  return {
    async admit(req, _res, _request, record, rawBody) {
      // Without keys every request is standard; the header may still lower it.
      const priority = requestPriority(undefined, req.headers);
      if (priority instanceof ApiError) return { ok: false, error: priority };
      record.queuedAs(priority);
      return { ok: true, body: rawBody };
    },
    close: leave,
  };
}

function refused(error: ApiError): GuardedRequest {
  return { refusal: error, admit: async () => ({ ok: false, error }), close: () => undefined };
}

function overloaded(): ApiError {
  return new ApiError(503, 'The gateway is at its concurrency limit (GATEWAY_MAX_CONCURRENCY); please retry shortly.', 'server_error', 'gateway_overloaded', null, { 'retry-after': '1' });
}

/** Logs whether the gateway requires keys, at the first table and whenever that changes. */
function createAuthAnnouncer(logger: Logger): (index: KeyIndex) => void {
  let last: boolean | undefined;
  return (index) => {
    if (index.authRequired === last) return;
    last = index.authRequired;
    if (index.authRequired) logger.info('API keys required', { component: 'auth', keys: index.size });
    else logger.warn('no API keys configured: the gateway serves requests without authentication', { component: 'auth' });
  };
}
