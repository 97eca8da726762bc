import { eventData, eventJson, forEachEvent, rewriteEvents, SseEventBuffer, withData } from '../../pipeline/sse-reader';
import type { ChunkFilter } from '../../usage/usage-chunk-filter';

/** What the client has received of one resumable stream, across every attempt (issue 10). */
export interface StreamProgress {
  /** The concatenated `delta.content` (chat) or `choices[0].text` (completions) delivered so far. */
  text: string;
  /**
   * Tokens delivered: chunks with non-empty text. The dead attempt's usage never
   * arrives (it is the last event), so chunks are the only count; vLLM and SGLang
   * stream one token per chunk unless speculative decoding batches them.
   */
  tokens: number;
  /** `data: [DONE]` went out. */
  done: boolean;
  /** A `finish_reason` went out (the answer is complete even without `[DONE]`). */
  finished: boolean;
  /** A tool call was being streamed: such a stream is not resumed. */
  toolCalls: boolean;
  /** The first attempt's `id`, `created` and `model`, given to every continuation chunk. */
  identity?: { id: unknown; created: unknown; model: unknown; object: unknown };
  /** The usage sent to the client, summed across attempts (docs/resumption.md). */
  usage?: { promptTokens: number; completionTokens: number };
}

export function newStreamProgress(): StreamProgress {
  return { text: '', tokens: 0, done: false, finished: false, toolCalls: false };
}

/** How a continuation's chunks are rewritten; absent for the first attempt. */
export interface ContinuationRewrite {
  /** Tokens delivered before this continuation began (its usage is shifted by them). */
  deliveredBefore: number;
}

type Chunk = Record<string, unknown> & { choices?: unknown; usage?: unknown };
const EMPTY = Buffer.alloc(0);

/**
 * Passes a stream event by event (a partial event is held, so the client never
 * holds half an event when an upstream dies), records what was delivered into
 * `progress` and, for a continuation, makes its chunks look like the first
 * attempt's: same id/created/model, its role-only first delta dropped, usage summed.
 * Complete events then go through `inner` (the usage filter), when there is one.
 */
export function createProgressFilter(progress: StreamProgress, inner: ChunkFilter | undefined, rewrite?: ContinuationRewrite): ChunkFilter {
  const events = new SseEventBuffer();
  let sawChunk = false;
  const pass = (out: Buffer) => (inner ? inner.push(out) : out);
  const handle = (event: string): string | undefined => {
    const data = eventData(event);
    if (!data) return event;
    if (data.payload.trim() === '[DONE]') {
      progress.done = true;
      return event;
    }
    const chunk = eventJson(data) as Chunk | undefined;
    if (!chunk) return event;
    const first = !sawChunk;
    sawChunk = true;
    if (rewrite && first && isRoleOnly(chunk)) return undefined;
    const changed = rewrite ? rewriteChunk(chunk, progress, rewrite) : false;
    track(chunk, progress);
    return changed ? withData(event, data, chunk) : event;
  };
  const observe = (event: string): void => void handle(event);
  return {
    push(chunk) {
      const complete = events.push(chunk);
      if (complete.length === 0) return EMPTY;
      // Without a rewrite (a first attempt) the events only feed the progress: the bytes go on as they came, no text is built.
      if (!rewrite) {
        forEachEvent(complete.toString('utf8'), observe);
        return pass(complete);
      }
      const out = rewriteEvents(complete.toString('utf8'), handle);
      return out === '' ? EMPTY : pass(Buffer.from(out, 'utf8'));
    },
    end() {
      const rest = events.end();
      const tail = rest.length === 0 ? EMPTY : pass(rest);
      const flushed = inner?.end() ?? EMPTY;
      return flushed.length === 0 ? tail : Buffer.concat([tail, flushed]);
    },
  };
}

function firstChoice(chunk: Chunk): Record<string, unknown> | undefined {
  const choices = chunk.choices;
  if (!Array.isArray(choices) || choices.length === 0) return undefined;
  const choice: unknown = choices[0];
  return typeof choice === 'object' && choice !== null ? (choice as Record<string, unknown>) : undefined;
}

function deltaOf(choice: Record<string, unknown>): Record<string, unknown> | undefined {
  const delta = choice.delta;
  return typeof delta === 'object' && delta !== null ? (delta as Record<string, unknown>) : undefined;
}

/** The continuation's opening `{"role": "assistant"}` chunk: the client already had one. */
function isRoleOnly(chunk: Chunk): boolean {
  const choice = firstChoice(chunk);
  const delta = choice && deltaOf(choice);
  if (!delta || typeof delta.role !== 'string' || choice!.finish_reason) return false;
  return (delta.content ?? '') === '' && delta.tool_calls === undefined;
}

function rewriteChunk(chunk: Chunk, progress: StreamProgress, rewrite: ContinuationRewrite): boolean {
  if (progress.identity) {
    chunk.id = progress.identity.id;
    chunk.created = progress.identity.created;
    chunk.model = progress.identity.model;
  }
  const usage = chunk.usage;
  if (typeof usage === 'object' && usage !== null) {
    const u = usage as Record<string, unknown>;
    const prompt = Math.max(0, Number(u.prompt_tokens ?? 0) - rewrite.deliveredBefore);
    const completion = Number(u.completion_tokens ?? 0) + rewrite.deliveredBefore;
    chunk.usage = { ...u, prompt_tokens: prompt, completion_tokens: completion, total_tokens: prompt + completion };
  }
  return true;
}

function track(chunk: Chunk, progress: StreamProgress): void {
  progress.identity ??= { id: chunk.id, created: chunk.created, model: chunk.model, object: chunk.object };
  const usage = chunk.usage;
  if (typeof usage === 'object' && usage !== null) {
    const u = usage as Record<string, unknown>;
    progress.usage = { promptTokens: Number(u.prompt_tokens ?? 0), completionTokens: Number(u.completion_tokens ?? 0) };
  }
  const choice = firstChoice(chunk);
  if (!choice) return;
  const delta = deltaOf(choice);
  if (delta?.tool_calls !== undefined && delta.tool_calls !== null) progress.toolCalls = true;
  const text = delta ? delta.content : choice.text;
  if (typeof text === 'string' && text !== '') {
    progress.text += text;
    progress.tokens += 1;
  }
  if (choice.finish_reason !== undefined && choice.finish_reason !== null) progress.finished = true;
}
