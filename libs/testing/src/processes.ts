import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';

export const REPO_ROOT = path.resolve(__dirname, '../../..');

export type ServiceName = 'control-plane' | 'gateway' | 'sim-scheduler';

export interface ServiceProcess {
  readonly name: string;
  readonly child: ChildProcess;
  /** Everything the process wrote so far (stdout and stderr). */
  output(): string;
  /** Resolves with the exit code (or signal name) once it exits. */
  exited: Promise<number | string>;
  kill(signal?: NodeJS.Signals): void;
}

/**
 * Starts a built service (`services/<name>/dist/main.js`) as a child process with
 * the given environment. Tests must call `kill()` (or await `stopAll`) in afterAll.
 */
export function startService(service: ServiceName, env: Record<string, string>, label: string = service): ServiceProcess {
  const child = spawn(process.execPath, [path.join(REPO_ROOT, 'services', service, 'dist', 'main.js')], {
    env: { PATH: process.env.PATH ?? '', LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const append = (chunk: Buffer) => {
    output += chunk.toString();
    if (output.length > 1_000_000) output = output.slice(-500_000);
  };
  child.stdout!.on('data', append);
  child.stderr!.on('data', append);
  const exited = new Promise<number | string>((resolve) => child.once('exit', (code, signal) => resolve(code ?? signal ?? 'unknown')));
  return {
    name: label,
    child,
    output: () => output,
    exited,
    kill(signal = 'SIGTERM') {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
    },
  };
}

/** SIGKILLs whatever is still running and waits for the exits. */
export async function stopAll(processes: readonly ServiceProcess[]): Promise<void> {
  for (const p of processes) p.kill('SIGKILL');
  await Promise.all(processes.map((p) => p.exited));
}

/** The port of a service started with PORT=0, from its JSON "listening" log line (undefined until it is printed). */
export function listeningPort(output: string): number | undefined {
  for (const line of output.split('\n')) {
    if (!line.startsWith('{')) continue;
    const entry = JSON.parse(line) as { message?: string; port?: number };
    if (entry.message === 'listening') return entry.port;
  }
  return undefined;
}
