import type { UpstreamExchange } from '../forward';

/** An upstream error answer read before the gateway decides whose fault it is. */
export interface ReadAnswer {
  body: Buffer;
  /** False when the body was larger than the cap, or did not end in time: the rest is still unread. */
  complete: boolean;
}

/** Error bodies are small; a bigger answer is not a well-formed error. */
export const MAX_ERROR_BODY_BYTES = 64 * 1024;

/**
 * Reads an error answer's body up to `capBytes`, within the exchange's own idle
 * timeout (the socket timer keeps running). An incomplete read leaves the
 * response paused with what was read put back, so it can still be relayed.
 */
export function readAnswer(exchange: UpstreamExchange, capBytes = MAX_ERROR_BODY_BYTES): Promise<ReadAnswer> {
  const upstream = exchange.response;
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const finish = (complete: boolean) => {
      upstream.off('data', onData);
      upstream.off('end', onEnd);
      upstream.off('close', onClose);
      const body = Buffer.concat(chunks, size);
      if (!complete && !upstream.destroyed) {
        upstream.pause();
        upstream.unshift(body);
      }
      resolve({ body, complete });
    };
    const onData = (chunk: Buffer) => {
      if (size === 0) exchange.firstChunkSeen();
      chunks.push(chunk);
      size += chunk.length;
      if (size > capBytes) finish(false);
    };
    const onEnd = () => finish(true);
    const onClose = () => finish(upstream.complete);
    upstream.on('error', ignore);
    upstream.on('data', onData);
    upstream.once('end', onEnd);
    upstream.once('close', onClose);
  });
}

/**
 * Whether a body is an error the server meant to send: a JSON object in one of
 * the shapes engines use — OpenAI's and llama.cpp's `{"error": {"message": …}}`,
 * vLLM's and SGLang's `{"object": "error", "message": …}`, FastAPI's
 * `{"detail": …}` — rather than a crash page, a proxy's HTML or a cut body.
 */
export function isWellFormedError(body: Buffer): boolean {
  if (body.length === 0 || body.length > MAX_ERROR_BODY_BYTES) return false;
  let parsed: unknown;
  try {
    parsed = JSON.parse(body.toString('utf8'));
  } catch {
    return false;
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return false;
  const answer = parsed as Record<string, unknown>;
  const error = answer.error;
  if (typeof error === 'object' && error !== null && typeof (error as Record<string, unknown>).message === 'string') return true;
  if (typeof error === 'string') return true;
  if (answer.object === 'error' && typeof answer.message === 'string') return true;
  return answer.detail !== undefined;
}

function ignore(): void {
  // 'close' follows every 'error' and decides.
}
