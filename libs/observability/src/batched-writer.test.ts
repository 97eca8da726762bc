import { Writable } from 'node:stream';
import { createBatchedWriter } from './batched-writer';

function target() {
  const writes: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      writes.push(chunk.toString());
      callback();
    },
  });
  return { stream, writes };
}

describe('createBatchedWriter', () => {
  it('writes the lines of one event-loop turn at once, in order', async () => {
    const { stream, writes } = target();
    const writer = createBatchedWriter(stream);
    writer.write('a\n');
    writer.write('b\n');
    writer.write(Buffer.from('c\n'));
    expect(writes).toEqual([]);
    await new Promise((r) => setImmediate(r));
    expect(writes).toEqual(['a\nb\nc\n']);
    writer.write('d\n');
    await new Promise((r) => setImmediate(r));
    expect(writes).toEqual(['a\nb\nc\n', 'd\n']);
  });

  it('flushes what is pending when it ends', async () => {
    const { stream, writes } = target();
    const writer = createBatchedWriter(stream);
    writer.write('last\n');
    await new Promise<void>((r) => writer.end(r));
    expect(writes.join('')).toBe('last\n');
  });
});
