import type { Logger } from '@switchyard/observability';
import type { Config } from '../config';
import type { GatewayTracker } from '../grpc/gateway-tracker';
import type { StateStore } from '../state/state-store';
import { DEFAULT_ASSESS_OPTIONS, type AssessOptions } from '../weights/assess-schedulers';
import { createHealthMonitor, type HealthMonitor } from './health-monitor';
import { createPassiveStatsPublisher, type PassiveStatsPublisher } from './passive-stats-publisher';
import type { ProbeResult } from './probe-state';

type HealthConfig = Pick<
  Config,
  'PROBE_INTERVAL_MS' | 'PROBE_TIMEOUT_MS' | 'PROBE_HEALTHY_THRESHOLD' | 'PROBE_UNHEALTHY_THRESHOLD' | 'PROBE_CONCURRENCY' | 'PASSIVE_WINDOW_MS' | 'PASSIVE_DEGRADED_ERROR_RATE'
>;

export interface HealthComponents {
  /** Every replica: its gateways' reports → the store. */
  passive: PassiveStatsPublisher;
  /** The leader only: probes, health view, table rebuilds. */
  monitor: HealthMonitor;
}

/** How long a replica's passive window counts after its last write (it writes every second). */
const PASSIVE_MAX_AGE_MS = 5_000;

/** Passive-health thresholds from the config, for tables, listings and /admin/weights alike. */
export function assessOptionsFrom(config: Pick<Config, 'PASSIVE_DEGRADED_ERROR_RATE'>): AssessOptions {
  return { ...DEFAULT_ASSESS_OPTIONS, degradedErrorRate: config.PASSIVE_DEGRADED_ERROR_RATE };
}

/** The health components of one replica, wired from the config (issue 4). */
export function createHealthComponents(
  config: HealthConfig,
  deps: { store: StateStore; now: () => number; logger: Logger; replicaId: string; onHealthChange: () => Promise<void>; onProbe?: (schedulerId: string, result: ProbeResult) => void },
): HealthComponents {
  const passive = createPassiveStatsPublisher({ ...deps, windowMs: config.PASSIVE_WINDOW_MS });
  const monitor = createHealthMonitor({
    ...deps,
    intervalMs: config.PROBE_INTERVAL_MS,
    timeoutMs: config.PROBE_TIMEOUT_MS,
    healthyThreshold: config.PROBE_HEALTHY_THRESHOLD,
    unhealthyThreshold: config.PROBE_UNHEALTHY_THRESHOLD,
    concurrency: config.PROBE_CONCURRENCY,
    passiveMaxAgeMs: PASSIVE_MAX_AGE_MS,
  });
  return { passive, monitor };
}

/** The gateway tracker the gRPC handlers use, also feeding each report to passive health. */
export function withPassiveStats(tracker: GatewayTracker, passive: PassiveStatsPublisher): GatewayTracker {
  return {
    ...tracker,
    recordReport(report) {
      tracker.recordReport(report);
      passive.record(report);
    },
  };
}
