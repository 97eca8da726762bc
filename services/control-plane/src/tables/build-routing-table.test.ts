import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { SchedulerRecord } from '../state/scheduler-record';
import { buildRoutingTable, needsPush, sameRouting, type TableOptions } from './build-routing-table';

/**
 * Golden files: testdata/<case>.in.json → <case>.out.json. After an intended
 * change of the table shape, regenerate with `UPDATE_GOLDEN=1 npx jest build-routing-table`
 * and review the diff.
 */
const TESTDATA = path.join(__dirname, 'testdata');
const cases = readdirSync(TESTDATA).filter((f) => f.endsWith('.in.json')).map((f) => f.replace(/\.in\.json$/, ''));

interface GoldenInput {
  options: TableOptions;
  schedulers: SchedulerRecord[];
}

describe('buildRoutingTable golden files', () => {
  it('has cases', () => expect(cases.length).toBeGreaterThan(1));

  it.each(cases)('%s', (name) => {
    const input = JSON.parse(readFileSync(path.join(TESTDATA, `${name}.in.json`), 'utf8')) as GoldenInput;
    const actual = buildRoutingTable(input.schedulers, input.options);
    const outFile = path.join(TESTDATA, `${name}.out.json`);
    if (process.env.UPDATE_GOLDEN === '1') writeFileSync(outFile, `${JSON.stringify(actual, null, 2)}\n`);
    expect(actual).toEqual(JSON.parse(readFileSync(outFile, 'utf8')));
  });
});

describe('buildRoutingTable', () => {
  it('does not depend on input order', () => {
    const input = JSON.parse(readFileSync(path.join(TESTDATA, 'mixed-states.in.json'), 'utf8')) as GoldenInput;
    const forward = buildRoutingTable(input.schedulers, input.options);
    const reversed = buildRoutingTable([...input.schedulers].reverse(), input.options);
    expect(JSON.stringify(reversed)).toBe(JSON.stringify(forward));
  });

  it('sameRouting ignores version and timestamp but not content', () => {
    const input = JSON.parse(readFileSync(path.join(TESTDATA, 'mixed-states.in.json'), 'utf8')) as GoldenInput;
    const a = buildRoutingTable(input.schedulers, input.options);
    const b = buildRoutingTable(input.schedulers, { ...input.options, version: 99, nowMs: 5 });
    const c = buildRoutingTable(input.schedulers.slice(1), input.options);
    expect(sameRouting(a, b)).toBe(true);
    expect(sameRouting(a, c)).toBe(false);
  });

  it('needsPush only for routing changes or effective weights moving more than 10% (or to/from 0)', () => {
    const input = JSON.parse(readFileSync(path.join(TESTDATA, 'health-and-aliases.in.json'), 'utf8')) as GoldenInput;
    const pushed = buildRoutingTable(input.schedulers, input.options);
    const withIdleLoad = (running: number, waiting: number) => {
      const health = structuredClone(input.options.health!);
      health.probes.idle!.load = { running, waiting, kv_cache_usage: 0.3 };
      return buildRoutingTable(input.schedulers, { ...input.options, version: 8, nowMs: 2, health });
    };
    // idle's score 1 → 0.9524 (waiting 1 of 20 running): its weight moves 4.8%, not pushed.
    expect(needsPush(pushed, withIdleLoad(20, 1))).toBe(false);
    // 0.5: idle's weight halves and queued's doubles, pushed.
    expect(needsPush(pushed, withIdleLoad(4, 4))).toBe(true);
    const drained = input.schedulers.map((r) => (r.id === 'idle' ? { ...r, state: 'draining' as const } : r));
    expect(needsPush(pushed, buildRoutingTable(drained, input.options))).toBe(true);
    expect(needsPush(pushed, buildRoutingTable(input.schedulers, { ...input.options, modelAliases: {} }))).toBe(true);
  });

  it('carries each engine\'s load, and load alone pushes only when it crosses a band (issue 19)', () => {
    const input = JSON.parse(readFileSync(path.join(TESTDATA, 'health-and-aliases.in.json'), 'utf8')) as GoldenInput;
    const pushed = buildRoutingTable(input.schedulers, input.options);
    expect(pushed.schedulers.find((s) => s.id === 'queued')?.load).toEqual({ running: 4, waiting: 12, kv_cache_usage: 0.9 });
    const withQueuedLoad = (waiting: number, kv: number) => {
      const health = structuredClone(input.options.health!);
      health.probes.queued!.load = { running: 4, waiting, kv_cache_usage: kv };
      return buildRoutingTable(input.schedulers, { ...input.options, version: 8, nowMs: 2, health });
    };
    // Within the 5-15 band and the same tenth of KV use: same routing, no push for load alone.
    expect(sameRouting(pushed, withQueuedLoad(9, 0.95))).toBe(true);
    expect(needsPush(pushed, withQueuedLoad(9, 0.95))).toBe(false);
    expect(needsPush(pushed, withQueuedLoad(16, 0.9))).toBe(true);
    expect(needsPush(pushed, withQueuedLoad(12, 0.7))).toBe(true);
  });

  it('puts MODEL_SATURATION into the model routes, `*` for models without their own entry', () => {
    const input = JSON.parse(readFileSync(path.join(TESTDATA, 'mixed-states.in.json'), 'utf8')) as GoldenInput;
    const table = buildRoutingTable(input.schedulers, { ...input.options, modelSaturation: { '*': { max_waiting: 2, max_kv_cache_usage: 0, max_in_flight: 0 } } });
    for (const route of Object.values(table.models)) expect(route.saturation).toEqual({ max_waiting: 2, max_kv_cache_usage: 0, max_in_flight: 0 });
    expect(Object.values(buildRoutingTable(input.schedulers, input.options).models).every((r) => r.saturation === undefined)).toBe(true);
  });
});
