import assert from 'node:assert/strict';
import { test } from 'node:test';
import { markdownTable, simpleTable } from './report.mjs';

test('the four-target table shows the gateway against direct and the bare proxy', () => {
  const table = markdownTable([
    { scenario: 'overhead', metric: 'saturation', unit: 'req/s', values: { direct: 30000, 'bare-proxy': 10000, gateway: 7500 }, goal: { text: '≥ 0.7 × bare', met: true } },
    { scenario: 'latency', metric: 'p99', unit: 'ms', values: { direct: 1, 'bare-proxy': 1.5, gateway: 3.75 }, goal: { text: '≤ +2.5 ms', met: false } },
  ]);
  const [, , saturation, latency] = table.split('\n');
  assert.equal(saturation, '| overhead | saturation (req/s) | 30,000 | 10,000 | – | 7,500 | 0.25× | 0.75× | – | ≥ 0.7 × bare | yes |');
  assert.equal(latency, '| latency | p99 (ms) | 1.00 | 1.50 | – | 3.75 | 3.75× | 2.50× | +2.75 ms | ≤ +2.5 ms | **no** |');
});

test('a run with another build of the gateway shows it, and its own ratio to the bare proxy', () => {
  const table = markdownTable([{ scenario: 'overhead', metric: 'saturation', unit: 'req/s', values: { 'bare-proxy': 10000, gateway: 7500, 'gateway-before': 7000 } }]);
  const [header, , saturation] = table.split('\n');
  assert.equal(header, '| scenario | metric | direct | bare-proxy | nginx | gateway | gateway-before | gw ÷ direct | gw ÷ bare | before ÷ bare | gw − direct | target | met |');
  assert.equal(saturation, '| overhead | saturation (req/s) | – | 10,000 | – | 7,500 | 7,000 | – | 0.75× | 0.70× | – |  | – |');
});

test('simpleTable formats numbers and passes strings through', () => {
  assert.equal(simpleTable(['a', 'b'], [['x', 1.234], ['y', 1234.5]]), '| a | b |\n|---|---|\n| x | 1.23 |\n| y | 1235 |');
});
