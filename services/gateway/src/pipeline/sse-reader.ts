import type { TokenUsage } from './request-record';

/**
 * The one reader of server-sent events in the gateway (issue 17 item 1): event
 * framing (an event ends at a blank line, LF or CRLF; the WHATWG HTML "server-sent
 * events" section), an event's `data:` line, and the token usage the three event
 * formats carry — a chat/completions `usage` chunk, the Responses API's
 * `response.completed`, Anthropic's `message_start` / `message_delta`. The usage
 * filter, stream resumption, the response observer and the answer-head reader all
 * read through it. Buffers stay Buffers until an event has to be parsed.
 */

const EMPTY = Buffer.alloc(0);

/** Is this a `text/event-stream` answer (parameters such as charset allowed)? */
export function isEventStreamType(contentType: string | undefined): boolean {
  return contentType !== undefined && contentType.startsWith('text/event-stream');
}

/** The index after the last blank line (`\n\n` or `\n\r\n`) of `data`, 0 when there is none. */
function lastEventEnd(data: Buffer): number {
  const lf = data.lastIndexOf('\n\n');
  const crlf = data.lastIndexOf('\n\r\n');
  return Math.max(lf === -1 ? 0 : lf + 2, crlf === -1 ? 0 : crlf + 3);
}

/**
 * Cuts a byte stream into whole events: `push` returns the complete events so far
 * (the chunk itself when it ends on an event boundary: no copy) and holds a partial
 * one until the rest arrives. An upstream that never ends an event is passed on
 * once `maxPendingBytes` would be held, rather than held forever.
 */
export class SseEventBuffer {
  #pending: Buffer | undefined;

  constructor(private readonly maxPendingBytes = Number.POSITIVE_INFINITY) {}

  push(chunk: Buffer): Buffer {
    const data = this.#pending ? Buffer.concat([this.#pending, chunk]) : chunk;
    const cut = lastEventEnd(data);
    if (cut === 0) {
      this.#pending = data.length > this.maxPendingBytes ? undefined : data;
      return this.#pending ? EMPTY : data;
    }
    this.#pending = cut < data.length ? data.subarray(cut) : undefined;
    return cut < data.length ? data.subarray(0, cut) : data;
  }

  /** What is held when the stream ends (an event without its blank line). */
  end(): Buffer {
    const rest = this.#pending ?? EMPTY;
    this.#pending = undefined;
    return rest;
  }
}

const EVENT = /([\s\S]*?)(\r?\n\r?\n|$)/g;

/** Calls `visit` for each event of `text` with the blank line that ended it ('' for a last event without one). */
export function forEachEvent(text: string, visit: (event: string, separator: string) => void): void {
  for (const match of text.matchAll(EVENT)) {
    const [whole, event, separator] = match as unknown as [string, string, string];
    if (whole === '') break;
    visit(event, separator);
  }
}

/**
 * Calls `visit` for each event of `text`; what it returns replaces the event,
 * undefined drops it and its blank line. Returns the rewritten text.
 */
export function rewriteEvents(text: string, visit: (event: string) => string | undefined): string {
  let out = '';
  forEachEvent(text, (event, separator) => {
    const kept = visit(event);
    if (kept !== undefined) out += kept + separator;
  });
  return out;
}

/** An event's `data:` line: the line as written (to replace it) and its payload. */
export interface EventData {
  line: string;
  payload: string;
}

export function eventData(event: string): EventData | undefined {
  const match = /^data:[ ]?(.*)$/m.exec(event);
  return match ? { line: match[0], payload: match[1]! } : undefined;
}

/** The event with its data line replaced by `value` as JSON. */
export function withData(event: string, data: EventData, value: unknown): string {
  return event.replace(data.line, `data: ${JSON.stringify(value)}`);
}

/** The data of an event as a JSON object, or undefined (`[DONE]`, not JSON, not an object). */
export function eventJson(data: EventData): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(data.payload);
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

export const USAGE_KEY = Buffer.from('"usage"');
/** How far past `"usage"` the token counts may sit. */
const USAGE_WINDOW_BYTES = 512;

/**
 * The token counts of the last `"usage"` object in an answer or a stream's tail,
 * read with a byte search and two small regexes instead of a JSON parse: a chat or
 * completions usage chunk, the `usage` of a Responses API `response.completed`, an
 * Anthropic `message_delta` (input tokens may be missing there: `promptMissing`).
 * A `"usage": null` (streams without include_usage) counts as none.
 */
export function findUsage(body: Buffer): TokenUsage | undefined {
  const at = body.lastIndexOf(USAGE_KEY);
  if (at < 0) return undefined;
  const text = body.toString('latin1', at + USAGE_KEY.length, Math.min(body.length, at + USAGE_KEY.length + USAGE_WINDOW_BYTES));
  if (!/^\s*:\s*\{/.test(text)) return undefined;
  // Nested *_details objects may come before completion_tokens (vLLM's order), so
  // the window is searched rather than cut at the first closing brace.
  const prompt = /"(?:prompt|input)_tokens"\s*:\s*(\d+)/.exec(text);
  const completion = /"(?:completion|output)_tokens"\s*:\s*(\d+)/.exec(text);
  if (!prompt && !completion) return undefined;
  const usage: TokenUsage = { promptTokens: Number(prompt?.[1] ?? 0), completionTokens: Number(completion?.[1] ?? 0) };
  if (!prompt) usage.promptMissing = true;
  return usage;
}

/** The input tokens of an Anthropic stream's `message_start` event (its final usage may omit them). */
export function findInputTokens(head: string): number | undefined {
  const match = /"input_tokens"\s*:\s*(\d+)/.exec(head);
  return match ? Number(match[1]) : undefined;
}
