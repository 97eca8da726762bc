import { createSerialRunner } from './serial-runner';

/** A task whose runs wait until released, counting how many started. */
function gatedTask() {
  let starts = 0;
  let release: (() => void) | undefined;
  const task = () => {
    starts += 1;
    return new Promise<void>((resolve) => (release = resolve));
  };
  return { task, starts: () => starts, release: () => release?.() };
}

const tick = () => new Promise((resolve) => setImmediate(resolve));

describe('createSerialRunner', () => {
  it('runs one at a time and coalesces requests during a run into exactly one more', async () => {
    const gated = gatedTask();
    const runner = createSerialRunner(gated.task);
    const first = runner.run();
    const joined = [runner.run(), runner.run(), runner.run()];
    expect(gated.starts()).toBe(1);
    gated.release();
    await tick();
    expect(gated.starts()).toBe(2);
    gated.release();
    await Promise.all([first, ...joined]);
    expect(gated.starts()).toBe(2);
    await runner.idle();
  });

  it('rejects the callers of a failed run, then runs again on the next request; idle() never rejects', async () => {
    let calls = 0;
    const runner = createSerialRunner(async () => {
      calls += 1;
      if (calls === 1) throw new Error('boom');
    });
    const failed = runner.run();
    await expect(runner.idle()).resolves.toBeUndefined();
    await expect(failed).rejects.toThrow('boom');
    await expect(runner.run()).resolves.toBeUndefined();
    expect(calls).toBe(2);
  });

  it('recovers from a task that throws synchronously', async () => {
    let calls = 0;
    const runner = createSerialRunner(() => {
      calls += 1;
      if (calls === 1) throw new Error('sync');
      return Promise.resolve();
    });
    await expect(runner.run()).rejects.toThrow('sync');
    await expect(runner.run()).resolves.toBeUndefined();
  });
});
