import http from 'node:http';
import { waitFor } from '@switchyard/testing';
import { routingTable, schedulerEntry, startFakeUpstream, startGatewayHarness, type FakeUpstream, type GatewayHarness } from './testing';

describe('gateway graceful shutdown', () => {
  let upstream: FakeUpstream;
  let harness: GatewayHarness;

  beforeAll(async () => {
    upstream = await startFakeUpstream({ streamChunks: 10, chunkIntervalMs: 30 });
    harness = await startGatewayHarness({ SHUTDOWN_GRACE_MS: '5000' });
    harness.controlPlane.push(routingTable({ version: 1, schedulers: [schedulerEntry({ id: 's', url: upstream.url, models: ['m'] })] }));
    await waitFor(() => harness.gateway.store.current(), 5_000, 10, 'table');
  });

  afterAll(async () => {
    await harness.stop();
    await upstream.stop();
  });

  it('lets an open stream finish, refuses new connections, then stops', async () => {
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
      req.end(JSON.stringify({ model: 'm', messages: [{ role: 'user', content: 'hi' }], stream: true }));
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
