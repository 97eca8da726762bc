import type { Component } from '@switchyard/lifecycle';
import type { Logger } from '@switchyard/observability';
import type { StateStore } from '../state/state-store';

export interface LeaseSweeperDeps {
  store: StateStore;
  now: () => number;
  logger: Logger;
  /** How often leases are checked; bounds how late past its TTL a node disappears. */
  intervalMs: number;
}

/**
 * Expires self-registrations (`ttl_seconds`) that stopped heartbeating
 * (ARCHITECTURE.md, admin API). The store removes them, which triggers a table
 * rebuild like any other change. Started on election (leader-only work), it
 * gives every registration one full ttl from that moment before expiring it:
 * heartbeats refused while Redis or the previous leader was away did not stop.
 * One sweep at a time; the timer is unref'd and cleared in stop().
 */
export function createLeaseSweeper(deps: LeaseSweeperDeps): Component & { sweep(): Promise<string[]> } {
  const log = deps.logger.child({ component: 'lease-sweeper' });
  let timer: NodeJS.Timeout | undefined;
  let sweeping: Promise<string[]> | undefined;
  let startedAtMs: number | undefined;

  const sweep = (): Promise<string[]> => {
    sweeping ??= deps.store
      .removeExpired(deps.now(), startedAtMs)
      .then((ids) => {
        for (const id of ids) log.info('self-registration expired', { scheduler_id: id });
        return ids;
      })
      .finally(() => {
        sweeping = undefined;
      });
    return sweeping;
  };

  return {
    name: 'lease-sweeper',
    sweep,
    async start() {
      startedAtMs = deps.now();
      timer = setInterval(() => {
        sweep().catch((err: unknown) => log.error('lease sweep failed', { error: String(err) }));
      }, deps.intervalMs);
      timer.unref();
    },
    async stop() {
      clearInterval(timer);
      timer = undefined;
      await sweeping?.catch(() => undefined);
    },
  };
}
