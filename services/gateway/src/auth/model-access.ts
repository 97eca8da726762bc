/** One function for every key allowed any model (most keys): 100,000 keys need not hold 100,000 closures. */
const ANY_MODEL = (): boolean => true;

/**
 * A key's `allowed_models` as one test (issue 6): exact names, `*` for every
 * model, and `prefix*` (usually `org/*`) for every name that starts with the
 * prefix. Compiled once per routing table, so a request costs a Set lookup and
 * a few startsWith calls.
 */
export function compileModelAccess(patterns: readonly string[]): (model: string) => boolean {
  if (patterns.includes('*')) return ANY_MODEL;
  const exact = new Set(patterns.filter((p) => !p.endsWith('*')));
  const prefixes = patterns.filter((p) => p.endsWith('*')).map((p) => p.slice(0, -1));
  if (prefixes.length === 0) return (model) => exact.has(model);
  return (model) => exact.has(model) || prefixes.some((prefix) => model.startsWith(prefix));
}
