/**
 * Issue 2 acceptance 5, the README half: the quick start works as written. The
 * local stack (`pnpm start` = build + scripts/local-stack.mjs; `pnpm test` has just
 * built) runs on its documented ports, the README's curl block and its openai SDK
 * example run verbatim against it, and Ctrl-C (SIGINT) stops every process with exit
 * code 0. The README's "add a real inference server" block is not run: it points
 * at an address outside this machine.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { waitFor } from '@switchyard/testing';

jest.setTimeout(90_000);

const ROOT = path.resolve(__dirname, '..', '..');
const README = readFileSync(path.join(ROOT, 'README.md'), 'utf8');
/** The ports ARCHITECTURE.md and the README give the local stack. */
const STACK_PORTS = [8080, 8081, 50051, 9001, 9002];

/** The first fenced block of `language` after the line containing `marker`. */
function readmeBlock(marker: string, language: string): string {
  const from = README.indexOf(marker);
  expect(from).toBeGreaterThanOrEqual(0);
  const open = README.indexOf('```' + language + '\n', from);
  const close = README.indexOf('\n```', open + 4);
  return README.slice(open + language.length + 4, close + 1);
}

function portInUse(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    socket.once('connect', () => (socket.destroy(), resolve(true)));
    socket.once('error', () => resolve(false));
  });
}

let stack: ChildProcess;
let output = '';

beforeAll(async () => {
  const busy = (await Promise.all(STACK_PORTS.map(async (port) => ((await portInUse(port)) ? port : null)))).filter((p) => p !== null);
  if (busy.length > 0) throw new Error(`the local stack's ports are taken (${busy.join(', ')}): stop whatever listens there`);
  stack = spawn(process.execPath, [path.join(ROOT, 'scripts', 'local-stack.mjs')], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  for (const stream of [stack.stdout!, stack.stderr!]) stream.on('data', (chunk: Buffer) => (output = (output + chunk.toString()).slice(-50_000)));
  try {
    await waitFor(() => output.includes('Switchyard is up'), 45_000, 50, 'the local stack to say it is up');
  } catch (err) {
    throw new Error(`${String(err)}\n${output}`);
  }
});

afterAll(async () => {
  if (stack && stack.exitCode === null && stack.signalCode === null) {
    stack.kill('SIGKILL');
    await new Promise((resolve) => stack.once('exit', resolve));
  }
});

it('answers the README curl block (plain, streamed with the backend header, scheduler list)', () => {
  const block = readmeBlock('Ask the gateway', 'sh');
  expect(block.match(/^curl /gm)).toHaveLength(3);
  const run = spawnSync('bash', ['-euo', 'pipefail', '-c', block], { encoding: 'utf8', timeout: 20_000 });
  expect(run.stderr).toBe('');
  expect(run.status).toBe(0);
  expect(run.stdout).toMatch(/"object":"chat\.completion"/);
  expect(run.stdout).toMatch(/^x-switchyard-backend: sim-[12]\r?$/im);
  expect(run.stdout).toMatch(/"object":"chat\.completion\.chunk"/);
  expect(run.stdout.trimEnd()).toMatch(/data: \[DONE\][\s\S]*"schedulers":\[/);
  const listed = JSON.parse(run.stdout.slice(run.stdout.lastIndexOf('{"schedulers"'))) as { schedulers: Array<{ id: string; state: string }> };
  expect(listed.schedulers.map((s) => [s.id, s.state]).sort()).toEqual([['sim-1', 'healthy'], ['sim-2', 'healthy']]);
});

it('runs the README openai SDK example: an answer, then a streamed story', () => {
  const example = readmeBlock('With the official `openai` SDK', 'js');
  // Evaluated from the repository root, where `openai` resolves as it would in a user's project.
  const run = spawnSync(process.execPath, ['--input-type=module', '-e', example], { cwd: ROOT, encoding: 'utf8', timeout: 20_000 });
  expect(run.stderr).toBe('');
  expect(run.status).toBe(0);
  const [answer, ...story] = run.stdout.split('\n');
  expect(answer!.length).toBeGreaterThan(0);
  expect(story.join('\n').trim().length).toBeGreaterThan(0);
});

it('stops every process on Ctrl-C and exits 0', async () => {
  const exited = new Promise<number | null>((resolve) => stack.once('exit', (code) => resolve(code)));
  stack.kill('SIGINT');
  expect(await exited).toBe(0);
  for (const name of ['control-plane', 'sim-1', 'sim-2', 'gateway']) expect(output).toMatch(new RegExp(`${name}\\s*\\x1b\\[0m\\| exited \\(0\\)`));
  const stillListening = await Promise.all(STACK_PORTS.map(portInUse));
  expect(stillListening).toEqual(STACK_PORTS.map(() => false));
});
