import type { HostAllowList } from './host-allow-list';
import { normalizeHost } from './host-allow-list';
import { cidrContains, isThisHostIp, parseCidr, parseIp } from './ip-address';

/**
 * Which scheduler URLs may be registered (ARCHITECTURE.md, admin API; issue 3,
 * "Self-registration"). A leaked registration token must not be able to point
 * gateway traffic (which carries client prompts) at arbitrary addresses.
 *
 * Basic rules, for everyone: http(s), a host, no userinfo, no query or fragment,
 * never a link-local or cloud-metadata address. Registration-token callers are
 * additionally held to REGISTRATION_ALLOWED_HOSTS, and loopback hosts need an
 * explicit allow-list entry. Hostnames are not resolved, so DNS that points at a
 * forbidden address is out of reach of this check.
 */
export type CallerRole = 'admin' | 'registration';

export type UrlCheck =
  /** `normalizedFrom`: the URL as given, when a trailing `/v1` was cut (the gateway appends `/v1/...` itself). */
  | { ok: true; url: string; host: string; port: number; normalizedFrom?: string }
  | { ok: false; status: 400 | 403; message: string };

const METADATA_HOSTS = new Set(['metadata.google.internal', 'metadata.goog', 'metadata']);
const ALWAYS_REFUSED = ['169.254.0.0/16', 'fe80::/10', '100.100.100.200/32', 'fd00:ec2::254/128'].map((c) => parseCidr(c)!);

/** Checks `raw` for a caller; on success returns the normalized URL (no trailing slash). */
export function checkSchedulerUrl(raw: string, role: CallerRole, allowList: HostAllowList): UrlCheck {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return bad(`url '${truncate(raw)}' is not a valid URL`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return bad('url must use http or https');
  if (url.hostname === '') return bad('url must have a host');
  if (url.username !== '' || url.password !== '') return bad('url must not contain credentials (user:pass@); use api_key');
  if (url.search !== '' || url.hash !== '') return bad('url must not have a query or fragment');
  const host = normalizeHost(url.hostname);
  const refusal = hostRefusal(host, role, allowList);
  if (refusal) return { ok: false, status: 403, message: refusal };
  const given = url.pathname.replace(/\/+$/, '');
  // The usual OpenAI base URL (http://host:port/v1) names the API root, not the server's: the gateway would call /v1/v1/...
  const path = given.replace(/\/v1$/i, '');
  const port = url.port !== '' ? Number(url.port) : url.protocol === 'https:' ? 443 : 80;
  const normalized = `${url.protocol}//${url.host}${path}`;
  return { ok: true, url: normalized, host, port, ...(path !== given ? { normalizedFrom: `${url.protocol}//${url.host}${given}` } : {}) };
}

function hostRefusal(host: string, role: CallerRole, allowList: HostAllowList): string | undefined {
  const ip = parseIp(host);
  if (METADATA_HOSTS.has(host) || (ip && ALWAYS_REFUSED.some((range) => cidrContains(range, ip)))) {
    return `url host '${host}' is a link-local or cloud metadata address and is never allowed`;
  }
  if (role === 'admin') return undefined;
  const loopback = ip ? isThisHostIp(ip) : host === 'localhost' || host.endsWith('.localhost');
  if (allowList.matches(host)) return undefined;
  if (!allowList.empty) return `url host '${host}' is not in REGISTRATION_ALLOWED_HOSTS`;
  if (loopback) return `url host '${host}' is a loopback address; registration callers need it in REGISTRATION_ALLOWED_HOSTS`;
  return undefined;
}

function bad(message: string): UrlCheck {
  return { ok: false, status: 400, message };
}

function truncate(text: string): string {
  return text.length > 200 ? `${text.slice(0, 200)}…` : text;
}
