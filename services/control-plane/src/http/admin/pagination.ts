import { invalidRequest } from '@switchyard/contracts';

/** The largest page `limit` allows (issue 16: lists of 1,000 schedulers and 100,000 keys). */
export const MAX_PAGE_SIZE = 1_000;

export interface Page<T> {
  items: T[];
  /** Pass as `after` for the next page; null on the last one. */
  next_after: string | null;
  /** Items matching the filters, over every page. */
  total: number;
}

/**
 * Keyset pagination of an admin list (pure): items ordered by id, `after` the
 * last id of the previous page, `limit` the page size. Without `limit` and
 * `after`, every item in its given order (the answer of earlier releases). Bad query
 * values are refused with a 400 naming the parameter.
 */
export function paginate<T>(items: readonly T[], query: Record<string, unknown>, idOf: (item: T) => string): Page<T> {
  const limit = parseLimit(query.limit);
  const after = typeof query.after === 'string' && query.after !== '' ? query.after : undefined;
  if (limit === undefined && after === undefined) return { items: [...items], next_after: null, total: items.length };
  const sorted = [...items].sort((a, b) => compare(idOf(a), idOf(b)));
  const start = after === undefined ? 0 : sorted.findIndex((item) => compare(idOf(item), after) > 0);
  const rest = start < 0 ? [] : sorted.slice(start);
  const page = limit === undefined ? rest : rest.slice(0, limit);
  const more = page.length < rest.length;
  return { items: page, next_after: more ? idOf(page[page.length - 1]!) : null, total: items.length };
}

/** A string filter from the query (`?state=unhealthy`), checked against the allowed values when given. */
export function queryFilter(query: Record<string, unknown>, name: string, allowed?: readonly string[]): string | undefined {
  const value = query[name];
  if (value === undefined || value === '') return undefined;
  if (typeof value !== 'string' || (allowed && !allowed.includes(value))) {
    throw invalidRequest(`'${name}' must be ${allowed ? `one of ${allowed.join(', ')}` : 'a single value'}.`, name);
  }
  return value;
}

function parseLimit(value: unknown): number | undefined {
  if (value === undefined || value === '') return undefined;
  const limit = typeof value === 'string' && /^\d+$/.test(value) ? Number(value) : NaN;
  if (!(limit >= 1 && limit <= MAX_PAGE_SIZE)) throw invalidRequest(`'limit' must be an integer from 1 to ${MAX_PAGE_SIZE}.`, 'limit');
  return limit;
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
