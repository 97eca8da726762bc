/**
 * One of bench:scale's watcher processes: `count` table watchers, each a real
 * gRPC client of RoutingService on its own channel (as gateways are), asking for
 * change batches (`supports_deltas`) and packed snapshot keys
 * (`supports_packed_keys`) as gateways do, and sending a ReportStats message
 * every second like a gateway with traffic on a few schedulers.
 *
 * A watcher does not rebuild the table: it keeps the (epoch, version) it has and
 * checks that every batch applies on it (a batch that does not is counted and
 * answered by reconnecting for a snapshot, as a gateway does). Small messages are
 * decoded in full; a snapshot larger than PEEK_ABOVE_BYTES is only read up to its
 * epoch and version, so 200 watchers on two cores measure the control plane, not
 * their own decoding of 200 copies of 100,000 keys. Bytes are counted as they
 * arrive on the wire (the protobuf message).
 *
 * IPC (forked by bench/scale.mjs):
 *   parent → {cmd: 'connect'} | {cmd: 'expect', token, match} | {cmd: 'stats'} | {cmd: 'stop'}
 *   worker → {type: 'ready'} | {type: 'first', at_ms: number[]} | {type: 'expecting', token}
 *          | {type: 'reached', token, at_ms: number[], bytes: number[], version, generated_at_ms} | {type: 'stats', ...}
 * A match is {kind: 'scheduler', id, state?} or {kind: 'key', user, enabled}.
 */
import { createRequire } from 'node:module';
import proto from '../../libs/proto/dist/index.js';

// grpc-js is libs/proto's dependency (pnpm does not hoist it to the root): the same copy the library uses.
/** @type {any} */
const grpc = createRequire(new URL('../../libs/proto/package.json', import.meta.url))('@grpc/grpc-js');

const { loadServices, CLIENT_CHANNEL_OPTIONS } = proto;
const PEEK_ABOVE_BYTES = 256 * 1024;

/** @type {{address: string, first: number, count: number, schedulerIds: string[], reportEveryMs: number}} */
const options = JSON.parse(process.argv[2] ?? '{}');

/**
 * The (epoch, version) of an encoded RoutingTable without decoding the rest
 * (fields 1 and 2 are varints and come first in protobuf.js's output).
 * @param {Buffer} buf
 */
function peekVersion(buf) {
  let pos = 0;
  const varint = () => {
    let value = 0;
    let shift = 1;
    for (;;) {
      const byte = buf[pos++] ?? 0;
      value += (byte & 0x7f) * shift;
      if (byte < 0x80) return value;
      shift *= 128;
    }
  };
  let epoch = 0;
  let version = 0;
  while (pos < buf.length) {
    const tag = varint();
    const field = Math.floor(tag / 8);
    if (field > 2 || tag % 8 !== 0) break;
    if (field === 1) epoch = varint();
    else if (field === 2) version = varint();
    else varint();
  }
  return { epoch, version };
}

const { RoutingService } = loadServices();
const watchMethod = RoutingService.service.WatchRoutingTable;
/** Messages come out as {bytes, peeked?, message?}: wire size first, decoding only when small. */
const Client = grpc.makeGenericClientConstructor({
  ...RoutingService.service,
  WatchRoutingTable: {
    ...watchMethod,
    responseDeserialize: (/** @type {Buffer} */ buf) => (buf.length > PEEK_ABOVE_BYTES ? { bytes: buf.length, peeked: peekVersion(buf) } : { bytes: buf.length, message: watchMethod.responseDeserialize(buf) }),
  },
}, 'RoutingService');

/**
 * @typedef {{kind: 'scheduler', id: string, state?: string} | {kind: 'key', user: string, enabled: boolean}} Match
 * @typedef {{token: string, match: Match, reached: Map<number, {atMs: number, bytes: number}>, version: number, generatedAtMs: number}} Expectation
 */

/** @type {Map<string, Expectation>} */
const expectations = new Map();
const totals = { bytes: 0, messages: 0, snapshots: 0, snapshot_bytes: 0, batches: 0, rejected: 0, reports: 0, report_errors: 0 };
/** @type {number[]} */
const firstAt = [];
let firstSent = false;
/** @type {Array<{close: () => void}>} */
const watchers = [];

/** @param {any} delta @param {Match} match */
function deltaHas(delta, match) {
  if (match.kind === 'scheduler') return delta.scheduler_upserts.some((/** @type {any} */ s) => s.id === match.id && (match.state === undefined || s.state === match.state));
  return delta.key_upserts.some((/** @type {any} */ k) => k.user === match.user && k.enabled === match.enabled);
}

/** @param {Expectation} e */
function maybeDone(e) {
  if (e.reached.size < options.count) return;
  expectations.delete(e.token);
  const hits = [...e.reached.values()];
  process.send?.({ type: 'reached', token: e.token, at_ms: hits.map((h) => h.atMs), bytes: hits.map((h) => h.bytes), version: e.version, generated_at_ms: e.generatedAtMs });
}

/** @param {number} index */
function startWatcher(index) {
  const gatewayId = `bench-watcher-${options.first + index}`;
  const client = new Client(options.address, grpc.credentials.createInsecure(), CLIENT_CHANNEL_OPTIONS);
  const have = { epoch: 0, version: 0 };
  /** @type {any} */
  let call;
  let closed = false;
  const watch = () => {
    call = /** @type {any} */ (client).WatchRoutingTable({ gateway_id: gatewayId, have_epoch: have.epoch, have_version: have.version, supports_deltas: true, supports_packed_keys: true });
    call?.on('data', (/** @type {{bytes: number, peeked?: {epoch: number, version: number}, message?: any}} */ received) => onMessage(received, Date.now()));
    call?.on('error', () => undefined);
    call?.on('status', () => {
      if (!closed) setTimeout(watch, 100);
    });
  };
  /** @param {{bytes: number, peeked?: {epoch: number, version: number}, message?: any}} received @param {number} atMs */
  const onMessage = (received, atMs) => {
    totals.bytes += received.bytes;
    totals.messages += 1;
    const delta = received.message?.delta;
    if (!delta) {
      const { epoch, version } = received.peeked ?? received.message;
      totals.snapshots += 1;
      totals.snapshot_bytes += received.bytes;
      have.epoch = epoch;
      have.version = version;
      if (firstAt[index] === undefined) firstAt[index] = atMs;
      if (!firstSent && firstAt.filter((t) => t !== undefined).length === options.count) {
        firstSent = true;
        process.send?.({ type: 'first', at_ms: [...firstAt] });
      }
      for (const e of expectations.values()) {
        if (e.version > 0 && version >= e.version && !e.reached.has(index)) e.reached.set(index, { atMs, bytes: received.bytes });
        maybeDone(e);
      }
      return;
    }
    totals.batches += 1;
    if (delta.base_epoch !== have.epoch || delta.base_version !== have.version) {
      // A gateway asks for a snapshot: reconnect with nothing.
      totals.rejected += 1;
      have.epoch = 0;
      have.version = 0;
      call?.cancel();
      return;
    }
    have.epoch = received.message.epoch;
    have.version = received.message.version;
    for (const e of expectations.values()) {
      if (e.reached.has(index) || !deltaHas(delta, e.match)) continue;
      e.version ||= have.version;
      e.generatedAtMs ||= received.message.generated_at_ms;
      e.reached.set(index, { atMs, bytes: received.bytes });
      maybeDone(e);
    }
  };
  const reports = /** @type {any} */ (client).ReportStats(() => undefined);
  reports.on('error', () => {
    totals.report_errors += 1;
  });
  const reportTimer = setInterval(() => {
    const ids = options.schedulerIds;
    const pick = () => ids[Math.floor(Math.random() * ids.length)] ?? 's-0';
    const line = (/** @type {string} */ id) => ({ scheduler_id: id, requests: 10, errors_by_kind: {}, latency_p50_ms: 200, latency_p95_ms: 400, latency_p99_ms: 600, ttft_p50_ms: 50, ttft_p95_ms: 90, ttft_p99_ms: 120, in_flight: 2, breaker_state: 'closed' });
    reports.write({ gateway_id: gatewayId, table_epoch: have.epoch, table_version: have.version, sent_at_ms: Date.now(), schedulers: [line(pick()), line(pick()), line(pick())], responses_by_status_class: { '2xx': 30 } });
    totals.reports += 1;
  }, options.reportEveryMs);
  watch();
  return {
    close() {
      closed = true;
      clearInterval(reportTimer);
      call?.cancel();
      reports.end();
      client.close();
    },
  };
}

process.on('message', (/** @type {any} */ m) => {
  if (m.cmd === 'connect') {
    for (let i = 0; i < options.count; i++) watchers.push(startWatcher(i));
  } else if (m.cmd === 'expect') {
    expectations.set(m.token, { token: m.token, match: m.match, reached: new Map(), version: 0, generatedAtMs: 0 });
    process.send?.({ type: 'expecting', token: m.token });
  } else if (m.cmd === 'forget') {
    const e = expectations.get(m.token);
    expectations.delete(m.token);
    process.send?.({ type: 'reached', token: m.token, at_ms: e ? [...e.reached.values()].map((h) => h.atMs) : [], bytes: e ? [...e.reached.values()].map((h) => h.bytes) : [], version: e?.version ?? 0, generated_at_ms: e?.generatedAtMs ?? 0, partial: true });
  } else if (m.cmd === 'stats') {
    process.send?.({ type: 'stats', ...totals, rss_mb: process.memoryUsage().rss / 2 ** 20 });
  } else if (m.cmd === 'stop') {
    for (const w of watchers) w.close();
    setTimeout(() => process.exit(0), 200).unref();
  }
});
process.send?.({ type: 'ready' });
