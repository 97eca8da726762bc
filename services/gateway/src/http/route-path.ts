/**
 * Request paths as the gateway routes them (issue 21): letter case and one
 * trailing slash do not matter, as in Express's default (case-insensitive,
 * non-strict) routing of every other route.
 */

/** The path of a request URL, without its query. */
export function pathOf(url: string): string {
  const query = url.indexOf('?');
  return query === -1 ? url : url.slice(0, query);
}

/** `path` lower-cased and without one trailing slash: `/V1/Chat/Completions/` → `/v1/chat/completions`. */
export function canonicalPath(path: string): string {
  const trimmed = path.length > 1 && path.endsWith('/') ? path.slice(0, -1) : path;
  return trimmed.toLowerCase();
}
