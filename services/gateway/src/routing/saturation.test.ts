import type { RoutingTable, SchedulerEntry } from '@switchyard/proto';
import { confirmedLoad, isSaturated, roomBeforeSaturated, slotsOf, thresholdsFor, type SaturationThresholds } from './saturation';

const DEFAULTS: SaturationThresholds = { maxWaiting: 5, maxKvCacheUsage: 0.8, maxInFlight: 0 };
const load = (waiting: number, kv = 0.1) => ({ running: 8, waiting, kv_cache_usage: kv });

describe('saturation (issue 19)', () => {
  it('adds this gateway\'s requests since the table to the engine queue it reported', () => {
    expect(isSaturated({ load: load(3), inFlight: 10, inFlightAtTable: 9 }, DEFAULTS)).toBe(false);
    expect(isSaturated({ load: load(3), inFlight: 11, inFlightAtTable: 9 }, DEFAULTS)).toBe(true);
    // Ended since the table: the engine's queue has shrunk too.
    expect(isSaturated({ load: load(6), inFlight: 7, inFlightAtTable: 9 }, DEFAULTS)).toBe(false);
    // Nothing open there: one request goes whatever the table says, and its end is the next signal.
    expect(isSaturated({ load: load(20, 0.95), inFlight: 0, inFlightAtTable: 0 }, DEFAULTS)).toBe(false);
  });

  it('counts a full KV cache until this gateway has ended more there than it started', () => {
    expect(isSaturated({ load: load(0, 0.85), inFlight: 4, inFlightAtTable: 4 }, DEFAULTS)).toBe(true);
    expect(isSaturated({ load: load(0, 0.85), inFlight: 3, inFlightAtTable: 4 }, DEFAULTS)).toBe(false);
  });

  it('caps this gateway\'s requests with max_in_flight, with or without load', () => {
    const t = { ...DEFAULTS, maxInFlight: 2 };
    expect(isSaturated({ load: undefined, inFlight: 2, inFlightAtTable: 0 }, t)).toBe(true);
    expect(isSaturated({ load: null, inFlight: 1, inFlightAtTable: 0 }, t)).toBe(false);
    expect(isSaturated({ load: undefined, inFlight: 100, inFlightAtTable: 0 }, DEFAULTS)).toBe(false);
  });

  it('takes a model\'s thresholds from the table field by field, the gateway\'s where 0', () => {
    const route = { strategy: '', served_names: ['m'], resume_streams: false, saturation: { max_waiting: 0, max_kv_cache_usage: 0.95, max_in_flight: 4 } };
    expect(thresholdsFor(route, DEFAULTS)).toEqual({ maxWaiting: 5, maxKvCacheUsage: 0.95, maxInFlight: 4 });
    expect(thresholdsFor({ ...route, saturation: null }, DEFAULTS)).toBe(DEFAULTS);
    expect(thresholdsFor(undefined, DEFAULTS)).toBe(DEFAULTS);
  });

  it('confirms a table\'s load for every scheduler with load below the lowest KV threshold in force', () => {
    const entry = (id: string, l: SchedulerEntry['load']) => ({ id, load: l }) as SchedulerEntry;
    const table = (models: RoutingTable['models']) =>
      ({ schedulers: [entry('idle', load(0, 0)), entry('queued', load(7, 0.3)), entry('kv-full', load(0, 0.85)), entry('kv-high', load(0, 0.75)), entry('unprobed', null)], models }) as RoutingTable;
    expect([...confirmedLoad(table({}), DEFAULTS)]).toEqual(['idle', 'queued', 'kv-high']);
    // A model's lower KV threshold keeps the schedulers past it holding their count too.
    const lower = { strategy: '', served_names: ['m'], resume_streams: false, saturation: { max_waiting: 0, max_kv_cache_usage: 0.7, max_in_flight: 0 } };
    expect([...confirmedLoad(table({ m: lower }), DEFAULTS)]).toEqual(['idle', 'queued']);
    expect([...confirmedLoad(table({}), { ...DEFAULTS, maxKvCacheUsage: 0 })]).toEqual(['idle', 'queued', 'kv-full', 'kv-high']);
    // Confirmed, the engine queue is the table's alone again: an idle engine takes max_waiting more, not max_waiting in all.
    expect(isSaturated({ load: load(0), inFlight: 5, inFlightAtTable: 0 }, DEFAULTS)).toBe(true);
    expect(isSaturated({ load: load(0), inFlight: 5, inFlightAtTable: 5 }, DEFAULTS)).toBe(false);
  });

  it('counts the requests a scheduler still takes before it is saturated (the headroom reserve\'s free slots)', () => {
    const t = { ...DEFAULTS, maxInFlight: 8 };
    expect(roomBeforeSaturated({ load: undefined, inFlight: 5, inFlightAtTable: 0 }, t)).toBe(3);
    expect(roomBeforeSaturated({ load: undefined, inFlight: 8, inFlightAtTable: 0 }, t)).toBe(0);
    // The estimated engine queue against max_waiting: 2 waiting + 1 sent since the table, of 5.
    expect(roomBeforeSaturated({ load: load(2), inFlight: 4, inFlightAtTable: 3 }, t)).toBe(2);
    // KV use gives no count: unsaturated is all it says.
    expect(roomBeforeSaturated({ load: load(0, 0.5), inFlight: 1, inFlightAtTable: 1 }, { maxWaiting: 0, maxKvCacheUsage: 0.8, maxInFlight: 0 })).toBe(Number.POSITIVE_INFINITY);
    // Nothing open there: the load thresholds do not apply yet, so one more always goes.
    expect(roomBeforeSaturated({ load: load(9), inFlight: 0, inFlightAtTable: 0 }, DEFAULTS)).toBe(1);
  });

  it('counts an empty scheduler\'s slots by its lowest countable cap', () => {
    expect(slotsOf(load(0), DEFAULTS, 0)).toBe(5);
    expect(slotsOf(undefined, DEFAULTS, 0)).toBe(Number.POSITIVE_INFINITY);
    expect(slotsOf(undefined, { ...DEFAULTS, maxInFlight: 8 }, 0)).toBe(8);
    expect(slotsOf(load(0), { ...DEFAULTS, maxInFlight: 8 }, 3)).toBe(3);
  });
});
