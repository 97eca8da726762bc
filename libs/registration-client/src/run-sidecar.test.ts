import { spawn } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { waitFor } from '@switchyard/testing';
import { loadCliConfig, type CliConfig } from './cli-config';
import { createFakeControlPlane, type FakeControlPlane } from './fake-control-plane.fixture';
import { runSidecar } from './run-sidecar';

const quiet = { info: () => undefined, warn: () => undefined, error: () => undefined };

/** A local "inference server" whose /health answers 503 until `ready` is set. */
function fakeInferenceServer() {
  const state = { ready: false, healthCalls: 0 };
  const server: Server = createServer((req, res) => {
    if (req.url === '/health') state.healthCalls += 1;
    res.writeHead(state.ready ? 200 : 503).end();
  });
  return {
    state,
    server,
    start: () => new Promise<string>((resolve) => server.listen(0, '127.0.0.1', () => resolve(`http://127.0.0.1:${(server.address() as AddressInfo).port}`))),
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

function config(env: Record<string, string>): CliConfig {
  const result = loadCliConfig([], env);
  if (result.ok !== true) throw new Error(`bad test config: ${JSON.stringify(result)}`);
  return result.config;
}

describe('runSidecar', () => {
  let cp: FakeControlPlane;
  let inference: ReturnType<typeof fakeInferenceServer>;
  let schedulerUrl: string;

  beforeEach(async () => {
    cp = createFakeControlPlane();
    await cp.start();
    inference = fakeInferenceServer();
    schedulerUrl = await inference.start();
  });

  afterEach(async () => {
    await cp.stop();
    inference.server.closeAllConnections();
    await inference.stop();
  });

  it('waits for the local server, registers, heartbeats, and deregisters when stopped', async () => {
    const stop = new AbortController();
    const env = { CONTROL_PLANE_URL: `http://127.0.0.1:${cp.port}`, SCHEDULER_URL: schedulerUrl, SCHEDULER_ID: 'vllm-1', READY_POLL_INTERVAL_MS: '50', HEARTBEAT_INTERVAL_MS: '100' };
    const running = runSidecar(config(env), { logger: quiet, signal: stop.signal });
    await waitFor(() => inference.state.healthCalls >= 3, 2_000, 10, 'readiness polls');
    expect(cp.calls).toHaveLength(0);
    inference.state.ready = true;
    await waitFor(() => cp.calls.filter((c) => c.method === 'POST').length >= 2, 2_000, 10, 'registration and a heartbeat');
    // No SCHEDULER_MODELS: the field is omitted so the control plane discovers them.
    expect(cp.calls[0]!.body).toEqual({ id: 'vllm-1', url: schedulerUrl, ttl_seconds: 15 });
    stop.abort();
    await expect(running).resolves.toBe(0);
    expect(cp.calls.at(-1)).toMatchObject({ method: 'DELETE', url: '/admin/scheduler/remove?id=vllm-1' });
  });

  it('exits 1 when the server never becomes ready within READY_TIMEOUT_MS', async () => {
    const env = { CONTROL_PLANE_URL: `http://127.0.0.1:${cp.port}`, SCHEDULER_URL: schedulerUrl, READY_POLL_INTERVAL_MS: '50', READY_TIMEOUT_MS: '200' };
    await expect(runSidecar(config(env), { logger: quiet, signal: new AbortController().signal })).resolves.toBe(1);
    expect(cp.calls).toHaveLength(0);
  });

  describe('the built CLI (dist/cli.js)', () => {
    const cli = path.resolve(__dirname, '../dist/cli.js');

    function run(args: string[], env: Record<string, string>) {
      const child = spawn(process.execPath, [cli, ...args], { env: { PATH: process.env.PATH ?? '', LOG_LEVEL: 'warn', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
      let output = '';
      child.stdout.on('data', (c: Buffer) => (output += c.toString()));
      child.stderr.on('data', (c: Buffer) => (output += c.toString()));
      const exited = new Promise<number | string>((resolve) => child.once('exit', (code, signal) => resolve(code ?? signal ?? 'unknown')));
      return { child, exited, output: () => output };
    }

    it('registers with the token and deregisters on SIGTERM, exit code 0', async () => {
      inference.state.ready = true;
      const sidecar = run(['--scheduler-id', 'sglang-1', '--scheduler-models', 'qwen'], {
        CONTROL_PLANE_URL: `http://127.0.0.1:${cp.port}`,
        SCHEDULER_URL: schedulerUrl,
        REGISTRATION_TOKEN: 'reg-token',
      });
      try {
        await waitFor(() => cp.calls.length > 0, 5_000, 20, 'registration by the CLI');
        expect(cp.calls[0]).toMatchObject({ authorization: 'Bearer reg-token', body: { id: 'sglang-1', models: ['qwen'], ttl_seconds: 15 } });
        sidecar.child.kill('SIGTERM');
        await expect(sidecar.exited).resolves.toBe(0);
        expect(cp.calls.at(-1)).toMatchObject({ method: 'DELETE', url: '/admin/scheduler/remove?id=sglang-1' });
        expect(sidecar.output()).not.toContain('reg-token');
      } finally {
        sidecar.child.kill('SIGKILL');
      }
    });

    it('exits 1 with one line naming the bad variables', async () => {
      const sidecar = run([], { TTL_SECONDS: 'x' });
      await expect(sidecar.exited).resolves.toBe(1);
      const lines = sidecar.output().trim().split('\n');
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(/^switchyard-register: invalid configuration: .*CONTROL_PLANE_URL: is required.*SCHEDULER_URL: is required.*TTL_SECONDS/);
    });
  });
});
