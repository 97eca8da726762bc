import net from 'node:net';
import { waitFor } from '@switchyard/testing';
import { startGatewayHarness, type GatewayHarness } from '../testing';

// A connection that never sent a byte must not hold shutdown for SHUTDOWN_GRACE_MS:
// Node counts it as waiting for headers, so closeIdleConnections() skips it.

describe('shutdown with a spare, unused client connection', () => {
  let harness: GatewayHarness;

  beforeAll(async () => {
    harness = await startGatewayHarness({ SHUTDOWN_GRACE_MS: '20000' });
  });

  afterAll(async () => {
    await harness.stop();
  });

  it('closes it at once and stops without waiting for the grace period', async () => {
    const socket = net.connect(harness.gateway.port, '127.0.0.1');
    await new Promise((resolve) => socket.once('connect', resolve));
    const closed = new Promise((resolve) => socket.once('close', resolve));
    socket.on('error', () => undefined);
    await waitFor(async () => (await fetch(`${harness.baseUrl}/health`)).ok, 2_000, 10, 'gateway up');
    const started = Date.now();
    await harness.gateway.stop();
    expect(Date.now() - started).toBeLessThan(2_000);
    await closed;
  });
});
