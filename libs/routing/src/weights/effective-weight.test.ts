/**
 * Golden-file tests for the weight computation: every `testdata/<case>.in.json`
 * (`{description, schedulers: SchedulerWeightInput[]}`) is run through
 * computeWeights and compared with `testdata/<case>.out.json`.
 *
 * After an intended change of the formula, regenerate the outputs and review the diff:
 *   UPDATE_GOLDEN=1 npx jest libs/routing/src/weights/effective-weight.test.ts
 */
import { readdirSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import path from 'node:path';
import { computeEffectiveWeight, computeWeights, summarizeFleet, type SchedulerWeightInput } from './effective-weight';

const TESTDATA = path.join(__dirname, 'testdata');
const UPDATE = process.env.UPDATE_GOLDEN === '1';
const cases = readdirSync(TESTDATA)
  .filter((file) => file.endsWith('.in.json'))
  .map((file) => file.slice(0, -'.in.json'.length))
  .sort();

describe('computeWeights golden files', () => {
  it('has cases', () => {
    expect(cases.length).toBeGreaterThan(0);
  });

  it.each(cases)('%s', (name) => {
    const input = JSON.parse(readFileSync(path.join(TESTDATA, `${name}.in.json`), 'utf8')) as { schedulers: SchedulerWeightInput[] };
    const actual = computeWeights(input.schedulers);
    const outFile = path.join(TESTDATA, `${name}.out.json`);
    if (UPDATE) writeFileSync(outFile, `${JSON.stringify(actual, null, 2)}\n`);
    if (!existsSync(outFile)) throw new Error(`missing ${outFile}; run with UPDATE_GOLDEN=1 to create it`);
    expect(actual).toEqual(JSON.parse(readFileSync(outFile, 'utf8')));
  });
});

describe('computeEffectiveWeight', () => {
  it('is the product of its factors', () => {
    const input = {
      baseWeight: 4,
      health: 'degraded' as const,
      recovery: 'recovering_50' as const,
      load: { running: 2, waiting: 2, kv_cache_usage: 0 },
      latency: { ttft_p95_ms: 400 },
    };
    const result = computeEffectiveWeight(input, { bestLoadScore: 1, medianTtftP95Ms: 200 });
    expect(result).toEqual({ effective_weight: 0.25, factors: { base: 4, health: 0.5, load: 0.5, latency: 0.5, recovery: 0.5 } });
  });

  it('takes fleet baselines from live schedulers only', () => {
    const fleet = summarizeFleet([
      { baseWeight: 1, health: 'healthy', recovery: 'recovered', load: { running: 1, waiting: 1, kv_cache_usage: 0 }, latency: { ttft_p95_ms: 300 } },
      { baseWeight: 1, health: 'unhealthy', recovery: 'failed', load: { running: 1, waiting: 0, kv_cache_usage: 0 }, latency: { ttft_p95_ms: 10 } },
      { baseWeight: 1, health: 'degraded', recovery: 'recovered', latency: { ttft_p95_ms: 100 } },
      { baseWeight: 1, health: 'healthy', recovery: 'recovered', latency: { ttft_p95_ms: 0 } },
    ]);
    expect(fleet).toEqual({ bestLoadScore: 0.5, medianTtftP95Ms: 200 });
    expect(summarizeFleet([])).toEqual({});
  });
});
