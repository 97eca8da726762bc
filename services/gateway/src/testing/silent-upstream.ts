import { spawn } from 'node:child_process';
import net from 'node:net';
import { createInterface } from 'node:readline';

/*
 * A scheduler that neither accepts nor refuses a connection, as a host that went
 * away does: on loopback, a listening socket whose accept queue is full, so Linux
 * drops further SYNs and connect() hangs. Node accepts every connection on its own,
 * hence a tiny Python listener that never calls accept() (listen(0) queues one
 * connection; this helper fills it).
 */
const NEVER_ACCEPTS = [
  'import socket, sys',
  's = socket.socket()',
  "s.bind(('127.0.0.1', 0))",
  's.listen(0)',
  'print(s.getsockname()[1], flush=True)',
  'sys.stdin.read()',
].join('\n');

export interface SilentUpstream {
  readonly url: string;
  stop(): Promise<void>;
}

/** Starts a listener that never accepts, with its accept queue already full (test helper; needs python3). */
export async function startSilentUpstream(): Promise<SilentUpstream> {
  const child = spawn('python3', ['-c', NEVER_ACCEPTS], { stdio: ['pipe', 'pipe', 'inherit'] });
  const port = await new Promise<number>((resolve, reject) => {
    child.once('error', reject);
    createInterface({ input: child.stdout }).once('line', (line) => resolve(Number(line)));
  });
  const filler = net.connect({ host: '127.0.0.1', port });
  await new Promise((resolve) => filler.once('connect', resolve));
  return {
    url: `http://127.0.0.1:${port}`,
    async stop() {
      filler.destroy();
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.stdin.end();
      await exited;
    },
  };
}
