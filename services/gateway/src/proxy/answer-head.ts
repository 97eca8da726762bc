import type { UpstreamExchange } from './forward';

/** How much of an answer's start is searched for what the head readers look for. */
const HEAD_BYTES = 8192;

/**
 * Reads the start of an upstream answer beside the relay (the bytes are not
 * touched) until `found` says it saw what it looked for in the text so far, or
 * HEAD_BYTES passed. Registered before the relay's listener, so `found` runs before
 * the client receives the chunk.
 */
export function readAnswerHead(exchange: UpstreamExchange, found: (head: string) => boolean): void {
  const upstream = exchange.response;
  let head = '';
  const onData = (chunk: Buffer) => {
    head += chunk.toString('utf8', 0, Math.min(chunk.length, HEAD_BYTES - head.length));
    if (found(head) || head.length >= HEAD_BYTES) upstream.off('data', onData);
  };
  upstream.on('data', onData);
}
