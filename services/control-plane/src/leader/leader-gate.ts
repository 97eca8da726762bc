import type { Component } from '@switchyard/lifecycle';
import type { Logger } from '@switchyard/observability';
import type { Leadership } from './leadership';

/** After a failed start of leader work, the next attempt (while still leading). */
const RETRY_MS = 1_000;

/**
 * Runs leader-only components (table publisher, lease sweeper, discovery retrier,
 * prober…) exactly while this replica leads: started in order on election,
 * stopped in reverse on step-down, restarted on a new epoch. Transitions are
 * serialized and each one reconciles with the current leadership, so quick
 * flips never leave work running on a follower.
 */
export function createLeaderGate(leadership: Leadership, work: readonly Component[], logger: Logger): Component {
  const log = logger.child({ component: 'leader-gate' });
  const started: Component[] = [];
  let startedEpoch = 0;
  let active = false;
  let queue: Promise<void> = Promise.resolve();
  let retry: NodeJS.Timeout | undefined;
  let unsubscribe: (() => void) | undefined;

  const stopWork = async () => {
    while (started.length > 0) {
      const component = started.pop()!;
      await component.stop().catch((err: unknown) => log.error('leader work failed to stop', { component: component.name, error: String(err) }));
    }
  };
  const startWork = async () => {
    startedEpoch = leadership.epoch();
    for (const component of work) {
      try {
        started.push(component);
        await component.start();
      } catch (err) {
        log.error('leader work failed to start; retrying', { component: component.name, error: String(err) });
        await stopWork();
        retry = setTimeout(reconcile, RETRY_MS);
        retry.unref();
        return;
      }
    }
    log.info('leader work started', { epoch: startedEpoch, components: work.map((c) => c.name) });
  };
  const reconcile = () => {
    clearTimeout(retry);
    queue = queue.then(async () => {
      const wanted = active && leadership.isLeader();
      // A new epoch (re-acquired, or re-seeded Redis) restarts the work: fresh lease grace, a table in the new epoch.
      if (started.length > 0 && (!wanted || leadership.epoch() !== startedEpoch)) {
        await stopWork();
        log.info('leader work stopped');
      }
      if (wanted && started.length === 0) await startWork();
    });
    return queue;
  };

  return {
    name: 'leader-work',
    async start() {
      active = true;
      unsubscribe = leadership.onChange(() => void reconcile());
      await reconcile();
    },
    async stop() {
      active = false;
      unsubscribe?.();
      await reconcile();
    },
  };
}
