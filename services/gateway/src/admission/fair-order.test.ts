import { FairOrder, type Queued } from './fair-order';

interface Item extends Queued {
  name: string;
}
const item = (name: string, user: string, rank: number): Item => ({ name, user, rank });

/** Serves everything the way the queue does: the first of inOrder(), its user then moves back. */
function drain(order: FairOrder<Item>): string[] {
  const served: string[] = [];
  for (;;) {
    const next = order.inOrder().next();
    if (next.done === true) return served;
    order.remove(next.value, true);
    served.push(next.value.name);
  }
}

describe('FairOrder (issue 19)', () => {
  it('serves classes in strict priority and users in turn within a class', () => {
    const order = new FairOrder<Item>(3);
    for (const it of [item('b1', 'batch', 2), item('a1', 'ann', 1), item('a2', 'ann', 1), item('a3', 'ann', 1), item('z1', 'zed', 1), item('i1', 'ivy', 0), item('z2', 'zed', 1)]) order.push(it);
    expect(order.size).toBe(7);
    expect(order.countOf('ann')).toBe(3);
    expect(drain(order)).toEqual(['i1', 'a1', 'z1', 'a2', 'z2', 'a3', 'b1']);
    expect(order.size).toBe(0);
    expect(order.users).toBe(0);
  });

  it('removes a request anywhere (a client that left) without serving its user early', () => {
    const order = new FairOrder<Item>(3);
    const a2 = item('a2', 'ann', 1);
    for (const it of [item('a1', 'ann', 1), a2, item('z1', 'zed', 1)]) order.push(it);
    expect(order.remove(a2)).toBe(true);
    expect(order.remove(a2)).toBe(false);
    expect(drain(order)).toEqual(['a1', 'z1']);
  });

  it('gives up the newest request of the most-queued user of the least urgent class when full', () => {
    const order = new FairOrder<Item>(3);
    for (const it of [item('s1', 'sam', 1), item('b1', 'bo', 2), item('c1', 'cy', 2), item('c2', 'cy', 2), item('s2', 'sam', 1)]) order.push(it);
    expect(order.victim()?.name).toBe('c2');
    expect(order.depthOf(2)).toBe(3);
  });
});
