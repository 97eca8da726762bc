import http from 'node:http';
import type { AddressInfo } from 'node:net';

/** One OTLP/HTTP export as a receiver got it. */
export interface ReceivedExport {
  contentType: string;
  body: Buffer;
}

/** A span of an OTLP/JSON export (the fields the tests read). */
export interface JsonSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  kind: number;
  attributes: Array<{ key: string; value: { stringValue?: string; intValue?: string | number; doubleValue?: number; boolValue?: boolean } }>;
  status?: { code?: number };
}

/** A real OTLP/HTTP receiver (POST /v1/traces) on 127.0.0.1 that keeps every export (test helper). */
export async function startOtlpReceiver(): Promise<{ url: string; exports: ReceivedExport[]; spans(): JsonSpan[]; stop(): Promise<void> }> {
  const exports: ReceivedExport[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      if (req.url === '/v1/traces') exports.push({ contentType: req.headers['content-type'] ?? '', body: Buffer.concat(chunks) });
      res.writeHead(req.url === '/v1/traces' ? 200 : 404, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    exports,
    /** Every span of the JSON exports received so far. */
    spans: () =>
      exports
        .filter((e) => e.contentType.startsWith('application/json'))
        .flatMap((e) => (JSON.parse(e.body.toString('utf8')) as { resourceSpans: Array<{ scopeSpans: Array<{ spans: JsonSpan[] }> }> }).resourceSpans)
        .flatMap((r) => r.scopeSpans.flatMap((s) => s.spans)),
    stop: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/** A span attribute's value as a plain JS value. */
export function attributeOf(span: JsonSpan, key: string): string | number | boolean | undefined {
  const value = span.attributes.find((a) => a.key === key)?.value;
  if (value === undefined) return undefined;
  if (value.intValue !== undefined) return Number(value.intValue);
  return value.stringValue ?? value.doubleValue ?? value.boolValue;
}
