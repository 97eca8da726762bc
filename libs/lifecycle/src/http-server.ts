import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * Accept-queue length asked of the kernel (which caps it at net.core.somaxconn).
 * Node's default of 511 overflows when a few thousand clients connect within a
 * second (a reconnect storm after a restart, a burst of new streams); the kernel
 * then drops their SYNs and each retries after 1, 3, 7, 15 s, which shows up as
 * seconds of time to first byte on a process that is not busy at all.
 */
export const LISTEN_BACKLOG = 4096;

/** Listens and resolves with the bound port (0 picks a free one). */
export function listen(server: Server, port: number, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen({ port, host, backlog: LISTEN_BACKLOG }, () => {
      server.off('error', reject);
      resolve((server.address() as AddressInfo).port);
    });
  });
}

/** How often shutdown closes keep-alive connections that have gone quiet. */
const IDLE_SWEEP_MS = 50;

/**
 * Stops accepting connections, lets in-flight requests finish for up to `graceMs`,
 * then destroys what is left. Node's close() ends only the connections idle at
 * that moment; a keep-alive connection whose response finishes later would hold
 * close() until the client's keep-alive timeout, so idle connections are swept
 * every 50 ms while draining and clients reconnect elsewhere.
 */
export function closeGracefully(server: Server, graceMs: number): Promise<void> {
  if (!server.listening) return Promise.resolve();
  return new Promise((resolve) => {
    const sweeper = setInterval(() => server.closeIdleConnections(), IDLE_SWEEP_MS);
    const deadline = setTimeout(() => server.closeAllConnections(), graceMs);
    sweeper.unref();
    deadline.unref();
    server.close(() => {
      clearInterval(sweeper);
      clearTimeout(deadline);
      resolve();
    });
    server.closeIdleConnections();
  });
}
