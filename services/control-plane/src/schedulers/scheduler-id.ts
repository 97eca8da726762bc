/**
 * The id a scheduler gets when it registers without one: stable for a given URL
 * (so a heartbeat without an id hits the same record) and readable
 * (`http://10.0.0.7:9001` → `10.0.0.7-9001`). It always satisfies the id pattern
 * of `addSchedulerSchema`: starts alphanumeric, at most 128 characters.
 */
export function deriveSchedulerId(normalizedUrl: string): string {
  const url = new URL(normalizedUrl);
  const port = url.port !== '' ? url.port : url.protocol === 'https:' ? '443' : '80';
  // IPv6 hosts may begin with ':' (`::1`), which the id pattern does not allow first.
  const host = url.hostname.startsWith('[') ? `ipv6-${url.hostname.slice(1, -1)}` : url.hostname;
  const path = url.pathname === '/' ? '' : url.pathname;
  return `${host}-${port}${path}`.replace(/[^A-Za-z0-9._]+/g, '-').replace(/-+$/, '').slice(0, 128);
}
