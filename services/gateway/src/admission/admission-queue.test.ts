import { CancellationSource } from '../proxy/cancellation';
import { createAdmissionQueue, type Ticket } from './admission-queue';

/** Capacity the tickets compete for: tryDispatch takes a slot when one is free. */
function slots(free: number) {
  const pool = { free };
  const ticket = (user: string, priority: Ticket<string>['priority'], name: string, timeoutMs = 5_000, cancellation = new CancellationSource()): Ticket<string> => ({
    user,
    priority,
    timeoutMs,
    cancellation,
    tryDispatch: () => {
      if (pool.free <= 0) return undefined;
      pool.free -= 1;
      return name;
    },
  });
  return { pool, ticket };
}

describe('admission queue (issue 19)', () => {
  it('serves by class, then users in turn, one per turn as capacity frees', async () => {
    const queue = createAdmissionQueue({ maxLength: 100 });
    const { pool, ticket } = slots(0);
    const served: string[] = [];
    const waits = [ticket('ann', 'batch', 'b1'), ticket('ann', 'standard', 'a1'), ticket('ann', 'standard', 'a2'), ticket('zed', 'standard', 'z1'), ticket('ivy', 'interactive', 'i1')].map((t) =>
      queue.wait('m', t).then((o) => (o.ok ? served.push(o.value) : served.push(`shed ${o.reason}`))),
    );
    expect(queue.depth('m')).toBe(5);
    pool.free = 5;
    queue.nudge();
    await Promise.all(waits);
    expect(served).toEqual(['i1', 'a1', 'z1', 'a2', 'b1']);
    queue.stop();
  });

  it('sheds on a full queue, a run-out wait, a client leaving and shutdown, saying whose share was over', async () => {
    const queue = createAdmissionQueue({ maxLength: 3 });
    const { ticket } = slots(0);
    const leaving = new CancellationSource();
    const ann = [queue.wait('m', ticket('ann', 'standard', 'a1', 50)), queue.wait('m', ticket('ann', 'standard', 'a2')), queue.wait('m', ticket('zed', 'standard', 'z1', 5_000, leaving))];
    expect(await queue.wait('m', ticket('bob', 'batch', 'b1'))).toMatchObject({ ok: false, reason: 'queue_full', overShare: false });
    // ann holds 2 of 3: over an equal share when her wait runs out.
    expect(await ann[0]).toMatchObject({ ok: false, reason: 'queue_timeout', overShare: true });
    leaving.cancel();
    expect(await ann[2]).toMatchObject({ ok: false, reason: 'cancelled' });
    expect(queue.depth('m')).toBe(1);
    queue.close();
    expect(await ann[1]).toMatchObject({ ok: false, reason: 'shutting_down' });
    expect(await queue.wait('m', ticket('ann', 'interactive', 'late'))).toMatchObject({ ok: false, reason: 'shutting_down' });
    queue.stop();
  });
});
