/**
 * The HTTP paths the chart probes, per component. chart-render.test.ts checks the
 * templates use them; docker-steps.test.ts checks the deployed processes serve them,
 * so a probe can never point at a route that does not exist.
 */
export const PROBE_PATHS: Readonly<Record<string, { liveness: string; readiness: string }>> = {
  'control-plane': { liveness: '/health', readiness: '/ready' },
  gateway: { liveness: '/health', readiness: '/ready' },
  // The sim has no /ready; its /health turns 503 while it shuts down, which is what readiness needs.
  sim: { liveness: '/health', readiness: '/health' },
};
