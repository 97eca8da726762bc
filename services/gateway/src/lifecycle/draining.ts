import type { IncomingMessage, ServerResponse } from 'node:http';
import { serviceUnavailable } from '@switchyard/contracts';
import { requestIdFrom } from '@switchyard/observability';
import { writeApiError } from '../pipeline/error-response';
import { canonicalPath, pathOf } from '../http/route-path';

/** Paths still answered while draining: probes and scrapes (`/ready` answers 503 by itself). */
const OPS_PATHS = new Set(['/health', '/ready', '/metrics']);

/**
 * Shutdown step 2 (docs/resilience.md): the listener is closed, but a client may
 * still send a new request on a kept-alive connection. It gets a quick 503 with
 * `connection: close` (OpenAI SDKs retry a 503 on a new connection, which the
 * load balancer sends to another gateway); requests already in flight are not
 * touched. Returns true when it answered.
 */
export function refuseWhileDraining(req: IncomingMessage, res: ServerResponse): boolean {
  if (OPS_PATHS.has(canonicalPath(pathOf(req.url ?? '/')))) return false;
  res.shouldKeepAlive = false;
  writeApiError(res, serviceUnavailable('The gateway is shutting down; retry on a new connection.', 'shutting_down'), requestIdFrom(req.headers['x-request-id']));
  // The request body is not read: drop it rather than keep the socket for it.
  req.resume();
  return true;
}
