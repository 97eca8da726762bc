/**
 * Opens `count` concurrent SSE streams (ramped over `rampMs`) and checks every
 * chunk: order (`tok<seq>`), count, the final `data: [DONE]`. Per chunk it records
 * the delay from the responder's send time (`bench_sent_ns`, machine-wide monotonic
 * clock) to arrival here, and the gap since the previous chunk of the same stream.
 *
 * Input (JSON argument): {url, count, chunks, gapMs, rampMs, headers, model}.
 * Output: one JSON line (ms): ttfb, chunk delay and gap percentiles, error counts,
 * the peak number of streams open at once (below `count` when starts lag behind),
 * and this client's own CPU use (near 100 means the client, not the target, was
 * the bottleneck).
 */
import http from 'node:http';
import { summarize } from '../lib/stats.mjs';

const input = JSON.parse(process.argv[2] ?? '{}');
const url = new URL(input.url);
const body = Buffer.from(JSON.stringify({ model: input.model, stream: true, max_tokens: input.chunks, messages: [{ role: 'user', content: 'stream please' }] }));
const agent = new http.Agent({ keepAlive: true, maxSockets: Infinity });
const capacity = input.count * input.chunks;
const delays = new Float64Array(capacity);
const gaps = new Float64Array(capacity);
const ttfb = new Float64Array(input.count);
let delayCount = 0;
let gapCount = 0;
let ttfbCount = 0;
let finished = 0;
/** Streams between their response headers and their end: how many were really concurrent. */
let active = 0;
let peakActive = 0;
const errors = { status: 0, socket: 0, out_of_order: 0, missing_chunks: 0, no_done: 0 };
/** @type {Record<string, number>} distinct socket error messages, for diagnosis */
const socketErrors = {};
const MAX_DISTINCT_ERRORS = 10;
const nowNs = () => Number(process.hrtime.bigint());

/** @param {string} event @returns {{seq: number, sentNs: number} | null} */
function parseChunk(event) {
  const sentAt = event.indexOf('bench_sent_ns');
  const contentAt = event.indexOf('"content"');
  const tokAt = contentAt < 0 ? -1 : event.indexOf('tok', contentAt);
  if (sentAt < 0 || tokAt < 0) return null;
  const sentNs = Number(/\d+/.exec(event.slice(sentAt + 13, sentAt + 40))?.[0]);
  const seq = Number(/\d+/.exec(event.slice(tokAt + 3, tokAt + 12))?.[0]);
  return { seq, sentNs };
}

function openStream() {
  const startNs = nowNs();
  let expected = 0;
  let lastArrival = 0;
  let pending = '';
  let sawDone = false;
  let closed = false;
  let counted = false;
  const close = (/** @type {keyof typeof errors | null} */ error) => {
    if (closed) return;
    closed = true;
    finished += 1;
    if (counted) active -= 1;
    if (error) errors[error] += 1;
  };
  const onEvents = (/** @type {string} */ text, /** @type {number} */ arrival) => {
    pending += text;
    let end;
    while ((end = pending.indexOf('\n\n')) >= 0) {
      const event = pending.slice(0, end).trim();
      pending = pending.slice(end + 2);
      if (event === 'data: [DONE]') sawDone = true;
      const chunk = event.startsWith('data: {') ? parseChunk(event) : null;
      if (!chunk) continue;
      if (chunk.seq !== expected) errors.out_of_order += 1;
      expected = chunk.seq + 1;
      if (delayCount < capacity) delays[delayCount++] = (arrival - chunk.sentNs) / 1e6;
      if (lastArrival && gapCount < capacity) gaps[gapCount++] = (arrival - lastArrival) / 1e6;
      lastArrival = arrival;
    }
  };
  const req = http.request({
    host: url.hostname, port: url.port, path: '/v1/chat/completions', method: 'POST', agent,
    headers: { 'content-type': 'application/json', 'content-length': body.length, ...input.headers },
  }, (res) => {
    if (res.statusCode !== 200) {
      res.resume();
      return close('status');
    }
    counted = true;
    active += 1;
    peakActive = Math.max(peakActive, active);
    res.setEncoding('utf8');
    res.once('data', () => { ttfb[ttfbCount++] = (nowNs() - startNs) / 1e6; });
    res.on('data', (text) => onEvents(text, nowNs()));
    res.on('end', () => close(!sawDone ? 'no_done' : expected !== input.chunks ? 'missing_chunks' : null));
    res.on('error', (err) => onSocketError(err));
  });
  req.on('error', (err) => onSocketError(err));
  const onSocketError = (/** @type {Error & {code?: string}} */ err) => {
    const key = err.code ?? err.message;
    if (key in socketErrors || Object.keys(socketErrors).length < MAX_DISTINCT_ERRORS) socketErrors[key] = (socketErrors[key] ?? 0) + 1;
    close('socket');
  };
  req.end(body);
}

const cpuStart = process.cpuUsage();
const wallStart = performance.now();
for (let i = 0; i < input.count; i += 1) setTimeout(openStream, (input.rampMs * i) / input.count);
const deadline = performance.now() + input.rampMs + input.chunks * input.gapMs + 60_000;
while (finished < input.count && performance.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
const cpu = process.cpuUsage(cpuStart);
const wallMs = performance.now() - wallStart;
agent.destroy();
const d = summarize(delays.subarray(0, delayCount));
const g = summarize(gaps.subarray(0, gapCount));
const t = summarize(ttfb.subarray(0, ttfbCount));
const errorTotal = Object.values(errors).reduce((a, b) => a + b, 0) + (input.count - finished);
console.log(JSON.stringify({
  streams: input.count, peak_concurrent: peakActive, finished, unfinished: input.count - finished, errors_total: errorTotal, errors, socket_errors: socketErrors,
  chunks_expected: capacity, chunks_received: delayCount,
  ttfb_p50_ms: t.p50, ttfb_p99_ms: t.p99,
  chunk_delay_p50_ms: d.p50, chunk_delay_p99_ms: d.p99, chunk_delay_max_ms: d.max,
  chunk_gap_p50_ms: g.p50, chunk_gap_p99_ms: g.p99, chunk_gap_max_ms: g.max,
  client_cpu_pct: (100 * (cpu.user + cpu.system) / 1000) / wallMs,
}));
