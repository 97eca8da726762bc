/**
 * The id a scheduler gets when it registers without one: stable for a given URL
 * (so a heartbeat without an id hits the same record) and readable
 * (`http://10.0.0.7:9001` → `10.0.0.7-9001`). It always satisfies the id pattern
 * of `addSchedulerSchema`: starts alphanumeric, at most 128 characters.
 */
export function deriveSchedulerId(normalizedUrl: string): string {
  const url = new URL(normalizedUrl);
  const port = url.port !== '' ? url.port : url.protocol === 'https:' ? '443' : '80';
  const host = url.hostname.replace(/^\[|\]$/g, '');
  const path = url.pathname === '/' ? '' : url.pathname;
  const raw = `${host}-${port}${path}`;
  const cleaned = raw.replace(/[^A-Za-z0-9._-]+/g, '-').replace(/^[^A-Za-z0-9]+/, '').replace(/-+$/, '');
  // IPv6 hosts begin with ':' (`::1`), which the id pattern does not allow at the start.
  const id = /^[A-Za-z0-9]/.test(cleaned) ? cleaned : `scheduler-${cleaned}`;
  return id.slice(0, 128);
}
