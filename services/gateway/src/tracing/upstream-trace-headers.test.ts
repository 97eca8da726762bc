import { upstreamRequestHeaders } from '../proxy/headers';

// Issue 20, with tracing off: a client's malformed trace context never goes upstream as sent.
describe('trace context headers sent upstream', () => {
  const headersFor = (client: Record<string, string>) => upstreamRequestHeaders(client, 'up:1', 2, 'req-1', '');

  it('forwards a valid traceparent and its tracestate unchanged', () => {
    const sent = headersFor({ traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01', tracestate: 'a=b' });
    expect(sent.traceparent).toBe('00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01');
    expect(sent.tracestate).toBe('a=b');
  });

  it('drops a malformed traceparent together with its tracestate', () => {
    const sent = headersFor({ traceparent: '00-zzzz-not-a-trace-01', tracestate: 'a=b', 'x-other': '1' });
    expect('traceparent' in sent).toBe(false);
    expect('tracestate' in sent).toBe(false);
    expect(sent['x-other']).toBe('1');
  });
});
