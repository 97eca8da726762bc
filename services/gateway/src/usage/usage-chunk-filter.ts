/** A stateful rewrite of a streamed (SSE) body, chunk by chunk. */
export interface ChunkFilter {
  /** What to send now for this upstream chunk (possibly nothing: an event is still incomplete). */
  push(chunk: Buffer): Buffer;
  /** What is left when the upstream body ends. */
  end(): Buffer;
}

const USAGE = Buffer.from('"usage"');
const EMPTY = Buffer.alloc(0);
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
  let pending: Buffer | undefined;
  return {
    push(chunk) {
      const data = pending ? Buffer.concat([pending, chunk]) : chunk;
      const cut = lastEventEnd(data);
      if (cut === 0) {
        pending = data.length > MAX_PENDING_BYTES ? undefined : data;
        return pending ? EMPTY : data;
      }
      pending = cut < data.length ? data.subarray(cut) : undefined;
      const complete = cut < data.length ? data.subarray(0, cut) : data;
      return complete.indexOf(USAGE) === -1 ? complete : withoutUsage(complete);
    },
    end() {
      const rest = pending;
      pending = undefined;
      if (!rest) return EMPTY;
      return rest.indexOf(USAGE) === -1 ? rest : withoutUsage(rest);
    },
  };
}

/** The index after the last blank line (`\n\n` or `\n\r\n`), 0 when there is none. */
function lastEventEnd(data: Buffer): number {
  const lf = data.lastIndexOf('\n\n');
  const crlf = data.lastIndexOf('\n\r\n');
  return Math.max(lf === -1 ? 0 : lf + 2, crlf === -1 ? 0 : crlf + 3);
}

function withoutUsage(events: Buffer): Buffer {
  const text = events.toString('utf8');
  let out = '';
  for (const match of text.matchAll(/([\s\S]*?)(\r?\n\r?\n|$)/g)) {
    const [whole, event, separator] = match as unknown as [string, string, string];
    if (whole === '') break;
    const rewritten = rewriteEvent(event);
    if (rewritten !== undefined) out += rewritten + separator;
  }
  return Buffer.from(out, 'utf8');
}

/** The event without its usage, undefined to drop it whole. */
function rewriteEvent(event: string): string | undefined {
  const data = /^data:[ ]?(.*)$/m.exec(event);
  if (!data || !data[1]!.includes('"usage"')) return event;
  let chunk: Record<string, unknown>;
  try {
    chunk = JSON.parse(data[1]!) as Record<string, unknown>;
  } catch {
    return event;
  }
  const usage = chunk.usage;
  if (typeof usage !== 'object' || usage === null) return event;
  if (!Array.isArray(chunk.choices) || chunk.choices.length === 0) return undefined;
  const { usage: _usage, ...rest } = chunk;
  return event.replace(data[0], `data: ${JSON.stringify(rest)}`);
}
