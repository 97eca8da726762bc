import { Writable } from 'node:stream';

/**
 * A Writable that collects lines and hands them to `target` once per event-loop
 * turn. stdout on a pipe or file writes synchronously in Node, one syscall per
 * log line; under load that was the gateway's largest single cost (issue 9
 * profile). Lines keep their order; whatever is pending when the process exits
 * (process.exit after a graceful stop included) is written synchronously then.
 */
export function createBatchedWriter(target: NodeJS.WritableStream = process.stdout): Writable {
  let pending: string[] = [];
  let scheduled = false;
  const flush = () => {
    scheduled = false;
    if (pending.length === 0) return;
    const batch = pending.join('');
    pending = [];
    target.write(batch);
  };
  process.once('exit', flush);
  return new Writable({
    decodeStrings: false,
    write(chunk: string | Buffer, _encoding, callback) {
      pending.push(typeof chunk === 'string' ? chunk : chunk.toString('utf8'));
      if (!scheduled) {
        scheduled = true;
        setImmediate(flush);
      }
      callback();
    },
    final(callback) {
      flush();
      callback();
    },
  });
}
