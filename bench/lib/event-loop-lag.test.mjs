import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { test } from 'node:test';
import { gauge, sampleEventLoopLag, scrapeEventLoopP99 } from './event-loop-lag.mjs';

const METRICS = [
  '# HELP nodejs_eventloop_lag_p99_seconds The 99th percentile of the recorded event loop delays.',
  '# TYPE nodejs_eventloop_lag_p99_seconds gauge',
  'nodejs_eventloop_lag_p50_seconds{service="x"} 0.0101',
  'nodejs_eventloop_lag_p99_seconds{service="x"} 0.0123',
  'nodejs_eventloop_lag_max_seconds 0.05',
  'switchyard_control_plane_table_version 7',
].join('\n');

test('gauge reads a sample with or without labels, NaN when absent', () => {
  assert.equal(gauge(METRICS, 'nodejs_eventloop_lag_p99_seconds'), 0.0123);
  assert.equal(gauge(METRICS, 'nodejs_eventloop_lag_max_seconds'), 0.05);
  assert.ok(Number.isNaN(gauge(METRICS, 'nodejs_eventloop_lag_min_seconds')));
  // A HELP line naming the metric is not a sample.
  assert.ok(Number.isNaN(gauge('# HELP nodejs_eventloop_lag_p99_seconds 1', 'nodejs_eventloop_lag_p99_seconds')));
});

test('sampleEventLoopLag scrapes once to open, then one window per scrape; stop closes the last one early', async (t) => {
  let scrapes = 0;
  const server = createServer((_req, res) => {
    scrapes += 1;
    res.end(METRICS);
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(undefined)));
  t.after(() => server.close());
  const url = `http://127.0.0.1:${/** @type {import('node:net').AddressInfo} */ (server.address()).port}`;

  assert.equal(await scrapeEventLoopP99(url), 0.0123);
  const sampler = sampleEventLoopLag(url, { everyMs: 20, extra: { table_version: 'switchyard_control_plane_table_version' } });
  while (scrapes < 4) await new Promise((resolve) => setTimeout(resolve, 5));
  const windows = await sampler.stop();
  assert.ok(windows.length >= 2);
  assert.equal(windows.length, scrapes - 2);
  assert.deepEqual(windows[0], { p50_s: 0.0101, p99_s: 0.0123, max_s: 0.05, table_version: 7 });

  // Stopping does not wait for the interval.
  const slow = sampleEventLoopLag(url, { everyMs: 60_000 });
  await new Promise((resolve) => setTimeout(resolve, 50));
  const startedAt = performance.now();
  assert.equal((await slow.stop()).length, 1);
  assert.ok(performance.now() - startedAt < 5_000);
});
