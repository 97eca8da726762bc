import { DEFAULT_PROMPT_BLOCK_OPTIONS } from '@switchyard/routing';
import { routingTable, schedulerEntry } from '../testing/fixtures';
import { createLocalSignals } from './local-signals';
import { buildSnapshot } from './routing-table-store';
import { createSchedulerPicker, type RouteOptions } from './scheduler-picker';
import type { SaturationThresholds } from './saturation';

// cache-aware through the gateway's picker (issue 18): the index learns from every
// pick, the receipt shows matched blocks, drain / pins / breakers behave as for
// every strategy, and odd bodies route without throwing.

const four = ['s1', 's2', 's3', 's4'].map((id) => schedulerEntry({ id, url: `http://${id}`, models: ['m'] }));
const SYSTEM = 'You are the billing assistant. Answer with the invoice number first. '.repeat(30);
const explain = { headers: { 'x-switchyard-explain': '1' } };

function setup(schedulers = four, saturation?: SaturationThresholds) {
  const signals = createLocalSignals();
  const picks: Array<[string, number, number]> = [];
  const p = createSchedulerPicker({ signals, rand: () => 0.5, warn: () => undefined, saturation, onPrefixPick: (id, matched, blocks) => picks.push([id, matched, blocks]) });
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

  it('filters the pool lazily (only the candidates it reads) and picks what the filtered pool would', () => {
    // Same traffic through two pickers: one asked for receipts (the exact pool: choosePool, then the pick), one not (the lazy pool).
    const eight = Array.from({ length: 8 }, (_, i) => schedulerEntry({ id: `s${i + 1}`, url: `http://s${i + 1}`, models: ['m'], max_concurrency: 3 }));
    const exact = setup(eight);
    const lazy = setup(eight);
    const tenants = Array.from({ length: 5 }, (_, t) => `tenant ${t}: ${'policy text '.repeat(40 + t)}`);
    for (let i = 0; i < 200; i++) {
      const body = { messages: [{ role: 'system', content: tenants[i % 5]! }, { role: 'user', content: `question ${i}` }] };
      const tried = new Set(i % 7 === 0 ? ['s1', 's2'] : []);
      const options: RouteOptions = { exclude: tried, unavailable: (id) => i % 5 === 0 && id === 's3', reserve: i % 11 === 0 ? 2 : 0 };
      const a = exact.p.route(exact.snapshot, { model: 'm', body }, { ...options, ...explain });
      const b = lazy.p.route(lazy.snapshot, { model: 'm', body }, options);
      expect(chosen(b)).toBe(chosen(a));
      // Requests stay open for a while: schedulers fill to max_concurrency and leave the pool.
      if (a.ok && b.ok) {
        exact.signals.begin(a.target.entry.id);
        lazy.signals.begin(b.target.entry.id);
      }
      if (i % 3 === 2) for (const s of [exact, lazy]) for (const id of ['s1', 's2', 's3', 's4', 's5', 's6', 's7', 's8']) s.signals.end(id);
    }
    // Every scheduler full: both wait for a slot on all of them.
    for (const s of [exact, lazy]) for (const e of eight) while (s.signals.inFlight(e.id) < 3) s.signals.begin(e.id);
    const body = { messages: [{ role: 'user', content: 'anyone?' }] };
    expect(chosen(lazy.p.route(lazy.snapshot, { model: 'm', body }))).toBe('error:scheduler_at_capacity');
    expect(lazy.p.route(lazy.snapshot, { model: 'm', body })).toMatchObject({ ok: false, waitFor: eight.map((e) => e.id) });
  });

  it('lets a request wait when every scheduler left is past its KV threshold, as the filtered pool does', () => {
    const kvFull = four.map((e) => ({ ...e, load: { running: 8, waiting: 0, kv_cache_usage: 0.9 } }));
    const { p, signals, snapshot } = setup(kvFull, { maxWaiting: 0, maxKvCacheUsage: 0.8, maxInFlight: 0 });
    const body = { messages: [{ role: 'system', content: SYSTEM }, { role: 'user', content: 'q' }] };
    // Nothing open from this gateway: the KV threshold does not apply yet (saturation.ts), so one goes.
    const first = p.route(snapshot, { model: 'm', body });
    expect(first.ok).toBe(true);
    for (const e of four) signals.begin(e.id);
    expect(chosen(p.route(snapshot, { model: 'm', body }))).toBe('error:scheduler_at_capacity');
  });

  it('keeps a home past its KV threshold while other schedulers are not, as the filtered pool does', () => {
    const body = { messages: [{ role: 'system', content: SYSTEM }, { role: 'user', content: 'q' }] };
    const { p: probe, snapshot: fresh } = setup(four);
    const home = chosen(probe.route(fresh, { model: 'm', body }));
    const homeKvFull = four.map((e) => (e.id === home ? { ...e, load: { running: 8, waiting: 0, kv_cache_usage: 0.9 } } : e));
    for (const explain of [false, true]) {
      const { p, signals, snapshot } = setup(homeKvFull, { maxWaiting: 0, maxKvCacheUsage: 0.8, maxInFlight: 0 });
      expect(chosen(p.route(snapshot, { model: 'm', body }))).toBe(home);
      // Open requests from this gateway make the KV threshold apply: the home is saturated, the others are not.
      for (const e of four) signals.begin(e.id);
      const headers = explain ? { 'x-switchyard-explain': '1' } : undefined;
      expect(chosen(p.route(snapshot, { model: 'm', body }, { headers }))).toBe(home);
    }
  });
});
