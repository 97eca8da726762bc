import { randomBytes } from 'node:crypto';
import { requestIdFrom } from '@switchyard/observability';

/**
 * Request ids in the shape requestIdFrom gives (`req_` + 32 hex digits). A client's
 * sane x-request-id is kept; otherwise the id is a random per-process prefix plus a
 * counter: as unique as a random UUID, without drawing and formatting 16 random
 * bytes per request on the hot path.
 */
export function createRequestIds(): (header: string | string[] | undefined) => string {
  const prefix = randomBytes(8).toString('hex');
  let counter = 0;
  return (header) => (header !== undefined ? requestIdFrom(header) : `req_${prefix}${(counter++).toString(16).padStart(16, '0')}`);
}
