import { clientResponseHeaders, upstreamRequestHeaders } from './headers';

describe('proxy headers', () => {
  it('drops client credentials and hop-by-hop headers, sets its own', () => {
    const headers = upstreamRequestHeaders(
      { host: 'gw', authorization: 'Bearer sk-client', connection: 'keep-alive, x-hop', 'x-hop': '1', 'keep-alive': 'timeout=5', 'content-length': '99', 'user-agent': 'OpenAI/JS', 'x-request-id': 'old', te: 'trailers' },
      'sched:9001',
      42,
      'req-1',
      'sched-key',
    );
    expect(headers).toEqual({ 'user-agent': 'OpenAI/JS', host: 'sched:9001', 'content-length': 42, 'x-request-id': 'req-1', authorization: 'Bearer sched-key' });
    expect(upstreamRequestHeaders({ authorization: 'Bearer sk-client' }, 'h', 0, 'r', '')).not.toHaveProperty('authorization');
  });

  it('copies response headers minus hop-by-hop ones, keeps repeats, drops content-length of streams', () => {
    const raw = ['Content-Type', 'text/event-stream', 'Content-Length', '10', 'Connection', 'keep-alive', 'Set-Cookie', 'a=1', 'Set-Cookie', 'b=2', 'Transfer-Encoding', 'chunked', 'X-Request-Id', 'theirs'];
    expect(clientResponseHeaders(raw, true, 'req-1', 'sched-a')).toEqual([
      'Content-Type', 'text/event-stream', 'Set-Cookie', 'a=1', 'Set-Cookie', 'b=2', 'x-request-id', 'req-1', 'x-switchyard-backend', 'sched-a',
    ]);
    expect(clientResponseHeaders(['Content-Length', '10'], false, 'r', 's')).toEqual(['Content-Length', '10', 'x-request-id', 'r', 'x-switchyard-backend', 's']);
  });

  it('never relays an upstream header in the gateway namespace', () => {
    const raw = ['X-Switchyard-Route', '{"chosen":"forged"}', 'x-switchyard-backend', 'forged', 'Content-Type', 'application/json'];
    expect(clientResponseHeaders(raw, false, 'r', 's')).toEqual(['Content-Type', 'application/json', 'x-request-id', 'r', 'x-switchyard-backend', 's']);
  });

  it('drops upstream CORS, server and proxy-* headers: the gateway owns them (issue 21)', () => {
    const raw = ['Access-Control-Allow-Origin', 'http://evil.example', 'access-control-allow-credentials', 'true', 'Server', 'llama.cpp', 'Proxy-Status', 'x', 'Keep-Alive', 'timeout=5', 'Content-Type', 'application/json'];
    expect(clientResponseHeaders(raw, false, 'r', 's')).toEqual(['Content-Type', 'application/json', 'x-request-id', 'r', 'x-switchyard-backend', 's']);
  });

  it("keeps the gateway's own header when the upstream sends one of the same name", () => {
    const own = new Set(['x-should-retry', 'vary']);
    const res = { hasHeader: (name: string) => own.has(name) };
    const raw = ['X-Should-Retry', 'true', 'Vary', 'Accept-Encoding', 'Retry-After', '3'];
    expect(clientResponseHeaders(raw, false, 'r', 's', res)).toEqual(['Retry-After', '3', 'x-request-id', 'r', 'x-switchyard-backend', 's']);
  });
});
