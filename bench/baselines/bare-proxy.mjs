/**
 * The floor any Node gateway pays: a node:http server that pipes each request to the
 * upstream through a keep-alive agent and pipes the answer back, nothing else (no
 * body parsing, no routing, no logging). Streams pass through as they arrive.
 *
 * Run: node bench/baselines/bare-proxy.mjs --upstream=http://127.0.0.1:PORT [--port=0]
 */
import http from 'node:http';
import { announceAndAwaitSignals, isMain, listenWithBacklog, parseFlags } from '../lib/flags.mjs';
import { EVENT_LOOP_PATH, createEventLoopProbe } from '../lib/event-loop-probe.mjs';

/**
 * @param {{upstream: string, port?: number, host?: string}} options
 * @returns {{start(): Promise<number>, stop(): Promise<void>}}
 */
export function createBareProxy(options) {
  const upstream = new URL(options.upstream);
  const agent = new http.Agent({ keepAlive: true, maxSockets: Infinity, maxFreeSockets: 1024 });
  const probe = createEventLoopProbe();
  const server = http.createServer((req, res) => {
    if (req.url === EVENT_LOOP_PATH) return void res.end(probe.read());
    const upstreamReq = http.request({
      host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers: req.headers, agent,
    }, (upstreamRes) => {
      res.writeHead(upstreamRes.statusCode ?? 502, upstreamRes.headers);
      upstreamRes.pipe(res);
    });
    upstreamReq.on('error', () => {
      if (!res.headersSent) res.writeHead(502);
      res.end();
    });
    req.pipe(upstreamReq);
  });
  server.keepAliveTimeout = 120_000;
  server.headersTimeout = 130_000;
  return {
    start: () => listenWithBacklog(server, options.port ?? 0, options.host ?? '127.0.0.1'),
    stop: () => new Promise((resolve) => {
      probe.stop();
      agent.destroy();
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}

if (isMain(import.meta.url)) {
  const flags = parseFlags(process.argv.slice(2));
  if (!flags.upstream) throw new Error('--upstream=http://host:port is required');
  const proxy = createBareProxy({ upstream: flags.upstream, port: Number(flags.port ?? 0) });
  announceAndAwaitSignals(await proxy.start(), proxy.stop);
}
