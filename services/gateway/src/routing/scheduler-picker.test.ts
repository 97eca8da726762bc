import { routingTable, schedulerEntry } from '../testing/fixtures';
import { createLocalSignals } from './local-signals';
import { buildSnapshot } from './routing-table-store';
import { createSchedulerPicker } from './scheduler-picker';

const schedulers = [
  schedulerEntry({ id: 'a', url: 'http://a', models: ['m'], effective_weight: 1 }),
  schedulerEntry({ id: 'b', url: 'http://b', models: ['m'], effective_weight: 3 }),
  schedulerEntry({ id: 'c', url: 'http://c', models: ['m', 'other'], state: 'draining' }),
];

function picker(rand: () => number = () => 0.5) {
  const warnings: string[] = [];
  return { warnings, picker: createSchedulerPicker({ signals: createLocalSignals(), rand, warn: (_m, meta) => warnings.push(String(meta.strategy)) }) };
}

describe('scheduler picker', () => {
  it('round-robins over usable schedulers by default', () => {
    const snapshot = buildSnapshot(routingTable({ version: 1, schedulers, default_strategy: '' }), 0);
    const { picker: p } = picker();
    const ids = [1, 2, 3, 4].map(() => {
      const result = p.route(snapshot, { model: 'm' });
      return result.ok ? result.target.entry.id : result.error.code;
    });
    expect(ids).toEqual(['a', 'b', 'a', 'b']);
  });

  it("uses the model's strategy override, and excludes already tried schedulers", () => {
    const snapshot = buildSnapshot(
      routingTable({ version: 1, schedulers, default_strategy: 'round-robin', models: { m: { strategy: 'weighted-random', served_names: [], resume_streams: false } } }),
      0,
    );
    const { picker: p } = picker(() => 0.5);
    const weighted = p.route(snapshot, { model: 'm' });
    expect(weighted).toMatchObject({ ok: true, strategy: 'weighted-random', target: { entry: { id: 'b' } } });
    const retry = p.route(snapshot, { model: 'm' }, { exclude: new Set(['b']) });
    expect(retry).toMatchObject({ ok: true, target: { entry: { id: 'a' } } });
    const none = p.route(snapshot, { model: 'm' }, { exclude: new Set(['a']), unavailable: (id) => id === 'b' });
    expect(none).toMatchObject({ ok: false, error: { status: 503, code: 'no_available_scheduler' } });
  });

  it('falls back to round-robin for an unknown strategy and warns once', () => {
    const snapshot = buildSnapshot(routingTable({ version: 1, schedulers, default_strategy: 'telepathy' }), 0);
    const { picker: p, warnings } = picker();
    expect(p.route(snapshot, { model: 'm' })).toMatchObject({ ok: true, strategy: 'round-robin' });
    p.route(snapshot, { model: 'm' });
    expect(warnings).toEqual(['telepathy']);
  });

  it('answers 404 for an unknown model and 503 when no scheduler is usable', () => {
    const snapshot = buildSnapshot(routingTable({ version: 1, schedulers }), 0);
    const { picker: p } = picker();
    expect(p.route(snapshot, { model: 'nope' })).toMatchObject({ ok: false, error: { status: 404, code: 'model_not_found' } });
    expect(p.route(snapshot, { model: 'other' })).toMatchObject({ ok: false, error: { status: 503 } });
  });

  it('routes pinned requests to exactly that scheduler, or explains why not', () => {
    const snapshot = buildSnapshot(routingTable({ version: 1, schedulers }), 0);
    const { picker: p } = picker();
    for (let i = 0; i < 3; i++) expect(p.route(snapshot, { model: 'm', backend: 'b' })).toMatchObject({ ok: true, strategy: 'pinned', target: { entry: { id: 'b' } } });
    expect(p.route(snapshot, { model: 'm', backend: 'zz' })).toMatchObject({ ok: false, error: { status: 404, code: 'backend_not_found', param: 'backend' } });
    expect(p.route(snapshot, { model: 'other', backend: 'a' })).toMatchObject({ ok: false, error: { status: 400, code: 'backend_model_mismatch' } });
    expect(p.route(snapshot, { model: 'm', backend: 'c' })).toMatchObject({ ok: false, error: { status: 503, code: 'backend_unavailable' } });
  });
});

describe('scheduler picker: issue 4', () => {
  const route = (strategy: string, served_names: string[] = []) => ({ strategy, served_names, resume_streams: false });
  const setup = (table: Parameters<typeof routingTable>[0], rand: () => number = () => 0.5) => {
    const signals = createLocalSignals();
    const panics: string[] = [];
    const p = createSchedulerPicker({ signals, rand, warn: () => undefined, onPanic: (model) => panics.push(model) });
    return { signals, panics, p, snapshot: buildSnapshot(routingTable(table), 0) };
  };
  const explain = { headers: { 'x-switchyard-explain': '1' } };

  it('routes in panic mode when no scheduler of the model is healthy, by base weight, and says so', () => {
    const { p, panics, snapshot } = setup({
      version: 1,
      schedulers: [
        schedulerEntry({ id: 'sick', url: 'http://s', models: ['m'], state: 'unhealthy', effective_weight: 0, weight: 3 }),
        schedulerEntry({ id: 'cold', url: 'http://c', models: ['m'], state: 'healthy', effective_weight: 0, weight: 1 }),
        schedulerEntry({ id: 'gone', url: 'http://g', models: ['m'], state: 'draining', effective_weight: 0 }),
      ],
      default_strategy: 'weighted-random',
    });
    const result = p.route(snapshot, { model: 'm' }, explain);
    expect(result).toMatchObject({ ok: true, panic: true, target: { entry: { id: 'sick' } } });
    expect(panics).toEqual(['m']);
    const receipt = JSON.parse((result as { receipt: string }).receipt) as Record<string, unknown>;
    expect(receipt).toMatchObject({ panic: true, chosen: 'sick', excluded: [{ id: 'gone', why: 'draining' }] });
    expect(receipt.candidates).toEqual([
      { id: 'sick', weight: 3, in_flight: 0, score: 0.75 },
      { id: 'cold', weight: 1, in_flight: 0, score: 0.25 },
    ]);
  });

  it('never routes to a draining scheduler, even when it is the last one', () => {
    const { p, panics, snapshot } = setup({ version: 1, schedulers: [schedulerEntry({ id: 'd', url: 'http://d', models: ['m'], state: 'draining' })] });
    expect(p.route(snapshot, { model: 'm' })).toMatchObject({ ok: false, error: { status: 503, code: 'no_available_scheduler' } });
    expect(panics).toEqual([]);
  });

  it('skips weight-0 and unhealthy schedulers while a healthy one exists, and tells why in the receipt', () => {
    const { p, snapshot } = setup({
      version: 3,
      schedulers: [
        schedulerEntry({ id: 'a', url: 'http://a', models: ['m'] }),
        schedulerEntry({ id: 'b', url: 'http://b', models: ['m'], effective_weight: 0 }),
        schedulerEntry({ id: 'c', url: 'http://c', models: ['m'], state: 'unhealthy', effective_weight: 0 }),
        schedulerEntry({ id: 'd', url: 'http://d', models: ['m'] }),
      ],
    });
    const result = p.route(snapshot, { model: 'm' }, { exclude: new Set(['d']), headers: explain.headers });
    expect(result).toMatchObject({ ok: true, panic: false, target: { entry: { id: 'a' } } });
    expect(JSON.parse((result as { receipt: string }).receipt)).toMatchObject({
      strategy: 'round-robin',
      table_version: 3,
      chosen: 'a',
      candidates: [{ id: 'a' }],
      excluded: [
        { id: 'b', why: 'weight_0' },
        { id: 'c', why: 'unhealthy' },
        { id: 'd', why: 'tried' },
      ],
    });
  });

  it('computes no receipt unless asked', () => {
    const { p, snapshot } = setup({ version: 1, schedulers });
    expect(p.route(snapshot, { model: 'm' })).not.toHaveProperty('receipt');
    expect(p.route(snapshot, { model: 'm' }, { headers: {} })).not.toHaveProperty('receipt');
  });

  it('routes an alias to its schedulers under their served names', () => {
    const { p, snapshot } = setup({
      version: 1,
      schedulers: [schedulerEntry({ id: 'q', url: 'http://q', models: ['qwen-7b-instruct'] })],
      models: { qwen: route('', ['qwen-7b-instruct']) },
    });
    const result = p.route(snapshot, { model: 'qwen' }, explain);
    expect(result).toMatchObject({ ok: true, target: { servedName: 'qwen-7b-instruct' } });
    expect(JSON.parse((result as { receipt: string }).receipt)).toMatchObject({ model: 'qwen', served_model: 'qwen-7b-instruct' });
  });

  const five = ['s1', 's2', 's3', 's4', 's5'].map((id) => schedulerEntry({ id, url: `http://${id}`, models: ['m', 'n'] }));

  it('prefix-affinity (per-model override): one scheduler per conversation, others for other conversations', () => {
    const { p, snapshot } = setup({ version: 1, schedulers: five, default_strategy: 'round-robin', models: { m: route('prefix-affinity'), n: route('') } });
    const system = 'You are a terse assistant for invoices. '.repeat(20);
    const chosen = new Set<string>();
    const history: { role: string; content: string }[] = [{ role: 'system', content: system }, { role: 'user', content: 'first question' }];
    for (let turn = 0; turn < 50; turn++) {
      const result = p.route(snapshot, { model: 'm', body: { messages: history } });
      if (result.ok) chosen.add(result.target.entry.id);
      history.push({ role: 'assistant', content: `answer ${turn}` }, { role: 'user', content: `follow-up ${turn}` });
    }
    expect(chosen.size).toBe(1);
    const homes = new Set<string>();
    for (let i = 0; i < 40; i++) {
      const result = p.route(snapshot, { model: 'm', body: { messages: [{ role: 'system', content: `tenant ${i}: ${system}` }] } });
      if (result.ok) homes.add(result.target.entry.id);
    }
    expect(homes.size).toBeGreaterThan(2);
    // The default strategy still applies to the other model.
    expect(p.route(snapshot, { model: 'n' })).toMatchObject({ ok: true, strategy: 'round-robin' });
  });

  it('session-affinity keeps a session on one scheduler, by x-session-id or user', () => {
    const { p, snapshot } = setup({ version: 1, schedulers: five, default_strategy: 'session-affinity' });
    const byHeader = new Set<string>();
    const byUser = new Set<string>();
    for (let i = 0; i < 20; i++) {
      const h = p.route(snapshot, { model: 'm', body: {} }, { headers: { 'x-session-id': 'conversation-42' } });
      const u = p.route(snapshot, { model: 'm', body: { user: 'alice' } });
      if (h.ok) byHeader.add(h.target.entry.id);
      if (u.ok) byUser.add(u.target.entry.id);
    }
    expect(byHeader.size).toBe(1);
    expect(byUser.size).toBe(1);
  });

  it('least-latency and least-outstanding read the local signals live', () => {
    const { p, signals, snapshot } = setup({ version: 1, schedulers: five.slice(0, 2), default_strategy: 'least-latency', models: { n: route('least-outstanding') } });
    signals.observeLatency('s1', 300);
    signals.observeLatency('s2', 40);
    expect(p.route(snapshot, { model: 'm' })).toMatchObject({ ok: true, target: { entry: { id: 's2' } } });
    signals.observeLatency('s2', 2000);
    expect(p.route(snapshot, { model: 'm' })).toMatchObject({ ok: true, target: { entry: { id: 's1' } } });
    for (let i = 0; i < 3; i++) signals.begin('s1');
    for (let i = 0; i < 10; i++) expect(p.route(snapshot, { model: 'n' })).toMatchObject({ ok: true, target: { entry: { id: 's2' } } });
  });
});

describe('scheduler picker: headroom reserve (issue 19)', () => {
  // Two schedulers of 4 slots (max_in_flight 4): 8 slots, of which a quarter (2) may be reserved.
  const table = routingTable({
    version: 1,
    schedulers: [schedulerEntry({ id: 'a', url: 'http://a', models: ['m'] }), schedulerEntry({ id: 'b', url: 'http://b', models: ['m'] })],
    default_strategy: 'least-outstanding',
  });
  const setup = () => {
    const signals = createLocalSignals();
    const p = createSchedulerPicker({ signals, warn: () => undefined, saturation: { maxWaiting: 0, maxKvCacheUsage: 0, maxInFlight: 4 } });
    const snapshot = buildSnapshot(table, 0);
    /** Routes like the proxy: a routed request counts itself in flight. */
    const take = (reserve: number) => {
      const result = p.route(snapshot, { model: 'm' }, { reserve });
      if (result.ok) signals.begin(result.target.entry.id);
      return result.ok ? result.target.entry.id : result.waitFor !== undefined ? 'full' : result.error.code;
    };
    return { signals, take };
  };

  it('keeps the last free slots from a request that must leave them, and gives them to one that need not', () => {
    const { signals, take } = setup();
    expect([1, 2, 3, 4, 5, 6].map(() => take(2)).sort()).toEqual(['a', 'a', 'a', 'b', 'b', 'b']);
    // Two slots free, both reserved: the lower class counts the model as full (it waits in the queue).
    expect(take(2)).toBe('full');
    expect(take(1)).not.toBe('full');
    expect(take(0)).not.toBe('full');
    expect(signals.inFlight('a') + signals.inFlight('b')).toBe(8);
    expect(take(0)).toBe('full');
    // A slot frees: still within the reserve for the lower class.
    signals.end('a');
    expect(take(1)).toBe('full');
    expect(take(0)).toBe('a');
  });

  it('never reserves more than a quarter of the model\'s slots', () => {
    const { take } = setup();
    for (let i = 0; i < 6; i += 1) expect(take(100)).not.toBe('full');
    expect(take(100)).toBe('full');
  });
});
