import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { PassThrough } from 'node:stream';
import type { SchedulerView } from '@switchyard/contracts';
import { createLogger } from '@switchyard/observability';
import { loadConfig } from '../config';
import { createControlPlane, type ControlPlane, type ControlPlaneDeps } from '../create-control-plane';
import type { GatewayView } from '../grpc/gateway-tracker';

/** Test-only: a control plane in-process on free ports, with its log lines captured. */
export interface Harness {
  controlPlane: ControlPlane;
  baseUrl: string;
  /** Every log line so far (debug level and up). */
  logs(): string;
  call(method: string, path: string, options?: CallOptions): Promise<CallResult>;
  stop(): Promise<void>;
}

export interface CallOptions {
  body?: unknown;
  /** Sent verbatim, for malformed JSON. */
  rawBody?: string;
  token?: string;
  headers?: Record<string, string>;
}

/** The admin answers the tests look into; anything else stays `unknown`. */
export interface AnswerBody {
  error?: { message: string; type: string; param: string | null; code: string | null };
  scheduler?: SchedulerView;
  schedulers?: SchedulerView[];
  removed?: string;
  gateways?: GatewayListing[];
  [key: string]: unknown;
}

export type GatewayListing = GatewayView & { lag: number | null };

export interface CallResult {
  status: number;
  body: AnswerBody;
  /** The raw text (for /metrics). */
  text: string;
  headers: Headers;
}

export async function startHarness(env: Record<string, string> = {}, deps: Partial<ControlPlaneDeps> = {}): Promise<Harness> {
  const parsed = loadConfig({ ADMIN_PORT: '0', GRPC_PORT: '0', SHUTDOWN_GRACE_MS: '2000', ...env });
  if (!parsed.ok) throw new Error(parsed.problems.join('; '));
  const stream = new PassThrough();
  let logs = '';
  stream.on('data', (chunk: Buffer) => (logs += chunk.toString()));
  const logger = createLogger({ service: 'control-plane', level: 'debug', stream });
  const controlPlane = createControlPlane(parsed.config, { logger, replicaId: 'test-replica', ...deps });
  await controlPlane.start();
  const baseUrl = `http://127.0.0.1:${controlPlane.adminPort}`;
  return {
    controlPlane,
    baseUrl,
    logs: () => logs,
    call: (method, path, options = {}) => call(baseUrl, method, path, options),
    stop: () => controlPlane.stop(),
  };
}

async function call(baseUrl: string, method: string, path: string, options: CallOptions): Promise<CallResult> {
  const headers: Record<string, string> = { ...options.headers };
  if (options.token !== undefined) headers.authorization = `Bearer ${options.token}`;
  let body: string | undefined = options.rawBody;
  if (options.body !== undefined) body = JSON.stringify(options.body);
  if (body !== undefined) headers['content-type'] ??= 'application/json';
  const response = await fetch(`${baseUrl}${path}`, { method, headers, body });
  const text = await response.text();
  const json = response.headers.get('content-type')?.includes('json') ? (JSON.parse(text) as AnswerBody) : {};
  return { status: response.status, body: json, text, headers: response.headers };
}

/** A tiny OpenAI-ish upstream that serves `GET /v1/models` (or fails, on demand). */
export interface FakeScheduler {
  url: string;
  port: number;
  /** Models to list; `undefined` makes /v1/models answer 500. */
  models: string[] | undefined;
  /** Authorization headers seen on /v1/models. */
  authorizations: (string | undefined)[];
  close(): Promise<void>;
}

/** `apiKey`: the key the fake's server was "started with": any other Authorization is answered 401, as vLLM and llama.cpp do. */
export async function startFakeScheduler(models: string[] | undefined, options: { apiKey?: string } = {}): Promise<FakeScheduler> {
  const fake = { models, authorizations: [] as (string | undefined)[] };
  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    // Health answered as vLLM does, so health probes never fall back to /v1/models
    // and show up among the discovery calls a test counts.
    if (req.url === '/health') {
      res.writeHead(200).end();
      return;
    }
    if (req.url !== '/v1/models') {
      res.writeHead(404).end();
      return;
    }
    fake.authorizations.push(req.headers.authorization);
    if (options.apiKey !== undefined && req.headers.authorization !== `Bearer ${options.apiKey}`) {
      res.writeHead(401, { 'content-type': 'application/json' }).end('{"error":{"code":401,"message":"Invalid API Key","type":"authentication_error"}}');
      return;
    }
    if (fake.models === undefined) {
      res.writeHead(500, { 'content-type': 'application/json' }).end('{"error":{"message":"down"}}');
      return;
    }
    const data = fake.models.map((id) => ({ id, object: 'model', created: 0, owned_by: 'test' }));
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ object: 'list', data }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return Object.assign(fake, {
    url: `http://127.0.0.1:${port}`,
    port,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  });
}
