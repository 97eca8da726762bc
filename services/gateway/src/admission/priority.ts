import type { IncomingHttpHeaders } from 'node:http';
import { invalidRequest, type ApiError } from '@switchyard/contracts';
import { PRIORITY_CLASSES, type PriorityClass } from '@switchyard/proto';

/** Request header that may lower, never raise, the class of the request's key (issue 19). */
export const PRIORITY_HEADER = 'x-switchyard-priority';

/**
 * The class a request queues in: its key's (`standard` for an older control
 * plane's '' and without keys), or the header's when that is lower. A header
 * asking for a higher class is ignored (the key's class applies): a batch job
 * cannot claim to be interactive. An unknown value is a 400, so a typo does not
 * silently queue a request in a class its sender did not mean.
 */
export function requestPriority(keyClass: PriorityClass | '' | undefined, headers: IncomingHttpHeaders): PriorityClass | ApiError {
  const base: PriorityClass = keyClass === undefined || keyClass === '' ? 'standard' : keyClass;
  const raw = headers[PRIORITY_HEADER];
  if (raw === undefined) return base;
  const asked = (Array.isArray(raw) ? raw[0]! : raw).trim().toLowerCase() as PriorityClass;
  const rank = PRIORITY_CLASSES.indexOf(asked);
  if (rank < 0) return invalidRequest(`Header ${PRIORITY_HEADER} must be one of ${PRIORITY_CLASSES.join(', ')}.`, null, 'invalid_priority');
  return rank > PRIORITY_CLASSES.indexOf(base) ? asked : base;
}
