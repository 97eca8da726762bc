import http from 'node:http';
import net, { type AddressInfo } from 'node:net';
import { startStack, type Stack } from './stack';

// Issue 21 item 5 end to end: an engine with few HTTP threads (llama.cpp: a thread
// per connection, a kept-alive connection closed after 5 requests) behind a gateway
// carrying 12 streams. Uncapped, the gateway opens a connection per stream, the
// engine queues them, and the control plane's probe, reconnecting after its socket
// was closed, waits behind the queue. With max_concurrency 3 the gateway keeps 3
// connections and a thread is left for the probe.

const THREADS = 4;
const STREAM_MS = 2_500;
const PROBE_INTERVAL_MS = 200;

interface ThreadLimited {
  url: string;
  /** Arrival times of GET /health. */
  probes: number[];
  /** Longest time a connection waited for a thread (ms). */
  longestQueuedMs: number;
  close(): Promise<void>;
}

async function startThreadLimited(): Promise<ThreadLimited> {
  const probes: number[] = [];
  const server = http.createServer((req, res) => {
    if (req.url === '/health') {
      probes.push(Date.now());
      return void res.writeHead(200, { 'content-type': 'application/json' }).end('{"status":"ok"}');
    }
    // Registration asks the engine its models, as the gateway will call it (issue 21).
    if (req.url === '/v1/models') return void res.writeHead(200, { 'content-type': 'application/json' }).end('{"object":"list","data":[{"id":"capped-model"},{"id":"uncapped-model"}]}');
    if (req.url === '/metrics') return void res.writeHead(200, { 'content-type': 'text/plain' }).end('llamacpp:requests_processing 0\nllamacpp:requests_deferred 0\n');
    req.resume();
    req.on('end', () => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      const timer = setInterval(() => res.write(`data: ${JSON.stringify({ object: 'chat.completion.chunk', choices: [{ index: 0, delta: { content: 'x' } }] })}\n\n`), 100);
      setTimeout(() => {
        clearInterval(timer);
        res.end('data: [DONE]\n\n');
      }, STREAM_MS);
      res.on('close', () => clearInterval(timer));
    });
  });
  server.maxRequestsPerSocket = 5;
  const queue: { socket: net.Socket; atMs: number }[] = [];
  let active = 0;
  const state = { longestQueuedMs: 0 };
  const admit = (socket: net.Socket) => {
    active += 1;
    socket.once('close', () => {
      active -= 1;
      const next = queue.shift();
      if (!next || next.socket.destroyed) return;
      state.longestQueuedMs = Math.max(state.longestQueuedMs, Date.now() - next.atMs);
      admit(next.socket);
    });
    server.emit('connection', socket);
  };
  const tcp = net.createServer((socket) => {
    if (active < THREADS) return admit(socket);
    queue.push({ socket, atMs: Date.now() });
  });
  await new Promise<void>((resolve) => tcp.listen(0, '127.0.0.1', resolve));
  return Object.assign(state, {
    url: `http://127.0.0.1:${(tcp.address() as AddressInfo).port}`,
    probes,
    close: async () => {
      for (const queued of queue) queued.socket.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => tcp.close(() => resolve()));
    },
  });
}

/** The longest gap between probes that arrived in [from, to]. */
function longestGap(probes: number[], from: number, to: number): number {
  const times = [from, ...probes.filter((t) => t > from && t < to), to];
  return Math.max(...times.slice(1).map((t, i) => t - times[i]!));
}

describe('health probes under saturating traffic (llama.cpp-like thread limit)', () => {
  let stack: Stack;
  const engines: Record<string, ThreadLimited> = {};

  beforeAll(async () => {
    engines.capped = await startThreadLimited();
    engines.uncapped = await startThreadLimited();
    stack = await startStack({ controlPlaneEnv: { PROBE_INTERVAL_MS: String(PROBE_INTERVAL_MS), PROBE_TIMEOUT_MS: '500' } });
    for (const [id, extra] of [['capped', { max_concurrency: 3 }], ['uncapped', {}]] as const) {
      const res = await fetch(`${stack.adminUrl}/admin/scheduler/add`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ id, url: engines[id]!.url, models: [`${id}-model`], ...extra }) });
      expect(res.status).toBe(201);
    }
    // Both in the gateway's table and probed a few times (each probe keeps its socket).
    await new Promise((resolve) => setTimeout(resolve, 1_000));
  }, 30_000);
  afterAll(async () => {
    await stack?.stop();
    await Promise.all(Object.values(engines).map((e) => e.close()));
  });

  const streams = (model: string) =>
    Array.from({ length: 12 }, () =>
      fetch(`${stack.gatewayUrls[0]}/v1/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ model, stream: true, messages: [{ role: 'user', content: 'hi' }] }),
      }).then((r) => r.text().then(() => r.status), () => 0),
    );

  it('keeps probing a capped scheduler every interval while an uncapped one starves its probes', async () => {
    const from = Date.now();
    const [capped, uncapped] = await Promise.all([Promise.all(streams('capped-model')), Promise.all(streams('uncapped-model'))]);
    const to = Date.now();
    // The capped engine never kept a connection waiting for a thread (a reconnecting probe may
    // overlap the close of its old socket for a moment); its probes kept their pace.
    expect(engines.capped!.longestQueuedMs).toBeLessThan(PROBE_INTERVAL_MS);
    expect(longestGap(engines.capped!.probes, from, to)).toBeLessThan(4 * PROBE_INTERVAL_MS);
    // The uncapped one queued the gateway's connections and its probes with them.
    expect(engines.uncapped!.longestQueuedMs).toBeGreaterThan(1_000);
    expect(longestGap(engines.uncapped!.probes, from, to)).toBeGreaterThan(1_000);
    // Capped streams waited for slots (SCHEDULER_CAPACITY_WAIT_MS 1000 < 2.5 s streams): some 503 scheduler_at_capacity.
    expect(capped.filter((s) => s === 200).length).toBeGreaterThanOrEqual(3);
    expect(capped.every((s) => s === 200 || s === 503)).toBe(true);
    expect(uncapped.filter((s) => s === 200).length).toBeGreaterThan(0);
  }, 30_000);
});
