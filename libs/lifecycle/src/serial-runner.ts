/** One async task run one at a time, with requests made during a run coalesced. */
export interface SerialRunner {
  /**
   * Runs the task now, or, while a run is under way, asks for exactly one more
   * after it (what changed during a run is never lost, and a burst of requests
   * costs one extra run). Resolves when the runs it joined end; rejects with
   * their error.
   */
  run(): Promise<void>;
  /** Resolves once nothing runs (stop() waits for it); never rejects. */
  idle(): Promise<void>;
}

/** Serializes runs of `task` (rebuilds, persists, file checks) and coalesces requests made during one into one more. */
export function createSerialRunner(task: () => Promise<void>): SerialRunner {
  let running: Promise<void> | undefined;
  let again = false;
  const loop = async () => {
    try {
      while (again) {
        again = false;
        // Through a new promise, so even a synchronous throw settles after `running` is assigned.
        await new Promise<void>((resolve) => resolve(task()));
      }
    } finally {
      // Cleared in the same step as the last `again` check: a request arriving later starts a new loop.
      running = undefined;
    }
  };
  return {
    run() {
      again = true;
      running ??= loop();
      return running;
    },
    idle: async () => {
      await running?.catch(() => undefined);
    },
  };
}
