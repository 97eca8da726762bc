/**
 * A minimal OpenAI-compatible responder, so a benchmark measures the proxy and not
 * the backend: a fixed ~400-byte `chat.completion`, or `chunks` SSE chunks `gapMs`
 * apart ending in `data: [DONE]`. `max_tokens` in the request overrides the chunk
 * count. Every chunk carries its sequence number (`"content":"tok<seq> "`) and the
 * monotonic send time (`bench_sent_ns`, CLOCK_MONOTONIC is machine-wide on Linux) so
 * the stream client can check order and measure per-chunk delay through a proxy.
 *
 * Run: node bench/backends/static-responder.mjs [--port=0] [--chunks=20] [--gap-ms=5] [--model=bench-model]
 * Prints one JSON line {"message":"listening","port":N}.
 */
import http from 'node:http';
import { announceAndAwaitSignals, isMain, listenWithBacklog, parseFlags } from '../lib/flags.mjs';

const MAX_CHUNKS = 10_000;
const TARGET_COMPLETION_BYTES = 400;

/** @param {string} model */
function completionBody(model) {
  const base = {
    id: 'chatcmpl-bench', object: 'chat.completion', created: 1_700_000_000, model,
    choices: [{ index: 0, message: { role: 'assistant', content: '' }, logprobs: null, finish_reason: 'stop' }],
    usage: { prompt_tokens: 12, completion_tokens: 40, total_tokens: 52 },
  };
  const padding = TARGET_COMPLETION_BYTES - Buffer.byteLength(JSON.stringify(base));
  base.choices[0].message.content = 'ok '.repeat(Math.max(1, Math.floor(padding / 3)));
  return Buffer.from(JSON.stringify(base));
}

/**
 * @param {string} model
 * @param {number} seq
 * @param {boolean} last
 */
function chunkEvent(model, seq, last) {
  const delta = seq === 0 ? `{"role":"assistant","content":"tok${seq} "}` : `{"content":"tok${seq} "}`;
  return `data: {"id":"chatcmpl-bench","object":"chat.completion.chunk","created":1700000000,"model":"${model}",`
    + `"bench_sent_ns":"${process.hrtime.bigint()}","choices":[{"index":0,"delta":${delta},"finish_reason":${last ? '"stop"' : 'null'}}]}\n\n`;
}

/**
 * Writes the chunks on an absolute schedule (start + seq × gap) so timer slack does
 * not accumulate over a 200-chunk stream.
 * @param {http.ServerResponse} res
 * @param {{model: string, chunks: number, gapMs: number}} spec
 */
function streamChunks(res, spec) {
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
  const start = performance.now();
  let seq = 0;
  /** @type {NodeJS.Timeout | undefined} */
  let timer;
  res.on('close', () => clearTimeout(timer));
  const tick = () => {
    do {
      res.write(chunkEvent(spec.model, seq, seq === spec.chunks - 1));
      seq += 1;
    } while (seq < spec.chunks && spec.gapMs === 0);
    if (seq >= spec.chunks) {
      res.end('data: [DONE]\n\n');
      return;
    }
    timer = setTimeout(tick, Math.max(0, start + seq * spec.gapMs - performance.now()));
  };
  tick();
}

/**
 * @param {http.ServerResponse} res
 * @param {number} status
 * @param {Buffer | string} body
 */
function sendJson(res, status, body) {
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

/**
 * @param {{port?: number, host?: string, chunks?: number, gapMs?: number, model?: string}} [options]
 * @returns {{server: http.Server, start(): Promise<number>, stop(): Promise<void>}}
 */
export function createStaticResponder(options = {}) {
  const model = options.model ?? 'bench-model';
  const defaults = { chunks: options.chunks ?? 20, gapMs: options.gapMs ?? 5 };
  const completion = completionBody(model);
  const models = JSON.stringify({ object: 'list', data: [{ id: model, object: 'model', created: 1_700_000_000, owned_by: 'bench' }] });
  const notFound = JSON.stringify({ error: { message: 'not found', type: 'invalid_request_error', param: null, code: 'not_found' } });
  const server = http.createServer((req, res) => {
    if (req.method === 'GET') {
      if (req.url === '/v1/models') return sendJson(res, 200, models);
      if (req.url === '/health' || req.url === '/ready') return sendJson(res, 200, '{"status":"ok"}');
      return sendJson(res, 404, notFound);
    }
    /** @type {Buffer[]} */
    const parts = [];
    req.on('data', (part) => parts.push(part));
    req.on('end', () => {
      let body;
      try {
        body = JSON.parse(Buffer.concat(parts).toString() || '{}');
      } catch {
        return sendJson(res, 400, '{"error":{"message":"invalid json","type":"invalid_request_error","param":null,"code":null}}');
      }
      if (!body.stream) return sendJson(res, 200, completion);
      const chunks = Number.isInteger(body.max_tokens) && body.max_tokens > 0 ? Math.min(body.max_tokens, MAX_CHUNKS) : defaults.chunks;
      return streamChunks(res, { model, chunks, gapMs: defaults.gapMs });
    });
  });
  // Load generators keep connections for the whole run; Node's 5 s default would
  // close idle keep-alive sockets between warm-up and measurement.
  server.keepAliveTimeout = 120_000;
  server.headersTimeout = 130_000;
  return {
    server,
    start: () => listenWithBacklog(server, options.port ?? 0, options.host ?? '127.0.0.1'),
    stop: () => new Promise((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}

if (isMain(import.meta.url)) {
  const flags = parseFlags(process.argv.slice(2));
  const responder = createStaticResponder({
    port: Number(flags.port ?? 0), chunks: Number(flags.chunks ?? 20), gapMs: Number(flags['gap-ms'] ?? 5), model: flags.model,
  });
  announceAndAwaitSignals(await responder.start(), responder.stop);
}
