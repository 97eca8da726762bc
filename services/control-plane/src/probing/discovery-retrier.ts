import type { Component } from '@switchyard/lifecycle';
import type { Logger } from '@switchyard/observability';
import type { SchedulerRecord } from '../state/scheduler-record';
import type { StateStore } from '../state/state-store';
import type { DiscoverModels, DiscoveryResult } from './model-discovery';

export interface DiscoveryRetrierDeps {
  store: StateStore;
  discover: DiscoverModels;
  now: () => number;
  logger: Logger;
  /** PROBE_INTERVAL_MS. */
  intervalMs: number;
}

/**
 * Retries model discovery for schedulers that registered without `models` and
 * whose discovery failed (listed as unhealthy with `last_error`, kept out of the
 * table), and self-registrations that named their models but did not answer yet.
 * Every PROBE_INTERVAL_MS each of them is asked again; on success it gets its
 * models (or keeps the named ones) and enters the table with the next rebuild. Rounds never overlap;
 * the timer is unref'd and cleared in stop(), which also aborts a round in flight.
 */
export function createDiscoveryRetrier(deps: DiscoveryRetrierDeps): Component & { retryAll(): Promise<void> } {
  const log = deps.logger.child({ component: 'discovery-retrier' });
  let timer: NodeJS.Timeout | undefined;
  let round: Promise<void> | undefined;
  let abort = new AbortController();

  const retryOne = async (record: SchedulerRecord): Promise<void> => {
    const result = await deps.discover({ url: record.url, apiKey: record.api_key, signal: abort.signal });
    if (abort.signal.aborted) return;
    const stored = await deps.store.updateScheduler(record.id, (current) => applyDiscovery(current, record.url, result, deps.now()));
    if (result.ok && stored && !stored.discovery_pending) log.info('model discovery succeeded', { scheduler_id: record.id, models: result.models.length });
  };

  const retryAll = (): Promise<void> => {
    round ??= (async () => {
      const pending = (await deps.store.listSchedulers()).filter((r) => r.discovery_pending);
      await Promise.all(pending.map(retryOne));
    })().finally(() => {
      round = undefined;
    });
    return round;
  };

  return {
    name: 'discovery-retrier',
    retryAll,
    async start() {
      abort = new AbortController();
      timer = setInterval(() => {
        retryAll().catch((err: unknown) => log.error('discovery retry failed', { error: String(err) }));
      }, deps.intervalMs);
      timer.unref();
    },
    async stop() {
      clearInterval(timer);
      timer = undefined;
      abort.abort();
      await round?.catch(() => undefined);
    },
  };
}

/**
 * The record after a retry, or undefined to leave it alone: only a record that
 * is still pending at the same URL is touched (it may have been removed, given
 * explicit models or re-registered meanwhile).
 */
export function applyDiscovery(current: SchedulerRecord | undefined, url: string, result: DiscoveryResult, nowMs: number): SchedulerRecord | undefined {
  if (!current || !current.discovery_pending || current.url !== url) return undefined;
  if (!result.ok) return { ...current, last_probe_at_ms: nowMs, last_error: result.error };
  const { last_error: _cleared, ...rest } = current;
  return {
    ...rest,
    // A registration that named its models was only waiting to be reachable; it keeps them.
    models: current.models_source === 'request' ? current.models : result.models,
    discovery_pending: false,
    state: current.state === 'draining' ? 'draining' : 'healthy',
    last_probe_at_ms: nowMs,
    updated_at_ms: nowMs,
  };
}
