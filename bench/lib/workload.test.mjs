import assert from 'node:assert/strict';
import { test } from 'node:test';
import { alternate } from './workload.mjs';

test('each round starts one target later, and every target is measured once per round', async () => {
  /** @type {string[]} */
  const order = [];
  const targets = [{ name: 'a' }, { name: 'b' }, { name: 'c' }];
  const out = await alternate(targets, 4, async (target, round) => {
    order.push(target.name);
    return round;
  }, () => undefined);
  assert.deepEqual(order.join(' '), 'a b c b c a c a b a b c');
  assert.deepEqual(out, { a: [1, 2, 3, 4], b: [1, 2, 3, 4], c: [1, 2, 3, 4] });
});
