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
