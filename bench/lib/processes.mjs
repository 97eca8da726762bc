/**
 * Child processes for the benchmark: everything measured or generating load runs in
 * its own process, pinned with `taskset` when it exists, so the target and the load
 * generator do not steal each other's core.
 */
import { spawn, spawnSync } from 'node:child_process';

/** The target under test gets this core; load generators, backends and helpers the other. */
export const TARGET_CORE = '0';
export const LOAD_CORE = '1';

const OUTPUT_TAIL_CHARS = 64 * 1024;

/**
 * @param {string} name
 * @returns {boolean} whether `name` resolves on PATH
 */
export function onPath(name) {
  return spawnSync('sh', ['-c', `command -v ${name}`], { stdio: 'ignore' }).status === 0;
}

/**
 * Whether processes get pinned: `taskset` must exist, the machine must have two
 * cores, and BENCH_PIN=0 turns it off.
 * @param {NodeJS.ProcessEnv} env
 */
export function pinningAvailable(env) {
  return env.BENCH_PIN !== '0' && onPath('taskset') && Number(spawnSync('nproc').stdout?.toString().trim()) >= 2;
}

/**
 * @typedef {object} Child
 * @property {string} name
 * @property {number} pid
 * @property {import('node:child_process').ChildProcess} child
 * @property {() => string} tail  the last 64 KiB of stdout + stderr
 * @property {Promise<number | string>} exited
 * @property {() => Promise<void>} stop  SIGTERM, then SIGKILL after 3 s
 */

/**
 * Spawns `command args` (through `taskset -c core` when pinning), keeping a bounded
 * tail of its output so a chatty gateway at LOG_LEVEL=info cannot grow our memory.
 * @param {{name: string, command: string, args: string[], env?: Record<string, string>, core?: string | null, pin: boolean, onLine?: (line: string) => void}} spec
 * @returns {Child}
 */
export function startProcess(spec) {
  const core = spec.pin ? spec.core : null;
  const command = core ? 'taskset' : spec.command;
  const args = core ? ['-c', core, spec.command, ...spec.args] : spec.args;
  /** @type {import('node:child_process').ChildProcessByStdio<null, import('node:stream').Readable, import('node:stream').Readable>} */
  const child = spawn(command, args, { env: { PATH: process.env.PATH ?? '', ...spec.env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  let partial = '';
  const append = (/** @type {Buffer} */ chunk) => {
    const text = chunk.toString();
    output = (output + text).slice(-OUTPUT_TAIL_CHARS);
    if (!spec.onLine) return;
    const lines = (partial + text).split('\n');
    partial = lines.pop() ?? '';
    for (const line of lines) spec.onLine(line);
  };
  child.stdout.on('data', append);
  child.stderr.on('data', append);
  /** @type {Promise<number | string>} */
  const exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve(code ?? signal ?? 'unknown')));
  return {
    name: spec.name,
    pid: child.pid ?? -1,
    child,
    tail: () => output,
    exited,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 3_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

/**
 * Runs a node script to completion and parses the JSON object it prints last on
 * stdout (the load generators report that way). `T` is the script's documented
 * output type; the JSON is trusted, both sides live in bench/.
 * @template T
 * @param {{name: string, script: string, input: unknown, pin: boolean, core?: string, timeoutMs: number}} spec
 * @returns {Promise<T>}
 */
export async function runJsonScript(spec) {
  const proc = startProcess({
    name: spec.name, command: process.execPath, args: [spec.script, JSON.stringify(spec.input)], core: spec.core ?? LOAD_CORE, pin: spec.pin,
  });
  const timer = setTimeout(() => proc.child.kill('SIGKILL'), spec.timeoutMs);
  const code = await proc.exited;
  clearTimeout(timer);
  const lines = proc.tail().trim().split('\n');
  const last = lines.reverse().find((l) => l.startsWith('{'));
  if (code !== 0 || !last) throw new Error(`${spec.name} exited ${code}: ${proc.tail().slice(-2000)}`);
  return JSON.parse(last);
}

// Ports below the kernel's ephemeral range, never handed out twice: a port found free with
// listen(0) can be taken by another socket (a fake fleet listening on 0, outgoing connections)
// before the child binds it. The same picker the tests use; `pnpm bench*` builds it first.
export { freePort } from '../../libs/testing/dist/ports.js';

/** @param {number} ms */
export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Polls `url` until it answers `status` or `timeoutMs` passes; fails fast when
 * `proc` exits first (a crashed service should not cost the whole timeout).
 * @param {string} url
 * @param {{status?: number, timeoutMs?: number, proc?: Child}} [options]
 */
export async function waitForHttp(url, { status = 200, timeoutMs = 15_000, proc } = {}) {
  const deadline = Date.now() + timeoutMs;
  let last = 'no answer';
  while (Date.now() < deadline) {
    if (proc && (proc.child.exitCode !== null || proc.child.signalCode !== null)) {
      throw new Error(`${proc.name} exited before ${url} answered: ${proc.tail().slice(-2000)}`);
    }
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(1_000) });
      await res.arrayBuffer();
      if (res.status === status) return;
      last = `status ${res.status}`;
    } catch (err) {
      last = String(err);
    }
    await sleep(50);
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${url} (${last})`);
}
