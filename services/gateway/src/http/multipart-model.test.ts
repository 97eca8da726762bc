import { PassThrough } from 'node:stream';
import type { IncomingMessage } from 'node:http';
import { multipartBoundary, readUntilModel } from './multipart-model';

const part = (headers: string, value: string) => `--B\r\n${headers}\r\n\r\n${value}\r\n`;

async function read(chunks: string[], limit = 1024) {
  const stream = new PassThrough();
  const result = readUntilModel(stream as unknown as IncomingMessage, 'B', limit);
  for (const chunk of chunks) stream.write(Buffer.from(chunk));
  stream.end();
  return result;
}

describe('multipartBoundary', () => {
  it('reads quoted and bare boundaries of multipart/form-data only', () => {
    expect(multipartBoundary('multipart/form-data; boundary=abc')).toBe('abc');
    expect(multipartBoundary('Multipart/Form-Data; charset=x; boundary="a b"')).toBe('a b');
    expect(multipartBoundary('multipart/form-data')).toBeUndefined();
    expect(multipartBoundary('application/json')).toBeUndefined();
    expect(multipartBoundary(undefined)).toBeUndefined();
  });
});

describe('readUntilModel', () => {
  it('finds the model after the file, with the marker split across chunks, and returns every byte read', async () => {
    const body = part('Content-Disposition: form-data; name="file"; filename="a.wav"', 'RIFFxxxx') + part('Content-Disposition: form-data; name="model"', 'sim-model') + '--B--\r\n';
    const split = body.indexOf('name="model"') + 5;
    const result = await read([body.slice(0, split), body.slice(split)]);
    expect(result).toMatchObject({ ok: true, model: 'sim-model' });
    if (result.ok) expect(result.head.toString()).toBe(body);
  });

  it('stops reading once the model is known (the rest is left for the upstream pipe)', async () => {
    const stream = new PassThrough();
    const result = readUntilModel(stream as unknown as IncomingMessage, 'B', 1024);
    // The value is complete only once the next delimiter shows.
    stream.write(Buffer.from(part('Content-Disposition: form-data; name="model"', 'm1') + '--B\r\nContent-Disposition: form-data; name="file"\r\n\r\n'));
    const head = await result;
    expect(head).toMatchObject({ ok: true, model: 'm1' });
    stream.end(Buffer.from('data\r\n--B--\r\n'));
    expect(stream.isPaused()).toBe(true);
  });

  it('reports a form without model, an empty model, and a body over the limit', async () => {
    expect(await read([part('Content-Disposition: form-data; name="file"', 'x') + '--B--\r\n'])).toEqual({ ok: false, reason: 'no_model' });
    expect(await read([part('Content-Disposition: form-data; name="model"', '') + '--B--\r\n'])).toEqual({ ok: false, reason: 'bad_model' });
    expect(await read(['x'.repeat(2000)], 1000)).toEqual({ ok: false, reason: 'too_large' });
  });
});
