/**
 * A stand-in OpenTelemetry collector for the tracing-cost runs (issue 20): it
 * accepts OTLP/HTTP exports, answers 200 at once and counts what it received, so
 * the gateway's exporter does its real work and nothing else is measured.
 */
import http from 'node:http';

/** @returns {Promise<{url: string, stats: {exports: number, bytes: number}, stop(): Promise<void>}>} */
export async function startOtlpSink() {
  const stats = { exports: 0, bytes: 0 };
  const server = http.createServer((req, res) => {
    req.on('data', (/** @type {Buffer} */ chunk) => (stats.bytes += chunk.length));
    req.on('end', () => {
      stats.exports += 1;
      res.writeHead(200, { 'content-type': 'application/x-protobuf' }).end();
    });
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(undefined)));
  const address = /** @type {import('node:net').AddressInfo} */ (server.address());
  return {
    url: `http://127.0.0.1:${address.port}`,
    stats,
    stop: () => new Promise((resolve) => server.close(() => resolve(undefined))),
  };
}
