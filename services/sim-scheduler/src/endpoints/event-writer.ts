import type { ServerResponse } from 'node:http';
import { startTokenClock } from '../generation/token-clock';
import { tokenize } from '../generation/tokenizer';
import type { SimContext } from '../sim-context';

/** One named SSE event (`event:` + `data:`), the framing of the Responses and Messages APIs. */
export function writeNamedEvent(res: ServerResponse, type: string, payload: object): void {
  res.write(`event: ${type}\ndata: ${JSON.stringify(payload)}\n\n`);
}

/**
 * Streams `text` token by token through `onDelta` on the sim's token clock (the
 * first after SIM_TTFT_MS, then one every SIM_ITL_MS); resolves true once every
 * token is out, false as soon as the client leaves.
 */
export function paceTokens(ctx: SimContext, res: ServerResponse, text: string, onDelta: (delta: string) => void): Promise<boolean> {
  const tokens = tokenize(text);
  const alive = () => !res.destroyed && !res.writableEnded;
  return new Promise((resolve) => {
    const settle = (done: boolean) => {
      res.off('close', onClose);
      resolve(done);
    };
    const onClose = () => {
      cancel();
      settle(false);
    };
    res.once('close', onClose);
    const cancel = startTokenClock({
      count: tokens.length,
      ttftMs: ctx.ttftMs,
      itlMs: ctx.itlMs,
      onToken(index) {
        if (!alive()) return (settle(false), false);
        onDelta(tokens[index]!);
        return true;
      },
      onDone: () => settle(alive()),
    });
  });
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
