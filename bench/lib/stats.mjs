/**
 * Percentiles and medians over plain number arrays. Everything here is pure so the
 * scenarios can be checked by reading, not by trusting a library's rounding.
 */

/**
 * Nearest-rank percentile of an ascending-sorted array (p in [0, 100]).
 * @param {ArrayLike<number>} sorted
 * @param {number} p
 * @returns {number}
 */
export function percentile(sorted, p) {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))];
}

/**
 * Nearest-rank quantile (q in [0, 1]) of values in any order.
 * @param {ArrayLike<number>} values
 * @param {number} q
 * @returns {number}
 */
export function quantile(values, q) {
  return percentile(Float64Array.from(values).sort(), q * 100);
}

/**
 * Count, mean and the percentiles every scenario reports.
 * @param {ArrayLike<number>} values
 * @returns {{count: number, mean: number, p50: number, p90: number, p99: number, max: number}}
 */
export function summarize(values) {
  const sorted = Float64Array.from(values).sort();
  let sum = 0;
  for (const v of sorted) sum += v;
  return {
    count: sorted.length,
    mean: sorted.length ? sum / sorted.length : Number.NaN,
    p50: percentile(sorted, 50),
    p90: percentile(sorted, 90),
    p99: percentile(sorted, 99),
    max: sorted.length ? sorted[sorted.length - 1] : Number.NaN,
  };
}

/**
 * Median of the finite values (rounds where a target failed are NaN and left out).
 * @param {number[]} values
 * @returns {number}
 */
export function median(values) {
  const finite = values.filter(Number.isFinite).sort((a, b) => a - b);
  if (finite.length === 0) return Number.NaN;
  const mid = finite.length >> 1;
  return finite.length % 2 ? finite[mid] : (finite[mid - 1] + finite[mid]) / 2;
}

/**
 * Median of each numeric field across rounds: `[{p50: 1}, {p50: 3}]` → `{p50: 2}`.
 * @param {Array<Record<string, number>>} rounds
 * @returns {Record<string, number>}
 */
export function medianFields(rounds) {
  /** @type {Record<string, number>} */
  const out = {};
  const keys = new Set(rounds.flatMap((r) => Object.keys(r)));
  for (const key of keys) {
    const values = rounds.map((r) => r[key]).filter((v) => typeof v === 'number');
    if (values.length) out[key] = median(values);
  }
  return out;
}
