/** A scheduler's routing-relevant state in a pushed table. */
export interface WeightSnapshotEntry {
  effective_weight: number;
  state: string;
}

/** Effective weights moving by 10% or less are not worth a new table version. */
export const DEFAULT_MATERIAL_CHANGE_THRESHOLD = 0.1;

/** Float slack, so a move of exactly the threshold (1 → 1.1) does not count as more than it. */
const EPSILON = 1e-9;

function weightMovedMaterially(before: number, after: number, threshold: number): boolean {
  if (before === after) return false;
  if (before === 0 || after === 0) return true;
  return Math.abs(after - before) / Math.abs(before) > threshold + EPSILON;
}

/**
 * True when `next` differs from `previous` enough to push a new routing table: a
 * scheduler appeared or disappeared, changed state, or its effective weight moved
 * by more than `threshold` relative to the previous value (any move to or from 0
 * counts). Compare against the last *pushed* snapshot, not the last computed one,
 * or slow drift of a few percent per probe would never be pushed.
 */
export function isMaterialChange(
  previous: Readonly<Record<string, WeightSnapshotEntry>>,
  next: Readonly<Record<string, WeightSnapshotEntry>>,
  threshold: number = DEFAULT_MATERIAL_CHANGE_THRESHOLD,
): boolean {
  if (!(threshold >= 0)) throw new RangeError(`material-change threshold must be ≥ 0, got ${threshold}`);
  const previousIds = Object.keys(previous);
  if (previousIds.length !== Object.keys(next).length) return true;
  return previousIds.some((id) => {
    const before = previous[id]!;
    const after = Object.hasOwn(next, id) ? next[id] : undefined;
    return after === undefined || before.state !== after.state || weightMovedMaterially(before.effective_weight, after.effective_weight, threshold);
  });
}
