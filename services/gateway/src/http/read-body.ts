import type { IncomingMessage } from 'node:http';

export type BodyResult = { ok: true; body: Buffer } | { ok: false; reason: 'too_large' | 'aborted' };

/**
 * Reads the request body up to `limitBytes`. Over the limit it resolves at once
 * (the caller answers 413) and keeps discarding what the client still sends, so
 * the client can finish writing and read the answer on a connection that stays
 * usable; past twice the limit in all, the connection is cut instead.
 */
export function readBody(req: IncomingMessage, limitBytes: number): Promise<BodyResult> {
  return new Promise((resolve) => {
    const declared = Number(req.headers['content-length']);
    if (declared > limitBytes) {
      discardBody(req, 0, limitBytes);
      resolve({ ok: false, reason: 'too_large' });
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    let settled = false;
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size <= limitBytes) {
        chunks.push(chunk);
        return;
      }
      settled = true;
      req.off('data', onData);
      discardBody(req, size, limitBytes);
      resolve({ ok: false, reason: 'too_large' });
    };
    req.on('data', onData);
    req.once('end', () => {
      if (settled) return;
      settled = true;
      resolve({ ok: true, body: chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size) });
    });
    req.once('close', () => {
      if (settled) return;
      settled = true;
      resolve({ ok: false, reason: 'aborted' });
    });
    // 'error' (client reset mid-body) is always followed by 'close'.
    req.on('error', () => undefined);
  });
}

/**
 * Throws away the rest of a body the gateway answers without reading, so the
 * connection stays usable; past twice `limitBytes` in all the connection is cut.
 */
export function discardBody(req: IncomingMessage, alreadyRead: number, limitBytes: number): void {
  let total = alreadyRead;
  req.on('data', (chunk: Buffer) => {
    total += chunk.length;
    if (total > 2 * limitBytes) req.socket.destroy();
  });
  req.on('error', () => undefined);
  req.resume();
}
