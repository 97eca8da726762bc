import type { ServerResponse } from 'node:http';
import { cachedPromptTokens } from '../cache/request-tokens';
import type { Fault } from '../faults/fault';
import type { Ticket } from '../generation/slot-pool';
import { answerDelayMs, startTokenClock } from '../generation/token-clock';
import { textOf, tokenAt } from '../generation/word-stream';
import type { GenerationRequest } from '../requests/generation-request';
import { RESPONSE_FORMATS, usageOf, type AnswerMeta, type Usage } from '../responses/response-format';
import type { SimContext } from '../sim-context';
import type { RequestRecord } from '../stats/sim-stats';
import { endSse, sendJson, startSse, writeEvent } from './send';

/**
 * Generates one admitted chat/text request: waits for a slot, prefills the prompt
 * tokens the prefix cache does not hold (the slot stays taken meanwhile, so misses
 * make a busy sim queue), then streams tokens on the token clock (or answers once
 * the last token would exist). A client that
 * disconnects stops everything at once: the clock is cancelled and the slot freed.
 */
export function runGeneration(ctx: SimContext, res: ServerResponse, record: RequestRecord, request: GenerationRequest, fault: Fault): void {
  // The client may have left while the body was read: its close event has passed.
  if (res.destroyed || !res.socket || res.socket.destroyed) return;
  let cancel: () => void = () => undefined;
  let finished = false;
  let ticket: Ticket | undefined;
  const finish = () => {
    if (finished) return;
    finished = true;
    cancel();
    ticket?.release();
  };
  ticket = ctx.pool.acquire(request.promptTokens + request.completionTokens, () => {
    ctx.metrics.tokens(request.promptTokens, request.completionTokens);
    const timing = timingFor(ctx, fault, request, lookUpPrefix(ctx, record, request));
    cancel = request.stream ? stream(ctx, res, record, request, timing, finish) : answer(ctx, res, record, request, timing, finish);
  });
  // A zero-delay answer finishes inside acquire(), before `ticket` was assigned.
  if (finished) ticket.release();
  res.once('close', finish);
}

interface Timing {
  ttftMs: number;
  /** Data events (stream) or tokens (non-stream) before the socket is destroyed. */
  dieAfter: number | undefined;
  /** The answer's usage; with the prefix cache on it says how much of the prompt was cached. */
  usage: Usage;
}

/**
 * The prompt tokens the prefix cache holds. The request's record keeps both
 * counts, so a benchmark can tell which requests missed (the counters only give the sum).
 */
function lookUpPrefix(ctx: SimContext, record: RequestRecord, request: GenerationRequest): number {
  const cached = cachedPromptTokens(ctx.cache, request);
  if (ctx.cache.enabled) ctx.metrics.prefixCache(cached, request.promptTokens);
  record.prompt_tokens = request.promptTokens;
  record.cached_prompt_tokens = cached;
  return cached;
}

/** `slow-first-token` replaces SIM_TTFT_MS; prefill (SIM_PREFILL_MS_PER_TOKEN per prompt token not cached) comes on top of either. */
function timingFor(ctx: SimContext, fault: Fault, request: GenerationRequest, cached: number): Timing {
  const prefill = Math.round((request.promptTokens - cached) * ctx.prefillMsPerToken);
  return {
    ttftMs: (fault.kind === 'slow-first-token' ? fault.ms : ctx.ttftMs) + prefill,
    dieAfter: fault.kind === 'die-after' ? fault.chunks : undefined,
    usage: usageOf(request.promptTokens, request.completionTokens, ctx.cache.enabled ? cached : undefined),
  };
}

function metaFor(ctx: SimContext, request: GenerationRequest): AnswerMeta {
  return { id: ctx.newId(RESPONSE_FORMATS[request.kind].idPrefix), created: Math.floor(Date.now() / 1000), model: request.model };
}

/**
 * The `die-after` end: the socket goes away without `[DONE]`, as when a node dies.
 * Events already written still reach the client (a killed process's kernel
 * flushes them too), then the connection closes mid-body.
 */
function die(ctx: SimContext, res: ServerResponse, record: RequestRecord): void {
  ctx.stats.settle(record, 'fault');
  const socket = res.socket;
  if (!socket) return void res.destroy();
  socket.end(() => socket.destroy());
}

function stream(ctx: SimContext, res: ServerResponse, record: RequestRecord, request: GenerationRequest, timing: Timing, finish: () => void): () => void {
  const format = RESPONSE_FORMATS[request.kind];
  const meta = metaFor(ctx, request);
  const { ttftMs, dieAfter } = timing;
  let events = 0;
  /** Writes one data event; false once die-after has destroyed the socket. */
  const emit = (payload: object): boolean => {
    if (dieAfter !== undefined && events >= dieAfter) {
      die(ctx, res, record);
      return false;
    }
    writeEvent(res, payload);
    events += 1;
    return true;
  };
  startSse(res);
  return startTokenClock({
    count: request.completionTokens,
    ttftMs,
    itlMs: ctx.itlMs,
    onToken(i) {
      const sent = emit(format.chunk(meta, tokenAt(request.seed, request.startIndex + i, request.kind), i === 0));
      if (sent) ctx.stats.tokenSent(record);
      return sent;
    },
    onDone() {
      if (!emit(format.finishChunk(meta, request.finishReason))) return;
      if (request.includeUsage && !emit(format.usageChunk(meta, timing.usage))) return;
      if (dieAfter !== undefined) return die(ctx, res, record);
      endSse(res);
      finish();
    },
  });
}

function answer(ctx: SimContext, res: ServerResponse, record: RequestRecord, request: GenerationRequest, timing: Timing, finish: () => void): () => void {
  const { ttftMs, dieAfter } = timing;
  const tokens = dieAfter === undefined ? request.completionTokens : Math.min(Math.max(dieAfter, 1), request.completionTokens);
  const respond = () => {
    if (dieAfter !== undefined) return die(ctx, res, record);
    const text = textOf(request.seed, request.startIndex, request.completionTokens, request.kind);
    ctx.stats.tokenSent(record, request.completionTokens);
    sendJson(res, 200, RESPONSE_FORMATS[request.kind].complete(metaFor(ctx, request), text, request.finishReason, timing.usage));
    finish();
  };
  const delayMs = answerDelayMs(tokens, ttftMs, ctx.itlMs);
  if (delayMs === 0) {
    respond();
    return () => undefined;
  }
  const timer = setTimeout(respond, delayMs);
  // Cleared when the client leaves; unref so a pending answer never holds the process.
  timer.unref();
  return () => clearTimeout(timer);
}
