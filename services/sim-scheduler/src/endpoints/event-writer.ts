import type { ServerResponse } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { tokenize } from '../generation/tokenizer';
import type { SimContext } from '../sim-context';

/** One named SSE event (`event:` + `data:`), the framing of the Responses and Messages APIs. */
export function writeNamedEvent(res: ServerResponse, type: string, payload: object): void {
  res.write(`event: ${type}\ndata: ${JSON.stringify(payload)}\n\n`);
}

/**
 * Streams `text` token by token through `onDelta`, after SIM_TTFT_MS and with
 * SIM_ITL_MS between tokens; stops early (resolving false) when the client left.
 */
export async function paceTokens(ctx: SimContext, res: ServerResponse, text: string, onDelta: (delta: string) => void): Promise<boolean> {
  const alive = () => !res.destroyed && !res.writableEnded;
  if (ctx.ttftMs > 0) await sleep(ctx.ttftMs, undefined, { ref: false });
  for (const [i, token] of tokenize(text).entries()) {
    if (!alive()) return false;
    if (i > 0 && ctx.itlMs > 0) await sleep(ctx.itlMs, undefined, { ref: false });
    onDelta(token);
  }
  return alive();
}

/** The text of a prompt-like value (a string, or content parts / messages), for token counts. */
export function textOfInput(input: unknown): string {
  if (typeof input === 'string') return input;
  if (Array.isArray(input)) return input.map(textOfInput).join('\n');
  if (typeof input === 'object' && input !== null) {
    const record = input as Record<string, unknown>;
    if (typeof record.text === 'string') return record.text;
    if (record.content !== undefined) return textOfInput(record.content);
  }
  return '';
}
