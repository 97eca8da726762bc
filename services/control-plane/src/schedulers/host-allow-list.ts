import { cidrContains, parseCidr, parseIp, type Cidr } from './ip-address';

/**
 * REGISTRATION_ALLOWED_HOSTS: which hosts a registration-token caller may point
 * traffic at. Entries are hostnames (exact), `*.suffix` (any subdomain), IP
 * literals or CIDRs. Hostnames are matched as written, never resolved: a CIDR
 * entry only admits URLs whose host is a literal IP.
 */
export type AllowEntry =
  | { kind: 'host'; host: string }
  | { kind: 'suffix'; suffix: string }
  | { kind: 'cidr'; cidr: Cidr };

export type ParsedAllowEntry = { ok: true; entry: AllowEntry } | { ok: false; reason: string };

const HOSTNAME = /^(?=.{1,253}$)[a-z0-9_]([a-z0-9_-]{0,62})(\.[a-z0-9_]([a-z0-9_-]{0,62}))*$/;

/** Parses one entry; the reason names the entry so config errors are clear. */
export function parseAllowEntry(raw: string): ParsedAllowEntry {
  const text = normalizeHost(raw);
  if (text.includes('/')) {
    const cidr = parseCidr(text);
    return cidr ? { ok: true, entry: { kind: 'cidr', cidr } } : { ok: false, reason: `'${raw}' is not a valid CIDR` };
  }
  const ip = parseIp(text);
  if (ip) return { ok: true, entry: { kind: 'cidr', cidr: { address: ip, prefixLength: ip.bytes.length * 8 } } };
  if (text.startsWith('*.') && HOSTNAME.test(text.slice(2))) return { ok: true, entry: { kind: 'suffix', suffix: text.slice(1) } };
  if (HOSTNAME.test(text)) return { ok: true, entry: { kind: 'host', host: text } };
  return { ok: false, reason: `'${raw}' is not a hostname, *.suffix, IP address or CIDR` };
}

export interface HostAllowList {
  /** True when no entries are configured (no restriction beyond the basic rules). */
  readonly empty: boolean;
  /** Whether a URL host (as `URL.hostname` gives it) matches an entry. */
  matches(host: string): boolean;
}

/** Builds the matcher; entries were validated by the config schema, bad ones are skipped. */
export function createHostAllowList(rawEntries: readonly string[]): HostAllowList {
  const entries = rawEntries.map(parseAllowEntry).flatMap((p) => (p.ok ? [p.entry] : []));
  return {
    empty: entries.length === 0,
    matches(host) {
      const name = normalizeHost(host);
      const ip = parseIp(name);
      return entries.some((entry) => {
        if (entry.kind === 'cidr') return ip !== undefined && cidrContains(entry.cidr, ip);
        if (ip) return false;
        return entry.kind === 'host' ? entry.host === name : name.endsWith(entry.suffix);
      });
    },
  };
}

/** Lower case, no trailing dot (`Example.COM.` and `example.com` are one host). */
export function normalizeHost(host: string): string {
  const lower = host.trim().toLowerCase();
  return lower.endsWith('.') ? lower.slice(0, -1) : lower;
}
