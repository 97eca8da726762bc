/**
 * W3C Trace Context `traceparent` (https://www.w3.org/TR/trace-context/#traceparent-header):
 * `version-traceid-parentid-flags`, lowercase hex. Version 00 has exactly four fields;
 * a later version may append more; `ff` is invalid, and so are all-zero ids.
 */
const TRACEPARENT = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-[0-9a-f]{2}(-[^]*)?$/;
const ZERO_TRACE_ID = '0'.repeat(32);
const ZERO_SPAN_ID = '0'.repeat(16);

/**
 * Whether a client's `traceparent` may go upstream as sent. A malformed one (or a
 * repeated header) is dropped: the scheduler then starts its own trace instead of
 * joining garbage (issue 20).
 */
export function isValidTraceparent(value: string | string[] | number | undefined): boolean {
  if (typeof value !== 'string') return false;
  const match = TRACEPARENT.exec(value.trim());
  if (!match) return false;
  const [, version, traceId, spanId, rest] = match;
  if (version === 'ff' || traceId === ZERO_TRACE_ID || spanId === ZERO_SPAN_ID) return false;
  return version !== '00' || rest === undefined;
}

/** Removes the trace context headers from an outgoing set (tracestate means nothing without its traceparent). */
export function dropTraceContext(headers: Record<string, unknown>): void {
  delete headers.traceparent;
  delete headers.tracestate;
}
