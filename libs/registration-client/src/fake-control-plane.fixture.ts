import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One request the fake control plane received. */
export interface RecordedCall {
  method: string;
  url: string;
  authorization: string | undefined;
  body: Record<string, unknown> | undefined;
  at_ms: number;
}

export type Responder = (call: RecordedCall, res: ServerResponse) => void;

/**
 * Test fixture (excluded from the build): a stand-in for the control plane's admin API that records every call, for the
 * registration client's own tests (the real control plane has its own suite).
 * Default answers follow ARCHITECTURE.md: 201 new id, 200 same id again, 200/404 on remove.
 */
export interface FakeControlPlane {
  readonly calls: RecordedCall[];
  port: number;
  respondWith(responder: Responder | undefined): void;
  /** Forgets every registration, as a control plane restarted with in-memory state. */
  forget(): void;
  start(port?: number): Promise<number>;
  stop(): Promise<void>;
}

export function createFakeControlPlane(): FakeControlPlane {
  const calls: RecordedCall[] = [];
  const known = new Set<string>();
  let responder: Responder | undefined;
  let server: Server | undefined;

  function defaultResponder(call: RecordedCall, res: ServerResponse): void {
    if (call.method === 'POST') {
      const id = typeof call.body?.id === 'string' ? call.body.id : `generated-${known.size + 1}`;
      const status = known.has(id) ? 200 : 201;
      known.add(id);
      return json(res, status, { scheduler: { id, url: call.body?.url } });
    }
    const id = new URL(call.url, 'http://x').searchParams.get('id') ?? '';
    if (!known.delete(id)) return json(res, 404, { error: { message: 'unknown', type: 'invalid_request_error', param: 'id', code: 'not_found' } });
    json(res, 200, { removed: id });
  }

  async function onRequest(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const text = Buffer.concat(chunks).toString();
    const call: RecordedCall = {
      method: req.method ?? '',
      url: req.url ?? '',
      authorization: req.headers.authorization,
      body: text ? (JSON.parse(text) as Record<string, unknown>) : undefined,
      at_ms: Date.now(),
    };
    calls.push(call);
    (responder ?? defaultResponder)(call, res);
  }

  const fake: FakeControlPlane = {
    calls,
    port: 0,
    respondWith: (r) => void (responder = r),
    forget: () => known.clear(),
    async start(port = 0) {
      const created = createServer((req, res) => void onRequest(req, res));
      server = created;
      await new Promise<void>((resolve, reject) => created.once('error', reject).listen(port, '127.0.0.1', () => resolve()));
      fake.port = (created.address() as AddressInfo).port;
      return fake.port;
    },
    async stop() {
      if (!server) return;
      const closing = server;
      server = undefined;
      closing.closeAllConnections();
      await new Promise<void>((resolve) => closing.close(() => resolve()));
    },
  };
  return fake;
}

function json(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
}
