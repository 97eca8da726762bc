import type { Server } from 'node:http';
import type { Socket } from 'node:net';

/**
 * Connections that were opened but never carried a byte: HTTP clients open spare
 * ones (undici, behind fetch and the OpenAI SDK, does after an aborted request).
 * Node counts them as waiting for request headers, so `closeIdleConnections()`
 * leaves them and `server.close()` would wait the whole SHUTDOWN_GRACE_MS for them.
 * Tracked per connection (not per request), so the hot path pays nothing.
 */
export interface UnusedConnections {
  /** Destroys every connection that has not sent a byte yet (shutdown step 2). */
  close(): void;
}

export function trackUnusedConnections(server: Server): UnusedConnections {
  const open = new Set<Socket>();
  server.on('connection', (socket: Socket) => {
    open.add(socket);
    socket.once('close', () => open.delete(socket));
  });
  return {
    close() {
      // A TLS handshake counts as bytes: such spare connections wait for the grace period, as before.
      for (const socket of open) if (socket.bytesRead === 0) socket.destroy();
    },
  };
}
