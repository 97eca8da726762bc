import net from 'node:net';
import { waitFor } from '@switchyard/testing';
import { routingTable, schedulerEntry, startFakeUpstream, startGatewayHarness, type FakeUpstream, type GatewayHarness } from '../testing';

// Shutdown: a request that arrives on a kept-alive connection while the gateway
// drains gets 503 + `connection: close`; the request in flight on it finishes.
// The second request is written on the busy connection once shutdown has begun.

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

describe('gateway draining on shutdown', () => {
  let upstream: FakeUpstream;
  let harness: GatewayHarness;

  beforeAll(async () => {
    upstream = await startFakeUpstream({ streamChunks: 8, chunkIntervalMs: 40 });
    harness = await startGatewayHarness({ SHUTDOWN_GRACE_MS: '5000' });
    harness.controlPlane.push(routingTable({ version: 1, schedulers: [schedulerEntry({ id: 's', url: upstream.url, models: ['m'] })] }));
    await waitFor(() => harness.gateway.store.current(), 5_000, 10, 'table');
  });

  afterAll(async () => {
    await harness.stop();
    await upstream.stop();
  });

  it('finishes the stream in flight, refuses the next requests on its connections, then stops', async () => {
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
    const readiness = ready.slice(ready.indexOf('data: [DONE]'));
    expect(readiness).toMatch(/^HTTP\/1\.1 503 /m);
    expect(readiness).toContain('"code":"not_ready"');
    const started = Date.now();
    await stopped;
    expect(Date.now() - started).toBeLessThan(1_000);
    expect(upstream.requests).toHaveLength(2);
  });
});
