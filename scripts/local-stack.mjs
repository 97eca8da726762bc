#!/usr/bin/env node
// `pnpm start`: the whole local stack in the foreground on the embedded default
// state: one control plane, one gateway, two self-registering sim schedulers, all
// on 127.0.0.1, each log line prefixed with its process. Ctrl-C (or SIGTERM)
// stops all of them; if one dies on its own, the rest are stopped too.
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const CONTROL_PLANE_URL = 'http://127.0.0.1:8081';
const GATEWAY_URL = 'http://127.0.0.1:8080';

const PROCESSES = [
  { name: 'control-plane', service: 'control-plane', env: { ADMIN_PORT: '8081', GRPC_PORT: '50051' }, waitFor: `${CONTROL_PLANE_URL}/ready` },
  { name: 'sim-1', service: 'sim-scheduler', env: { PORT: '9001', SIM_ID: 'sim-1', CONTROL_PLANE_URL } },
  { name: 'sim-2', service: 'sim-scheduler', env: { PORT: '9002', SIM_ID: 'sim-2', CONTROL_PLANE_URL } },
  { name: 'gateway', service: 'gateway', env: { PORT: '8080', CONTROL_PLANE_ADDR: '127.0.0.1:50051' }, waitFor: `${GATEWAY_URL}/ready` },
];
const SIM_COUNT = PROCESSES.filter((p) => p.service === 'sim-scheduler').length;
const COLORS = [36, 33, 35, 32];
const running = [];
let stopping = false;

function start({ name, service, env }, index) {
  const child = spawn(process.execPath, [path.join(root, 'services', service, 'dist', 'main.js')], {
    env: { ...process.env, HOST: '127.0.0.1', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const prefix = `\x1b[${COLORS[index % COLORS.length]}m${name.padEnd(13)}\x1b[0m| `;
  for (const stream of [child.stdout, child.stderr]) {
    createInterface({ input: stream }).on('line', (line) => process.stdout.write(prefix + line + '\n'));
  }
  child.on('exit', (code, signal) => {
    process.stdout.write(`${prefix}exited (${signal ?? code})\n`);
    if (!stopping) stopAll(`${name} exited unexpectedly`, 1);
  });
  running.push(child);
}

/** Polls `check` until it holds; stops the stack when it has not within `timeoutMs`. */
async function waitUntil(what, check, timeoutMs = 15_000) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline && !stopping) {
    try {
      if (await check()) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  if (!stopping) stopAll(`${what} within ${timeoutMs} ms`, 1);
}

const answersOk = async (url) => (await fetch(url)).ok;

/** Both sims registered and the gateway's table serving their model: the README's first curl works. */
async function simsRoutable() {
  const { data } = await (await fetch(`${GATEWAY_URL}/v1/models`)).json();
  const { schedulers } = await (await fetch(`${CONTROL_PLANE_URL}/admin/scheduler/list`)).json();
  return data.some((model) => model.id === 'sim-model') && schedulers.filter((s) => s.state === 'healthy').length === SIM_COUNT;
}

function stopAll(reason, exitCode) {
  if (stopping) return;
  stopping = true;
  process.stdout.write(`\nstopping local stack: ${reason}\n`);
  const alive = running.filter((c) => c.exitCode === null && c.signalCode === null);
  for (const child of alive) child.kill('SIGTERM');
  let pending = alive.length;
  if (pending === 0) process.exit(exitCode);
  for (const child of alive) child.once('exit', () => --pending === 0 && process.exit(exitCode));
  setTimeout(() => {
    for (const child of alive) child.kill('SIGKILL');
    process.exit(1);
  }, 35_000).unref();
}

process.on('SIGINT', () => stopAll('interrupted', 0));
process.on('SIGTERM', () => stopAll('terminated', 0));

for (const [index, spec] of PROCESSES.entries()) {
  start(spec, index);
  if (spec.waitFor) await waitUntil(`${spec.waitFor} did not become ready`, () => answersOk(spec.waitFor));
}
await waitUntil('the sims were not routable through the gateway', simsRoutable);
if (!stopping) {
  process.stdout.write(
    `\nSwitchyard is up: gateway ${GATEWAY_URL}/v1, admin ${CONTROL_PLANE_URL}/admin/scheduler/list — Ctrl-C stops everything.\n\n`,
  );
}
