/**
 * What every forwarding alternative shares, so they differ only in how they
 * forward: a node:http server whose hot handler reads the whole JSON body and
 * parses it (a gateway must, to see `model`), then forwards. Started from the
 * command line with --upstream=URL [--port=0].
 */
import http from 'node:http';
import { announceAndAwaitSignals, listenWithBacklog, parseFlags } from '../lib/flags.mjs';

/** Response headers that belong to one hop and must not be copied to the next. */
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'transfer-encoding', 'proxy-connection', 'upgrade', 'te', 'trailer']);

/**
 * @param {Record<string, string | string[] | undefined>} headers
 * @returns {Record<string, string | string[]>}
 */
export function endToEndHeaders(headers) {
  /** @type {Record<string, string | string[]>} */
  const out = {};
  for (const [name, value] of Object.entries(headers)) if (value !== undefined && !HOP_BY_HOP.has(name)) out[name] = value;
  return out;
}

/**
 * Reads and parses the body with plain 'data'/'end' listeners, as the gateway's
 * read-body.ts does (an async iterator over the request costs measurably more).
 * @param {http.IncomingMessage} req
 * @returns {Promise<{raw: Buffer, body: {model?: string}}>}
 */
export function readJsonBody(req) {
  return new Promise((resolve, reject) => {
    /** @type {Buffer[]} */
    const parts = [];
    req.on('data', (/** @type {Buffer} */ part) => parts.push(part));
    req.once('error', reject);
    req.once('end', () => {
      const raw = parts.length === 1 ? parts[0] : Buffer.concat(parts);
      try {
        resolve({ raw, body: raw.length ? JSON.parse(raw.toString()) : {} });
      } catch (err) {
        reject(err);
      }
    });
  });
}

/**
 * @param {http.ServerResponse} res
 * @param {unknown} err
 */
export function failUpstream(res, err) {
  if (res.headersSent) return void res.destroy(err instanceof Error ? err : undefined);
  res.writeHead(502, { 'content-type': 'application/json' });
  res.end('{"error":{"message":"upstream failed","type":"server_error","param":null,"code":"bad_gateway"}}');
}

/**
 * Starts `handler` on a node:http server from the process's flags.
 * @param {(upstream: URL) => http.RequestListener} makeHandler
 */
export async function serveFromFlags(makeHandler) {
  const flags = parseFlags(process.argv.slice(2));
  if (!flags.upstream) throw new Error('--upstream=http://host:port is required');
  const server = http.createServer(makeHandler(new URL(flags.upstream)));
  server.keepAliveTimeout = 120_000;
  server.headersTimeout = 130_000;
  const port = await listenWithBacklog(server, Number(flags.port ?? 0), '127.0.0.1');
  announceAndAwaitSignals(port, () => new Promise((resolve) => {
    server.closeAllConnections();
    server.close(() => resolve());
  }));
}
