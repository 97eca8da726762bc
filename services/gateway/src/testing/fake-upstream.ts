import http, { type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { chatChunk, chatCompletion, completion, embeddings } from './openai-payloads';

/** A request as the fake upstream saw it. */
export interface RecordedRequest {
  readonly method: string;
  readonly url: string;
  readonly headers: IncomingHttpHeaders;
  body: Buffer;
  /** Parsed JSON body (undefined when not JSON). */
  json?: Record<string, unknown>;
  readonly receivedAtMs: number;
  /** Set when the connection closed before the response finished (client or gateway gave up). */
  abortedAtMs?: number;
}

export type UpstreamHandler = (request: RecordedRequest, res: ServerResponse, req: IncomingMessage) => void;

export interface FakeUpstreamOptions {
  /** Streamed chat answers: number of chunks and the gap between them. */
  streamChunks?: number;
  chunkIntervalMs?: number;
}

/** A real OpenAI-compatible HTTP server that records every request (test helper). */
export interface FakeUpstream {
  readonly url: string;
  readonly port: number;
  readonly requests: RecordedRequest[];
  /** Replaces the answer for the following requests; undefined restores the default. */
  setHandler(handler: UpstreamHandler | undefined): void;
  stop(): Promise<void>;
}

export async function startFakeUpstream(options: FakeUpstreamOptions = {}): Promise<FakeUpstream> {
  const requests: RecordedRequest[] = [];
  const fallback = openAiResponder(options);
  let handler: UpstreamHandler = fallback;
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const recorded: RecordedRequest = { method: req.method ?? '', url: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks), receivedAtMs: Date.now() };
      try {
        recorded.json = JSON.parse(recorded.body.toString('utf8')) as Record<string, unknown>;
      } catch {
        recorded.json = undefined;
      }
      requests.push(recorded);
      res.once('close', () => {
        if (!res.writableFinished) recorded.abortedAtMs = Date.now();
      });
      handler(recorded, res, req);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    requests,
    setHandler: (next) => void (handler = next ?? fallback),
    stop: () =>
      new Promise((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/** The default answers: valid OpenAI bodies per endpoint; chat streams as SSE when asked. */
export function openAiResponder(options: FakeUpstreamOptions = {}): UpstreamHandler {
  return (request, res) => {
    const model = typeof request.json?.model === 'string' ? request.json.model : 'unknown';
    if (request.url.endsWith('/chat/completions') && request.json?.stream === true) {
      return streamChat(res, model, options.streamChunks ?? 5, options.chunkIntervalMs ?? 5);
    }
    const input = request.json?.input;
    const body = request.url.endsWith('/chat/completions')
      ? chatCompletion(model)
      : request.url.endsWith('/embeddings')
        ? embeddings(model, Array.isArray(input) ? input.length : 1)
        : completion(model);
    const text = JSON.stringify(body);
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
    res.end(text);
  };
}

/** Streams `count` chat chunks `intervalMs` apart, then `data: [DONE]`. */
export function streamChat(res: ServerResponse, model: string, count: number, intervalMs: number): void {
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
  let sent = 0;
  const next = () => {
    if (res.destroyed) return;
    if (sent === count) return void res.end('data: [DONE]\n\n');
    res.write(chatChunk(model, sent, sent === count - 1));
    sent += 1;
    setTimeout(next, intervalMs);
  };
  next();
}
