import type { Component } from '@switchyard/lifecycle';
import type { Logger } from '@switchyard/observability';
import type { GatewayReport } from '@switchyard/proto';
import type { StateStore } from '../state/state-store';
import { createPassiveWindow, type PassiveWindow } from './passive-window';

export interface PassiveStatsPublisherDeps {
  store: StateStore;
  now: () => number;
  logger: Logger;
  replicaId: string;
  /** PASSIVE_WINDOW_MS. */
  windowMs: number;
  /** How often this replica's window is written to the store (default 1 s, the gateways' report period). */
  flushIntervalMs?: number;
}

export interface PassiveStatsPublisher extends Component {
  /** Feeds one ReportStats message (from the gRPC handler). */
  record(report: GatewayReport): void;
  /** Writes the window now. */
  flush(): Promise<void>;
}

/**
 * Passive health, replica side: the gateways connected to this replica report
 * about once a second; their per-scheduler numbers go into a sliding window,
 * which this replica writes to the store every second under its id. The leader's
 * health monitor adds the windows of every live replica, so passive health
 * covers all gateways whichever replica each one streams to. Nothing is written
 * while the window stays empty.
 */
export function createPassiveStatsPublisher(deps: PassiveStatsPublisherDeps): PassiveStatsPublisher {
  const log = deps.logger.child({ component: 'passive-stats' });
  const window: PassiveWindow = createPassiveWindow({ windowMs: deps.windowMs, now: deps.now });
  let timer: NodeJS.Timeout | undefined;
  let flushing: Promise<void> | undefined;
  let wroteEmpty = true;

  const flush = (): Promise<void> => {
    flushing ??= (async () => {
      const schedulers = window.sums();
      const empty = Object.keys(schedulers).length === 0;
      if (empty && wroteEmpty) return;
      await deps.store.putPassiveStats({ replica_id: deps.replicaId, updated_at_ms: deps.now(), schedulers });
      wroteEmpty = empty;
    })().finally(() => {
      flushing = undefined;
    });
    return flushing;
  };

  return {
    name: 'passive-stats',
    record: (report) => window.record(report),
    flush,
    async start() {
      timer = setInterval(() => {
        flush().catch((err: unknown) => log.error('writing passive stats failed', { error: String(err) }));
      }, deps.flushIntervalMs ?? 1_000);
      timer.unref();
    },
    async stop() {
      clearInterval(timer);
      timer = undefined;
      await flushing?.catch(() => undefined);
    },
  };
}
