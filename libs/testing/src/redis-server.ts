import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { connect } from 'node:net';
import { freePort } from './ports';
import { sleep } from './wait';

/** A throw-away redis-server of a test's own, for tests that stop, pause or empty Redis. */
export interface RedisServer {
  readonly port: number;
  /** redis://127.0.0.1:<port> */
  readonly url: string;
  /** SIGKILL: gone at once, and with it every key (nothing is persisted). */
  kill(): Promise<void>;
  /** Starts again on the same port, empty. */
  restart(): Promise<void>;
  /** SIGSTOP / SIGCONT: connections stay open, nothing answers (a hung or slow Redis). */
  pause(): void;
  resume(): void;
  /** Runs one command with `redis-cli --raw` (so tests need no client library); resolves its output, trimmed. */
  command(...args: string[]): Promise<string>;
  stop(): Promise<void>;
}

/**
 * Starts `redis-server` on a free 127.0.0.1 port without persistence (`--save ""
 * --appendonly no`), resolving once it answers PING. Tests must call stop() in
 * afterAll.
 */
export async function startRedisServer(): Promise<RedisServer> {
  const port = await freePort();
  let child: ChildProcess | undefined = await launch(port);
  const kill = async () => {
    const current = child;
    child = undefined;
    if (!current || current.exitCode !== null || current.signalCode !== null) return;
    const exited = new Promise((resolve) => current.once('exit', resolve));
    current.kill('SIGCONT');
    current.kill('SIGKILL');
    await exited;
  };
  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    kill,
    async restart() {
      await kill();
      child = await launch(port);
    },
    pause: () => void child?.kill('SIGSTOP'),
    resume: () => void child?.kill('SIGCONT'),
    command: (...args) =>
      new Promise((resolve, reject) => {
        execFile('redis-cli', ['-p', String(port), '--raw', ...args], { timeout: 5_000 }, (err, stdout) => (err ? reject(err) : resolve(stdout.trim())));
      }),
    stop: kill,
  };
}

async function launch(port: number): Promise<ChildProcess> {
  const child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
  const deadline = Date.now() + 5_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`redis-server exited with ${child.exitCode} (is it installed?)`);
    if (await answersPing(port)) return child;
    await sleep(20);
  }
  child.kill('SIGKILL');
  throw new Error(`redis-server on port ${port} did not answer PING within 5 s`);
}

function answersPing(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(500, () => done(false));
    socket.once('error', () => done(false));
    socket.once('connect', () => socket.write('PING\r\n'));
    socket.once('data', (chunk: Buffer) => done(chunk.toString().startsWith('+PONG')));
  });
}
