/** The circuit-breaker variables of the gateway config (docs/resilience.md). */
export interface BreakerSettings {
  /** Opens after this many failures in a row (BREAKER_CONSECUTIVE_FAILURES). */
  consecutiveFailures: number;
  /** Or when failures exceed this percentage of the window's attempts (BREAKER_ERROR_THRESHOLD_PERCENT)… */
  errorThresholdPercent: number;
  /** …over this rolling window (BREAKER_ROLLING_WINDOW_MS)… */
  rollingWindowMs: number;
  /** …once the window holds at least this many attempts (BREAKER_VOLUME_THRESHOLD). */
  volumeThreshold: number;
  /** Open this long, then half-open: one trial request decides (BREAKER_RESET_MS). */
  resetMs: number;
}
