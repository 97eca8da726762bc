import type { BreakerState } from '@switchyard/proto';
import { sleep } from '@switchyard/testing';
import { createSchedulerStats } from '../../control-plane-client/scheduler-stats';
import type { ForwardOptions, ForwardResult, UpstreamExchange } from '../forward';
import { createSchedulerBreakers, type SchedulerBreakers } from './scheduler-breakers';

const OK: ForwardResult = { ok: true, exchange: { response: { statusCode: 200 } } as unknown as UpstreamExchange };
const BAD_REQUEST: ForwardResult = { ok: true, exchange: { response: { statusCode: 400 } } as unknown as UpstreamExchange };
const SERVER_ERROR: ForwardResult = { ok: true, exchange: { response: { statusCode: 500 } } as unknown as UpstreamExchange };
const REFUSED: ForwardResult = { ok: false, reason: 'connect', detail: 'ECONNREFUSED', reusedSocket: false };
const BUSY: ForwardResult = { ok: false, reason: 'status', status: 429, exchange: { response: { statusCode: 429 } } as unknown as UpstreamExchange };
const LEFT: ForwardResult = { ok: false, reason: 'aborted', detail: '', reusedSocket: false };
const RESET_MS = 150;

describe('scheduler circuit breakers (opossum)', () => {
  let next: ForwardResult;
  let changes: Array<[string, BreakerState]>;
  let breakers: SchedulerBreakers;
  const options = {} as ForwardOptions;
  const fire = (id: string, result: ForwardResult) => {
    next = result;
    return breakers.forward(id, options);
  };
  const fireAll = async (id: string, results: ForwardResult[]) => {
    for (const result of results) await fire(id, result);
  };

  let created: string[] = [];

  beforeEach(() => {
    changes = [];
    created = [];
    breakers = createSchedulerBreakers({
      settings: { consecutiveFailures: 3, errorThresholdPercent: 50, rollingWindowMs: 10_000, volumeThreshold: 4, resetMs: RESET_MS },
      forward: async () => next,
      onStateChange: (id, state) => changes.push([id, state]),
      onCreate: (id) => created.push(id),
    });
  });

  afterEach(() => breakers.stop());

  it('opens after consecutive failures and refuses attempts while open', async () => {
    await fireAll('a', [REFUSED, REFUSED]);
    expect(breakers.stateOf('a')).toBe('closed');
    expect(await fire('a', REFUSED)).toBe(REFUSED);
    expect(breakers.stateOf('a')).toBe('open');
    expect(breakers.isUnavailable('a')).toBe(true);
    expect(breakers.isUnavailable('b')).toBe(false);
    expect(await fire('a', OK)).toEqual({ ok: false, reason: 'circuit_open' });
    expect(changes).toEqual([['a', 'open']]);
  });

  it('announces each scheduler breaker once, on its first request', async () => {
    await fireAll('a', [OK, OK]);
    await fire('b', OK);
    expect(created).toEqual(['a', 'b']);
    expect(changes).toEqual([]);
  });

  it('never counts 4xx, 429, a client that left: the breaker stays closed', async () => {
    await fireAll('a', Array.from({ length: 20 }, (_, i) => [BAD_REQUEST, BUSY, LEFT][i % 3]!));
    expect(breakers.stateOf('a')).toBe('closed');
    expect(breakers.anyNotClosed()).toBe(false);
  });

  it('counts a 5xx answer but still hands it back (the relay sends it to the client)', async () => {
    expect(await fire('a', SERVER_ERROR)).toBe(SERVER_ERROR);
    await fireAll('a', [SERVER_ERROR, SERVER_ERROR]);
    expect(breakers.stateOf('a')).toBe('open');
  });

  it('opens on the error percentage once the volume is reached', async () => {
    await fireAll('a', [REFUSED, OK, REFUSED, OK]);
    // 2 of 4 = 50% is not above the threshold.
    expect(breakers.stateOf('a')).toBe('closed');
    await fire('a', REFUSED);
    expect(breakers.stateOf('a')).toBe('open');
  });

  it('half-opens after the reset time for one trial: success closes it', async () => {
    await fireAll('a', [REFUSED, REFUSED, REFUSED]);
    await sleep(RESET_MS + 50);
    expect(breakers.stateOf('a')).toBe('half_open');
    expect(breakers.isUnavailable('a')).toBe(false);
    let release: (r: ForwardResult) => void = () => undefined;
    const slow = createSchedulerBreakers({
      settings: { consecutiveFailures: 1, errorThresholdPercent: 50, rollingWindowMs: 10_000, volumeThreshold: 1, resetMs: RESET_MS },
      forward: () => new Promise<ForwardResult>((resolve) => (release = resolve)),
      onStateChange: () => undefined,
    });
    try {
      next = REFUSED;
      const first = slow.forward('s', options);
      release(REFUSED);
      await first;
      await sleep(RESET_MS + 50);
      const trial = slow.forward('s', options);
      // The trial is in flight: nobody else gets this scheduler.
      expect(slow.isUnavailable('s')).toBe(true);
      expect(await slow.forward('s', options)).toEqual({ ok: false, reason: 'circuit_open' });
      release(OK);
      expect(await trial).toBe(OK);
      expect(slow.stateOf('s')).toBe('closed');
    } finally {
      slow.stop();
    }
    await fire('a', OK);
    expect(changes).toEqual([
      ['a', 'open'],
      ['a', 'half_open'],
      ['a', 'closed'],
    ]);
  });

  it('re-opens when the half-open trial gets an answer the proxy judges (a 500 it has not attributed yet)', async () => {
    const judged500: ForwardResult = { ok: false, reason: 'status', status: 500, judged: true, exchange: SERVER_ERROR.ok ? SERVER_ERROR.exchange : (undefined as never) };
    await fireAll('a', [REFUSED, REFUSED, REFUSED]);
    await sleep(RESET_MS + 50);
    expect(await fire('a', judged500)).toBe(judged500);
    expect(breakers.stateOf('a')).toBe('open');
    // While closed, the same answer waits for its verdict: it neither opens nor counts.
    await sleep(RESET_MS + 50);
    await fire('a', OK);
    for (let i = 0; i < 5; i++) await fire('a', judged500);
    expect(breakers.stateOf('a')).toBe('closed');
  });

  it('re-opens when the half-open trial fails', async () => {
    await fireAll('a', [REFUSED, REFUSED, REFUSED]);
    await sleep(RESET_MS + 50);
    await fire('a', REFUSED);
    expect(breakers.stateOf('a')).toBe('open');
    expect(changes.map(([, state]) => state)).toEqual(['open', 'half_open', 'open']);
  });

  it('feeds breaker_state into the stats report, also for schedulers without traffic', async () => {
    await fireAll('a', [REFUSED, REFUSED, REFUSED]);
    await fire('b', OK);
    const stats = createSchedulerStats(() => 0.5);
    stats.recordRequest('b', 5);
    const report = stats.drain([], breakers);
    expect(report.map((s) => [s.scheduler_id, s.breaker_state])).toEqual([
      ['a', 'open'],
      ['b', 'closed'],
    ]);
  });

  it('forgets schedulers that left the table', async () => {
    await fireAll('a', [REFUSED, REFUSED, REFUSED]);
    breakers.retain(new Set(['b']));
    expect(breakers.stateOf('a')).toBe('closed');
    expect(breakers.anyNotClosed()).toBe(false);
    expect(changes).toEqual([
      ['a', 'open'],
      ['a', 'closed'],
    ]);
  });
});
