import { spawn, type ChildProcess } from 'node:child_process';
import net from 'node:net';
import { createInterface } from 'node:readline';
import { createSchemaValidator } from '@switchyard/testing';
import { routingTable, schedulerEntry, startFakeUpstream, startGatewayHarness, type FakeUpstream, type GatewayHarness } from '../testing';

/*
 * The connect timeout needs a scheduler that neither accepts nor refuses a
 * connection, as a host that went away does. On loopback that is a listening
 * socket whose accept queue is full: Linux drops further SYNs, so connect() hangs.
 * Node accepts every connection on its own, hence a tiny Python listener that never
 * calls accept() (listen(0) queues one connection; the test fills it).
 */
const BLACKHOLE = [
  'import socket, sys',
  's = socket.socket()',
  "s.bind(('127.0.0.1', 0))",
  's.listen(0)',
  'print(s.getsockname()[1], flush=True)',
  'sys.stdin.read()',
].join('\n');

interface Blackhole {
  url: string;
  stop(): Promise<void>;
}

async function startBlackhole(): Promise<Blackhole> {
  const child: ChildProcess = spawn('python3', ['-c', BLACKHOLE], { stdio: ['pipe', 'pipe', 'inherit'] });
  const port = await new Promise<number>((resolve, reject) => {
    child.once('error', reject);
    createInterface({ input: child.stdout! }).once('line', (line) => resolve(Number(line)));
  });
  // Fill the accept queue; from then on SYNs to this port go unanswered.
  const filler = net.connect({ host: '127.0.0.1', port });
  await new Promise((resolve) => filler.once('connect', resolve));
  return {
    url: `http://127.0.0.1:${port}`,
    async stop() {
      filler.destroy();
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.stdin!.end();
      await exited;
    },
  };
}

const CONNECT_TIMEOUT_MS = 400;
const validator = createSchemaValidator();
const chat = (model: string) => JSON.stringify({ model, messages: [{ role: 'user', content: 'hi' }] });

describe('gateway proxy: a scheduler that does not accept connections', () => {
  let blackhole: Blackhole;
  let up: FakeUpstream;
  let harness: GatewayHarness;

  beforeAll(async () => {
    blackhole = await startBlackhole();
    up = await startFakeUpstream();
    harness = await startGatewayHarness({
      UPSTREAM_CONNECT_TIMEOUT_MS: String(CONNECT_TIMEOUT_MS),
      RETRY_MAX_ATTEMPTS: '2',
      // Breakers have their own tests; here they would skip the silent scheduler after its first timeout.
      BREAKER_CONSECUTIVE_FAILURES: '1000',
      BREAKER_VOLUME_THRESHOLD: '1000000',
    });
    await harness.applyTable(
      routingTable({
        version: 1,
        schedulers: [
          schedulerEntry({ id: 'silent', url: blackhole.url, models: ['silent-model', 'mixed-model'] }),
          schedulerEntry({ id: 'up', url: up.url, models: ['mixed-model'] }),
        ],
      }),
    );
  });

  afterAll(async () => {
    await harness.stop();
    await up.stop();
    await blackhole.stop();
  });

  const post = (body: string) => fetch(`${harness.baseUrl}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });

  it('answers 504 once the connect timeout has passed, naming the timeout', async () => {
    const started = Date.now();
    const res = await post(chat('silent-model'));
    const elapsedMs = Date.now() - started;
    expect(res.status).toBe(504);
    expect(res.headers.get('x-switchyard-backend')).toBe('silent');
    const body = (await res.json()) as { error: { message: string; code: string } };
    validator.assertValid('ErrorResponse', body);
    expect(body.error).toMatchObject({ code: 'upstream_timeout', message: `Scheduler 'silent' did not accept a connection within ${CONNECT_TIMEOUT_MS} ms.` });
    // One attempt (no other scheduler serves the model): about one connect timeout, not the kernel's minutes of SYN retries.
    expect(elapsedMs).toBeGreaterThanOrEqual(CONNECT_TIMEOUT_MS - 20);
    expect(elapsedMs).toBeLessThan(CONNECT_TIMEOUT_MS + 2_000);
    const metrics = await (await fetch(`${harness.baseUrl}/metrics`)).text();
    expect(metrics).toMatch(/switchyard_gateway_upstream_errors_total\{scheduler="silent",kind="timeout"[^}]*\} [1-9]/);
  });

  it('moves to another scheduler after the connect timeout', async () => {
    for (let i = 0; i < 4; i++) {
      const res = await post(chat('mixed-model'));
      expect(res.status).toBe(200);
      expect(res.headers.get('x-switchyard-backend')).toBe('up');
    }
  });
});
