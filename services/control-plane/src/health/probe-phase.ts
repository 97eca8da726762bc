/**
 * Where in each probe interval a scheduler is probed, in [0, 1): a stable hash
 * of its id, so probes of a fleet spread evenly over the interval (no burst
 * every 2 s) and each scheduler is probed at the same offset, one interval
 * apart, round after round and across leader changes.
 */
export function probePhase(id: string): number {
  // FNV-1a, 32 bits: cheap, and well spread for short similar ids (sim-1, sim-2...).
  let hash = 0x811c9dc5;
  for (let i = 0; i < id.length; i++) {
    hash ^= id.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return (hash >>> 0) / 0x1_0000_0000;
}

/** The next probe time after one due at `dueMs`, never in the past (a late round does not cause a catch-up burst). */
export function nextDue(dueMs: number, nowMs: number, intervalMs: number): number {
  const next = dueMs + intervalMs;
  return next > nowMs ? next : nowMs + intervalMs;
}
