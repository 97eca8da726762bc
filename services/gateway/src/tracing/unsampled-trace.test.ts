import type { IncomingMessage, OutgoingHttpHeaders } from 'node:http';
import type { UpstreamTarget } from '../proxy/upstream-pool';
import { createTracing } from './create-tracing';

// Issue 20, tracing on at a low sampling ratio: the unsampled majority must cost
// little and still pass the client's trace on to the engine.

const CLIENT_TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';
const upstream = { hostname: '127.0.0.1', port: 9001, schedulerId: 'sim-1' } as UpstreamTarget;
const request = (headers: Record<string, string>) => ({ method: 'POST', url: '/v1/chat/completions', headers }) as unknown as IncomingMessage;

describe('an unsampled request', () => {
  const tracing = createTracing({ url: 'http://127.0.0.1:9/v1/traces', protocol: 'http/json', serviceName: 'test', sampler: 'traceidratio', ratio: 0 });
  afterAll(() => tracing.stop());

  it('sends upstream the client trace id (and its tracestate) with the sampled flag off', () => {
    const trace = tracing.requestStarted(request({ traceparent: `00-${CLIENT_TRACE}-00f067aa0ba902b7-01`, tracestate: 'vendor=1' }), 'chat_completions', 'r1');
    const headers: OutgoingHttpHeaders = { tracestate: 'copied-as-sent=1' };
    trace.attemptStarted(upstream, 'm', 1, headers);
    expect(headers.traceparent).toMatch(new RegExp(`^00-${CLIENT_TRACE}-[0-9a-f]{16}-00$`));
    expect(headers.traceparent).not.toContain('00f067aa0ba902b7');
    // W3C: the tracestate travels with the trace context, not as the client's header was copied.
    expect(headers.tracestate).toBe('vendor=1');
  });

  it('starts a trace of its own without a client traceparent; every attempt carries the same one', () => {
    const trace = tracing.requestStarted(request({}), 'embeddings', 'r2');
    const first: OutgoingHttpHeaders = {};
    const second: OutgoingHttpHeaders = {};
    trace.attemptStarted(upstream, 'm', 1, first);
    trace.attemptStarted(upstream, 'm', 2, second);
    expect(first.traceparent).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-00$/);
    expect(second.traceparent).toBe(first.traceparent);
  });
});
