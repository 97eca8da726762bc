import type { IncomingMessage } from 'node:http';

/** The boundary of a `multipart/form-data` content type, or undefined for any other type. */
export function multipartBoundary(contentType: string | undefined): string | undefined {
  if (contentType === undefined || !/^multipart\/form-data\s*;/i.test(contentType)) return undefined;
  const match = /;\s*boundary=(?:"([^"]{1,70})"|([^\s;]{1,70}))/i.exec(contentType);
  return match?.[1] ?? match?.[2];
}

const MODEL_MARKER = Buffer.from('name="model"');
/** A model field's part headers and value fit in this much past its name. */
const MAX_MODEL_PART_BYTES = 4096;

export type UploadHead =
  /** `head`: the bytes read so far (sent upstream first). */
  | { ok: true; model: string; head: Buffer }
  | { ok: false; reason: 'too_large' | 'aborted' | 'no_model' | 'bad_model' };

/**
 * Reads a multipart upload only until its `model` field is complete (issue 17:
 * uploads are streamed upstream, not buffered whole), then pauses the request so
 * the rest can be piped to the chosen scheduler. A form that puts the file before
 * the model (as some clients do) is read up to the model, within `limitBytes`.
 */
export function readUntilModel(req: IncomingMessage, boundary: string, limitBytes: number): Promise<UploadHead> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let settled = false;
    let carry: Buffer = Buffer.alloc(0);
    let after: Buffer | undefined;
    const delimiter = Buffer.from(`\r\n--${boundary}`);
    const finish = (result: UploadHead) => {
      if (settled) return;
      settled = true;
      req.off('data', onData);
      req.pause();
      resolve(result);
    };
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      chunks.push(chunk);
      if (size > limitBytes) return finish({ ok: false, reason: 'too_large' });
      if (after === undefined) {
        // The marker may straddle two chunks: search the previous chunk's end with this one.
        const window = carry.length === 0 ? chunk : Buffer.concat([carry, chunk]);
        const at = window.indexOf(MODEL_MARKER);
        carry = window.subarray(Math.max(0, window.length - MODEL_MARKER.length));
        if (at < 0) return;
        after = window.subarray(at + MODEL_MARKER.length);
      } else after = Buffer.concat([after, chunk]);
      const value = modelValue(after, delimiter);
      if (value === 'more' && after.length > MAX_MODEL_PART_BYTES) return finish({ ok: false, reason: 'bad_model' });
      if (value !== 'more') finish(value === '' ? { ok: false, reason: 'bad_model' } : { ok: true, model: value, head: Buffer.concat(chunks, size) });
    };
    req.on('data', onData);
    req.once('end', () => {
      if (settled) return;
      settled = true;
      resolve({ ok: false, reason: 'no_model' });
    });
    req.once('close', () => finish({ ok: false, reason: 'aborted' }));
    req.on('error', () => undefined);
  });
}

/** The value after the part headers (`\r\n\r\n`) up to the next delimiter; 'more' until both are there. */
function modelValue(after: Buffer, delimiter: Buffer): string | 'more' {
  const start = after.indexOf('\r\n\r\n');
  if (start < 0) return 'more';
  const end = after.indexOf(delimiter, start + 4);
  if (end < 0) return 'more';
  return after.toString('utf8', start + 4, end).trim();
}
