import { isSaturated, thresholdsFor, type SaturationThresholds } from './saturation';

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
});
