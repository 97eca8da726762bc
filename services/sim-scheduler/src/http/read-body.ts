import type { IncomingMessage } from 'node:http';
import { invalidJson, payloadTooLarge } from '@switchyard/contracts';

/** Reads and parses a JSON body; 413 over `limitBytes`, 400 when it is not JSON. */
export function readJsonBody(req: IncomingMessage, limitBytes: number): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers['content-length']);
    if (declared > limitBytes) {
      req.resume();
      reject(payloadTooLarge(limitBytes));
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= limitBytes) chunks.push(chunk);
    });
    req.once('error', reject);
    req.once('end', () => {
      if (size > limitBytes) return reject(payloadTooLarge(limitBytes));
      const text = Buffer.concat(chunks).toString('utf8');
      if (text.trim() === '') return reject(invalidJson('the body is empty'));
      try {
        resolve(JSON.parse(text));
      } catch (err) {
        reject(invalidJson((err as Error).message));
      }
    });
  });
}
