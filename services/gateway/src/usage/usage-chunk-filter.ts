import { eventData, eventJson, rewriteEvents, SseEventBuffer, USAGE_KEY, withData } from '../pipeline/sse-reader';

/** A stateful rewrite of a streamed (SSE) body, chunk by chunk. */
export interface ChunkFilter {
  /** What to send now for this upstream chunk (possibly nothing: an event is still incomplete). */
  push(chunk: Buffer): Buffer;
  /** What is left when the upstream body ends. */
  end(): Buffer;
}

/** An upstream that never ends an event is passed through rather than held. */
const MAX_PENDING_BYTES = 64 * 1024;

/**
 * Removes the usage event from a stream whose client did not ask for it (issue 6:
 * the gateway asks upstream for `stream_options.include_usage` to count tokens).
 * Events pass whole; only events that mention `"usage"` are parsed: the usage-only
 * chunk (empty `choices`) is dropped, a usage object on a content chunk is
 * removed from it, everything else is sent as it came.
 */
export function createUsageChunkFilter(): ChunkFilter {
  const events = new SseEventBuffer(MAX_PENDING_BYTES);
  const filter = (complete: Buffer) => (complete.indexOf(USAGE_KEY) === -1 ? complete : withoutUsage(complete));
  return {
    push: (chunk) => filter(events.push(chunk)),
    end: () => filter(events.end()),
  };
}

function withoutUsage(events: Buffer): Buffer {
  return Buffer.from(rewriteEvents(events.toString('utf8'), rewriteEvent), 'utf8');
}

/** The event without its usage, undefined to drop it whole. */
function rewriteEvent(event: string): string | undefined {
  const data = eventData(event);
  if (!data || !data.payload.includes('"usage"')) return event;
  const chunk = eventJson(data);
  const usage = chunk?.usage;
  if (!chunk || typeof usage !== 'object' || usage === null) return event;
  if (!Array.isArray(chunk.choices) || chunk.choices.length === 0) return undefined;
  const { usage: _usage, ...rest } = chunk;
  return withData(event, data, rest);
}
