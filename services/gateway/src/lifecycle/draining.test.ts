import http from 'node:http';
import net from 'node:net';
import { routingTable, schedulerEntry, startFakeUpstream, startGatewayHarness, type FakeUpstream, type FakeUpstreamOptions, type GatewayHarness } from '../testing';

// Shutdown: streams in flight finish; a request that arrives on a kept-alive
// connection while the gateway drains gets 503 + `connection: close` (written on
// the busy connection once shutdown has begun); new connections are refused.

/** A gateway (5 s shutdown grace) routing model `m` to one fake upstream; each test stops the gateway itself. */
async function startShutdownFixture(options: FakeUpstreamOptions): Promise<{ upstream: FakeUpstream; harness: GatewayHarness; stop(): Promise<void> }> {
  const upstream = await startFakeUpstream(options);
  const harness = await startGatewayHarness({ SHUTDOWN_GRACE_MS: '5000' });
  await harness.applyTable(
routingTable({ version: 1, schedulers: [schedulerEntry({ id: 's', url: upstream.url, models: ['m'] })] }));
  return {
    upstream,
    harness,
    async stop() {
      await harness.stop();
      await upstream.stop();
    },
  };
}

const STREAM = JSON.stringify({ model: 'm', messages: [{ role: 'user', content: 'hi' }], stream: true });

function post(path: string, body: string): string {
  return `POST ${path} HTTP/1.1\r\nhost: gw\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\n\r\n${body}`;
}

/** Sends `first`; on its first response bytes calls `onFirstBytes` and sends `second`; returns all read until the close. */
function twoOnOneConnection(port: number, first: string, second: string, onFirstBytes: () => void): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1', () => socket.write(first));
    let text = '';
    socket.on('data', (chunk) => {
      if (text === '') {
        onFirstBytes();
        socket.write(second);
      }
      text += chunk.toString();
    });
    socket.on('close', () => resolve(text));
    socket.on('error', reject);
  });
}

describe('gateway graceful shutdown', () => {
  let fixture: Awaited<ReturnType<typeof startShutdownFixture>>;
  beforeAll(async () => {
    fixture = await startShutdownFixture({ streamChunks: 10, chunkIntervalMs: 30 });
  });
  afterAll(() => fixture.stop());

  it('lets an open stream finish, refuses new connections, then stops', async () => {
    const { harness } = fixture;
    const agent = new http.Agent({ keepAlive: true });
    let stopped: Promise<void> | undefined;
    const body = await new Promise<string>((resolve, reject) => {
      const req = http.request(`${harness.baseUrl}/v1/chat/completions`, { method: 'POST', agent, headers: { 'content-type': 'application/json' } }, (res) => {
        let text = '';
        res.on('data', (chunk: Buffer) => {
          text += chunk.toString();
          stopped ??= harness.gateway.stop();
        });
        res.on('end', () => resolve(text));
      });
      req.on('error', reject);
      req.end(STREAM);
    });
    expect(body.match(/^data: \{/gm)).toHaveLength(10);
    expect(body.endsWith('data: [DONE]\n\n')).toBe(true);
    await expect(fetch(`${harness.baseUrl}/health`)).rejects.toThrow();
    const started = Date.now();
    await stopped;
    expect(Date.now() - started).toBeLessThan(1_000);
    agent.destroy();
  });
});

describe('gateway draining on shutdown', () => {
  let fixture: Awaited<ReturnType<typeof startShutdownFixture>>;
  beforeAll(async () => {
    fixture = await startShutdownFixture({ streamChunks: 8, chunkIntervalMs: 40 });
  });
  afterAll(() => fixture.stop());

  it('finishes the stream in flight, refuses the next requests on its connections, then stops', async () => {
    const { harness, upstream } = fixture;
    const port = harness.gateway.port;
    let stopped: Promise<void> | undefined;
    const begin = () => {
      stopped ??= harness.gateway.stop();
    };
    const [chat, ready] = await Promise.all([
      twoOnOneConnection(port, post('/v1/chat/completions', STREAM), post('/v1/chat/completions', STREAM), begin),
      twoOnOneConnection(port, post('/v1/chat/completions', STREAM), 'GET /ready HTTP/1.1\r\nhost: gw\r\n\r\n', begin),
    ]);
    for (const text of [chat, ready]) {
      expect(text.match(/^data: \{"id"/gm)).toHaveLength(8);
      expect(text).toContain('data: [DONE]\n\n');
    }
    const refused = chat.slice(chat.indexOf('data: [DONE]'));
    expect(refused).toMatch(/^HTTP\/1\.1 503 /m);
    expect(refused).toMatch(/^connection: close\r$/im);
    expect(refused).toContain('"code":"shutting_down"');
    expect(refused).toMatch(/^retry-after: 1\r$/im);
    const readiness = ready.slice(ready.indexOf('data: [DONE]'));
    expect(readiness).toMatch(/^HTTP\/1\.1 503 /m);
    expect(readiness).toContain('"code":"not_ready"');
    expect(readiness).toMatch(/^retry-after: 1\r$/im);
    const started = Date.now();
    await stopped;
    expect(Date.now() - started).toBeLessThan(1_000);
    expect(upstream.requests).toHaveLength(2);
  });
});
