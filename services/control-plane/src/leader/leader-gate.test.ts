import type { Component } from '@switchyard/lifecycle';
import { sleep } from '@switchyard/testing';
import { capturingLogger } from '../test-support/redis-fixture';
import { createLeaderGate } from './leader-gate';
import type { Leadership } from './leadership';

/** Leadership the test flips by hand. */
function manualLeadership() {
  let leading = false;
  let epoch = 0;
  const listeners = new Set<(leading: boolean) => void>();
  const leadership: Leadership = {
    replicaId: 'r1',
    isLeader: () => leading,
    epoch: () => epoch,
    leader: async () => ({ id: leading ? 'r1' : null, epoch }),
    fence: () => undefined,
    onChange(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
  const set = (next: boolean, nextEpoch = epoch) => {
    leading = next;
    epoch = nextEpoch;
    for (const listener of listeners) listener(next);
  };
  return { leadership, set };
}

function recorder(events: string[], name: string, failStarts = 0): Component {
  let failures = failStarts;
  return {
    name,
    async start() {
      if (failures-- > 0) throw new Error('not yet');
      events.push(`start ${name}`);
    },
    async stop() {
      events.push(`stop ${name}`);
    },
  };
}

describe('leader gate', () => {
  it('runs the work only while leading: in order on election, in reverse on step-down, again on a new epoch', async () => {
    const events: string[] = [];
    const { leadership, set } = manualLeadership();
    const gate = createLeaderGate(leadership, [recorder(events, 'a'), recorder(events, 'b')], capturingLogger().logger);
    await gate.start();
    expect(events).toEqual([]);
    set(true, 1);
    await sleep(10);
    expect(events).toEqual(['start a', 'start b']);
    set(false);
    await sleep(10);
    expect(events.splice(0)).toEqual(['start a', 'start b', 'stop b', 'stop a']);
    set(true, 2);
    set(false);
    set(true, 3);
    await sleep(10);
    expect(events.splice(0)).toEqual(['start a', 'start b']);
    set(true, 4);
    await sleep(10);
    expect(events.splice(0)).toEqual(['stop b', 'stop a', 'start a', 'start b']);
    await gate.stop();
    expect(events).toEqual(['stop b', 'stop a']);
  });

  it('retries work that failed to start while still leading', async () => {
    const events: string[] = [];
    const { leadership, set } = manualLeadership();
    set(true, 1);
    const gate = createLeaderGate(leadership, [recorder(events, 'a'), recorder(events, 'b', 1)], capturingLogger().logger);
    await gate.start();
    expect(events).toEqual(['start a', 'stop b', 'stop a']);
    await sleep(1_100);
    expect(events.slice(3)).toEqual(['start a', 'start b']);
    await gate.stop();
  });
});
