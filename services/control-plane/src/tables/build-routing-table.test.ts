import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { SchedulerRecord } from '../state/scheduler-record';
import { buildRoutingTable, sameRouting, type TableOptions } from './build-routing-table';

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
});
