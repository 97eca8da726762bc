import { createLifecycle, type Component } from './lifecycle';

const quietLogger = { info: () => undefined, error: () => undefined };

function recorder(events: string[], name: string, failStop = false): Component {
  return {
    name,
    start: async () => void events.push(`start ${name}`),
    stop: async () => {
      events.push(`stop ${name}`);
      if (failStop) throw new Error('boom');
    },
  };
}

describe('createLifecycle', () => {
  it('starts in order and stops in reverse, even when one stop fails', async () => {
    const events: string[] = [];
    const lifecycle = createLifecycle([recorder(events, 'a'), recorder(events, 'b', true), recorder(events, 'c')], quietLogger);
    await lifecycle.start();
    await lifecycle.stop();
    expect(events).toEqual(['start a', 'start b', 'start c', 'stop c', 'stop b', 'stop a']);
  });

  it('stops only what started when a start fails', async () => {
    const events: string[] = [];
    const failing: Component = { name: 'x', start: async () => Promise.reject(new Error('no')), stop: async () => void events.push('stop x') };
    const lifecycle = createLifecycle([recorder(events, 'a'), failing], quietLogger);
    await expect(lifecycle.start()).rejects.toThrow('no');
    await lifecycle.stop();
    expect(events).toEqual(['start a', 'stop a']);
  });
});
