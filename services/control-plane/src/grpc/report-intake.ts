import type { GatewayReport } from '@switchyard/proto';

/** Reports this much later than their gateway's usual delay are shed (issue 16 item 4). */
const DEFAULT_REPORT_MAX_LAG_MS = 5_000;

/** How long a gateway's smallest delay is remembered: a clock step on the gateway is forgotten within two of these. */
const BASELINE_PERIOD_MS = 30_000;

export interface ReportIntake {
  /** Whether a received report is fresh enough to be aggregated; counts it either way. */
  admit(report: GatewayReport): boolean;
  /** Forgets a gateway whose report stream ended. */
  forget(gatewayId: string): void;
  counts(): { received: number; shed: number };
}

interface Baseline {
  /** Smallest (receive time - sent_at_ms) in the current and the previous period. */
  current: number;
  previous: number;
  periodStartMs: number;
}

/**
 * Sheds reports that arrive late, so a control plane that falls behind (a long
 * table build, a GC pause, a burst of 200 gateways reconnecting) catches up on
 * what gateways say now instead of working through a backlog of old seconds.
 * Every report costs O(schedulers in it) to aggregate (passive health, the
 * admin summary) and gateways list only schedulers with traffic, so nothing here
 * grows with the fleet; what grows under overload is the queue, and this cuts it.
 *
 * Late is measured against each gateway's own usual delay (the smallest
 * receive-minus-sent seen over the last 30 to 60 s), not against our clock: a
 * gateway whose clock is minutes off is never shed for that alone. Shed reports
 * still tell which table the gateway applied (the caller records that part).
 */
export function createReportIntake(options: { now: () => number; maxLagMs?: number }): ReportIntake {
  const maxLagMs = options.maxLagMs ?? DEFAULT_REPORT_MAX_LAG_MS;
  const baselines = new Map<string, Baseline>();
  let received = 0;
  let shed = 0;
  return {
    admit(report) {
      received += 1;
      const nowMs = options.now();
      const delay = nowMs - report.sent_at_ms;
      let b = baselines.get(report.gateway_id);
      if (!b) {
        b = { current: delay, previous: delay, periodStartMs: nowMs };
        baselines.set(report.gateway_id, b);
      }
      if (nowMs - b.periodStartMs >= BASELINE_PERIOD_MS) {
        b.previous = b.current;
        b.current = delay;
        b.periodStartMs = nowMs;
      }
      b.current = Math.min(b.current, delay);
      if (delay - Math.min(b.current, b.previous) <= maxLagMs) return true;
      shed += 1;
      return false;
    },
    forget(gatewayId) {
      baselines.delete(gatewayId);
    },
    counts: () => ({ received, shed }),
  };
}
