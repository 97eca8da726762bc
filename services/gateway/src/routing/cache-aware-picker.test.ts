import { DEFAULT_PROMPT_BLOCK_OPTIONS } from '@switchyard/routing';
import { routingTable, schedulerEntry } from '../testing/fixtures';
import { createLocalSignals } from './local-signals';
import { buildSnapshot } from './routing-table-store';
import { createSchedulerPicker } from './scheduler-picker';

// cache-aware through the gateway's picker (issue 18): the index learns from every
// pick, the receipt shows matched blocks, drain / pins / breakers behave as for
// every strategy, and odd bodies route without throwing.

const four = ['s1', 's2', 's3', 's4'].map((id) => schedulerEntry({ id, url: `http://${id}`, models: ['m'] }));
const SYSTEM = 'You are the billing assistant. Answer with the invoice number first. '.repeat(30);
const explain = { headers: { 'x-switchyard-explain': '1' } };

function setup(schedulers = four) {
  const signals = createLocalSignals();
  const picks: Array<[string, number, number]> = [];
  const p = createSchedulerPicker({ signals, rand: () => 0.5, warn: () => undefined, onPrefixPick: (id, matched, blocks) => picks.push([id, matched, blocks]) });
  const snapshot = buildSnapshot(routingTable({ version: 1, schedulers, default_strategy: 'cache-aware' }), 0);
  return { p, signals, snapshot, picks };
}

const chosen = (result: ReturnType<ReturnType<typeof setup>['p']['route']>) => (result.ok ? result.target.entry.id : `error:${result.error.code}`);

describe('cache-aware through the picker', () => {
  it('sends a shared system prompt with distinct questions to one scheduler and reports matched blocks', () => {
    const { p, snapshot, picks } = setup();
    const ids = new Set<string>();
    for (let i = 0; i < 30; i++) ids.add(chosen(p.route(snapshot, { model: 'm', body: { messages: [{ role: 'system', content: SYSTEM }, { role: 'user', content: `question ${i}` }] } })));
    expect(ids.size).toBe(1);
    expect(picks[0]![1]).toBe(0);
    expect(picks[1]![1]).toBeGreaterThan(5);
    const result = p.route(snapshot, { model: 'm', body: { messages: [{ role: 'system', content: SYSTEM }, { role: 'user', content: 'last' }] } }, explain);
    const receipt = JSON.parse((result as { receipt: string }).receipt) as { strategy: string; reason: string; candidates: Array<{ id: string; matched_blocks: number }> };
    expect(receipt.strategy).toBe('cache-aware');
    expect(receipt.reason).toMatch(/^longest cached prefix/);
    expect(receipt.candidates.find((c) => c.id === [...ids][0])!.matched_blocks).toBeGreaterThan(5);
    expect(receipt.candidates.filter((c) => c.matched_blocks === 0)).toHaveLength(3);
  });

  it('leaves drained schedulers and open breakers out, honours pins, and forgets schedulers that left', () => {
    const { p, snapshot } = setup();
    const body = { messages: [{ role: 'system', content: SYSTEM }, { role: 'user', content: 'hi' }] };
    const home = chosen(p.route(snapshot, { model: 'm', body }));
    expect(chosen(p.route(snapshot, { model: 'm', body }, { unavailable: (id) => id === home }))).not.toBe(home);
    expect(chosen(p.route(snapshot, { model: 'm', body, backend: 's4' }))).toBe('s4');
    const drained = buildSnapshot(routingTable({ version: 2, schedulers: four.map((s) => (s.id === home ? { ...s, state: 'draining' } : s)), default_strategy: 'cache-aware' }), 0);
    for (let i = 0; i < 5; i++) expect(chosen(p.route(drained, { model: 'm', body }))).not.toBe(home);
    const gone = buildSnapshot(routingTable({ version: 3, schedulers: four.filter((s) => s.id !== home), default_strategy: 'cache-aware' }), 0);
    p.route(gone, { model: 'm', body });
    expect(p.prefixIndex.blocksOf(home)).toBe(0);
  });

  it('routes bad input sensibly and never throws: empty messages, non-text parts, huge prompts, token ids', () => {
    const { p, snapshot, picks } = setup();
    const huge = 'lorem ipsum '.repeat(500_000);
    const bodies: Array<Record<string, unknown> | undefined> = [
      undefined, {}, { messages: [] }, { messages: [null, 3, 'x', { role: 'user' }] }, { messages: 'nope' },
      { messages: [{ role: 'user', content: [{ type: 'image_url', image_url: { url: 'https://x/y.png' } }, { type: 'input_audio' }, null] }] },
      { messages: [{ role: 'system', content: huge }, { role: 'user', content: huge }] },
      { prompt: [101, 2023, 2003, 1037] }, { prompt: [[1, 2], [3]] }, { prompt: [] }, { prompt: 42 }, { input: ['a', 'b'] },
    ];
    for (const body of bodies) expect(p.route(snapshot, { model: 'm', body }, explain)).toMatchObject({ ok: true, strategy: 'cache-aware' });
    // A huge prompt reads only the bounded prefix (PREFIX_INDEX_MAX_CHARS, 65,536 characters: 256 blocks of 256).
    expect(chosen(p.route(snapshot, { model: 'm', body: { prompt: huge } }))).toBeDefined();
    expect(picks.at(-1)![2]).toBe(DEFAULT_PROMPT_BLOCK_OPTIONS.maxChars / DEFAULT_PROMPT_BLOCK_OPTIONS.blockChars);
    // Token-id prompts with a common head follow each other.
    const ids = Array.from({ length: 400 }, (_, i) => i % 97);
    const first = chosen(p.route(snapshot, { model: 'm', body: { prompt: [...ids, 1] } }));
    for (let i = 2; i < 10; i++) expect(chosen(p.route(snapshot, { model: 'm', body: { prompt: [...ids, i] } }))).toBe(first);
  });
});
