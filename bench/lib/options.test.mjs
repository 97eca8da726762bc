import assert from 'node:assert/strict';
import { test } from 'node:test';
import { readFeatures, readOptions } from './options.mjs';

test('production features are on unless turned off', () => {
  assert.deepEqual(readFeatures({}), { auth: true, redis: true, extraEnv: {}, otelRatio: null });
  assert.deepEqual(readFeatures({ BENCH_PRODUCTION_FEATURES: '0' }), { auth: false, redis: false, extraEnv: {}, otelRatio: null });
});

test('single features override the default; BENCH_GATEWAY_ENV adds variables', () => {
  assert.deepEqual(readFeatures({ BENCH_REDIS: '0' }), { auth: true, redis: false, extraEnv: {}, otelRatio: null });
  assert.deepEqual(readFeatures({ BENCH_PRODUCTION_FEATURES: '0', BENCH_AUTH: '1' }), { auth: true, redis: false, extraEnv: {}, otelRatio: null });
  assert.deepEqual(readFeatures({ BENCH_GATEWAY_ENV: 'A=1,B=x=y' }).extraEnv, { A: '1', B: 'x=y' });
});

test('BENCH_OTEL_RATIO turns tracing on at that sampling ratio', () => {
  assert.equal(readFeatures({ BENCH_OTEL_RATIO: '0.01' }).otelRatio, '0.01');
  assert.equal(readFeatures({ BENCH_OTEL_RATIO: '' }).otelRatio, null);
});

test('a malformed BENCH_GATEWAY_ENV entry is refused', () => {
  assert.throws(() => readFeatures({ BENCH_GATEWAY_ENV: 'oops' }), /K=V/);
});

test('--smoke shrinks the run; numeric knobs are validated', () => {
  const smoke = readOptions({ BENCH_PIN: '0' }, ['--smoke']);
  assert.equal(smoke.smoke, true);
  assert.equal(smoke.streams.count, 200);
  assert.equal(smoke.pin, false);
  const full = readOptions({ BENCH_PIN: '0', BENCH_RATE: '500' }, []);
  assert.equal(full.streams.count, 2000);
  assert.equal(full.rate, 500);
  assert.throws(() => readOptions({ BENCH_RATE: 'fast' }, []), /BENCH_RATE/);
});
