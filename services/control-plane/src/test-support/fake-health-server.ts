import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** Test-only: a scheduler whose /health, /v1/models and /metrics answers the test sets. */
export interface FakeHealthServer {
  url: string;
  port: number;
  /** Status of GET /health; 'hang' never answers. */
  health: number | 'hang';
  /** Status of GET /v1/models. */
  models: number;
  /** Body of GET /metrics; undefined answers 404. */
  metrics: string | undefined;
  /** Paths requested so far, in order. */
  requests: string[];
  /** Authorization headers seen. */
  authorizations: (string | undefined)[];
  /** TCP connections accepted so far (keep-alive reuse check). */
  connections(): number;
  close(): Promise<void>;
}

export async function startFakeHealthServer(port = 0): Promise<FakeHealthServer> {
  let connections = 0;
  const fake = { health: 200 as number | 'hang', models: 200, metrics: undefined as string | undefined, requests: [] as string[], authorizations: [] as (string | undefined)[] };
  const server: Server = createServer((req, res) => {
    fake.requests.push(req.url ?? '');
    fake.authorizations.push(req.headers.authorization);
    if (req.url === '/health') {
      if (fake.health !== 'hang') res.writeHead(fake.health, { 'content-type': 'application/json' }).end('{"status":"x"}');
      return;
    }
    if (req.url === '/v1/models') {
      res.writeHead(fake.models, { 'content-type': 'application/json' }).end('{"object":"list","data":[{"id":"m"}]}');
      return;
    }
    if (req.url === '/metrics' && fake.metrics !== undefined) {
      res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' }).end(fake.metrics);
      return;
    }
    res.writeHead(404).end();
  });
  server.on('connection', () => (connections += 1));
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  const bound = (server.address() as AddressInfo).port;
  return Object.assign(fake, {
    url: `http://127.0.0.1:${bound}`,
    port: bound,
    connections: () => connections,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  });
}

/** A load report in the sim's Prometheus names. */
export function simMetrics(running: number, waiting: number, kv = 0): string {
  return `# TYPE sim_running_requests gauge\nsim_running_requests ${running}\nsim_waiting_requests ${waiting}\nsim_kv_cache_usage_ratio ${kv}\n`;
}
