import { readFileSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import { LISTEN_BACKLOG, listen } from './http-server';

/** More connections than Node's default backlog (511) holds. */
const BURST = 1500;
/** Linux retransmits a dropped SYN after 1 s; a burst that fits the queue connects well before. */
const FIRST_SYN_RETRY_MS = 1000;

function kernelBacklogCap(): number {
  try {
    return Number(readFileSync('/proc/sys/net/core/somaxconn', 'utf8'));
  } catch {
    return 0;
  }
}

/** Opens `count` connections in one synchronous loop, so all wait in the accept queue at once. */
function connectBurst(port: number, count: number): Promise<{ slowestMs: number; sockets: net.Socket[] }> {
  return new Promise((resolve, reject) => {
    const startedAt = performance.now();
    const sockets: net.Socket[] = [];
    let connected = 0;
    let slowestMs = 0;
    for (let i = 0; i < count; i += 1) {
      const socket = net.connect(port, '127.0.0.1', () => {
        slowestMs = Math.max(slowestMs, performance.now() - startedAt);
        connected += 1;
        if (connected === count) resolve({ slowestMs, sockets });
      });
      socket.once('error', reject);
      sockets.push(socket);
    }
  });
}

describe('listen', () => {
  const runIfKernelAllows = kernelBacklogCap() >= BURST ? it : it.skip;

  runIfKernelAllows(`queues a burst of ${BURST} connections without dropping SYNs (backlog ${LISTEN_BACKLOG}, not 511)`, async () => {
    const server = http.createServer();
    const port = await listen(server, 0, '127.0.0.1');
    try {
      const { slowestMs, sockets } = await connectBurst(port, BURST);
      sockets.forEach((socket) => socket.destroy());
      expect(slowestMs).toBeLessThan(FIRST_SYN_RETRY_MS * 0.8);
    } finally {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });
});
