import type { Candidate } from '@switchyard/routing';
import { schedulerEntry } from '../testing/fixtures';
import { buildRouteReceipt, MAX_RECEIPT_CHARS, wantsExplain, type ReceiptInput } from './explain';

const candidate = (id: string, extra: Partial<Candidate> = {}): Candidate => ({ id, weight: 1, priority: 0, inFlight: 0, ...extra });
const target = (id: string, state = 'healthy') => ({ entry: schedulerEntry({ id, url: `http://${id}`, models: ['m'], state }), servedName: 'm' });

function input(fields: Partial<ReceiptInput>): ReceiptInput {
  return {
    strategy: 'least-outstanding',
    model: 'm',
    servedModel: 'm',
    tableVersion: 7,
    pool: [candidate('a'), candidate('b')],
    pick: { id: 'a', reason: 'why not' },
    panic: false,
    targets: [target('a'), target('b')],
    exclusionOf: () => 'weight_0',
    ...fields,
  };
}

describe('route receipt', () => {
  it('is asked for with x-switchyard-explain: 1 (or true) only', () => {
    expect(wantsExplain({ 'x-switchyard-explain': '1' })).toBe(true);
    expect(wantsExplain({ 'x-switchyard-explain': 'true' })).toBe(true);
    expect(wantsExplain({ 'x-switchyard-explain': '0' })).toBe(false);
    expect(wantsExplain({})).toBe(false);
    expect(wantsExplain(undefined)).toBe(false);
  });

  it('lists the candidates with weight, in-flight, EWMA and score, the choice and the reason; the left-out ones and why', () => {
    const receipt = buildRouteReceipt(
      input({
        pool: [candidate('a', { inFlight: 2, latencyEwmaMs: 12.345 }), candidate('b', { weight: 0.33333 })],
        pick: { id: 'b', reason: 'p2c: a (2) vs b (0)', scores: { a: 2, b: 0 } },
        targets: [target('a'), target('b'), target('c', 'draining')],
        exclusionOf: (t) => (t.entry.state === 'draining' ? 'draining' : 'weight_0'),
        servedModel: 'm-awq',
      }),
    );
    expect(JSON.parse(receipt)).toEqual({
      strategy: 'least-outstanding',
      model: 'm',
      served_model: 'm-awq',
      table_version: 7,
      chosen: 'b',
      reason: 'p2c: a (2) vs b (0)',
      candidates: [
        { id: 'a', weight: 1, in_flight: 2, ewma_ms: 12.3, score: 2 },
        { id: 'b', weight: 0.3333, in_flight: 0, score: 0 },
      ],
      excluded: [{ id: 'c', why: 'draining' }],
    });
  });

  it('says panic when routed in panic mode', () => {
    expect(JSON.parse(buildRouteReceipt(input({ panic: true }))).panic).toBe(true);
    expect(JSON.parse(buildRouteReceipt(input({}))).panic).toBeUndefined();
  });

  it('is ASCII only (a valid header value) and parses back to the same text', () => {
    const receipt = buildRouteReceipt(input({ model: 'modèle-日本', pick: { id: 'a', reason: 'naïve' } }));
    expect(receipt).toMatch(/^[\x20-\x7e]+$/);
    expect(JSON.parse(receipt)).toMatchObject({ model: 'modèle-日本', reason: 'naïve' });
  });

  it('stays under the size limit with many candidates, keeping the chosen one and the totals', () => {
    const ids = Array.from({ length: 300 }, (_, i) => `scheduler-with-a-long-name-${i}`);
    const receipt = buildRouteReceipt(
      input({
        pool: ids.map((id) => candidate(id, { latencyEwmaMs: 100 })),
        pick: { id: ids[250]!, reason: 'r', scores: Object.fromEntries(ids.map((id) => [id, 0.5])) },
        targets: [...ids, 'x-1', 'x-2'].map((id) => target(id)),
      }),
    );
    expect(receipt.length).toBeLessThanOrEqual(MAX_RECEIPT_CHARS);
    const parsed = JSON.parse(receipt) as { candidates: Array<{ id: string }>; candidates_total: number; chosen: string };
    expect(parsed.candidates_total).toBe(300);
    expect(parsed.candidates.map((c) => c.id)).toContain(ids[250]);
    expect(parsed.chosen).toBe(ids[250]);
  });
});
