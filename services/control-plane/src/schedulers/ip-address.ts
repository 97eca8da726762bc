import { isIPv4, isIPv6 } from 'node:net';

/**
 * Small IP helpers for the URL policy and the loopback rule. IPv4-mapped IPv6
 * addresses (`::ffff:127.0.0.1`, which WHATWG URLs print as `::ffff:7f00:1`) are
 * folded to IPv4 so a mapped address cannot slip past an IPv4 rule.
 */
export interface IpAddress {
  family: 4 | 6;
  bytes: Uint8Array;
}

export interface Cidr {
  address: IpAddress;
  prefixLength: number;
}

/** Parses an IP literal (IPv6 with or without brackets); undefined for anything else. */
export function parseIp(text: string): IpAddress | undefined {
  const value = text.startsWith('[') && text.endsWith(']') ? text.slice(1, -1) : text;
  if (isIPv4(value)) return { family: 4, bytes: Uint8Array.from(value.split('.').map(Number)) };
  if (!isIPv6(value)) return undefined;
  const bytes = ipv6Bytes(value.split('%')[0]!);
  const mapped = bytes.slice(0, 10).every((b) => b === 0) && bytes[10] === 0xff && bytes[11] === 0xff;
  return mapped ? { family: 4, bytes: bytes.slice(12) } : { family: 6, bytes };
}

/** Parses `10.0.0.0/8` or `fd00::/8`; undefined when malformed. */
export function parseCidr(text: string): Cidr | undefined {
  const slash = text.indexOf('/');
  if (slash < 0) return undefined;
  const address = parseIp(text.slice(0, slash));
  const lengthText = text.slice(slash + 1);
  if (!address || !/^\d{1,3}$/.test(lengthText)) return undefined;
  const parsedLength = Number(lengthText);
  // A mapped IPv6 prefix (::ffff:0:0/104) was folded to IPv4: shift its length too.
  const prefixLength = address.family === 4 && isIPv6(text.slice(0, slash)) ? parsedLength - 96 : parsedLength;
  if (prefixLength < 0 || prefixLength > address.bytes.length * 8) return undefined;
  return { address, prefixLength };
}

/** Whether `ip` lies inside `cidr` (families must match). */
export function cidrContains(cidr: Cidr, ip: IpAddress): boolean {
  if (cidr.address.family !== ip.family) return false;
  let bits = cidr.prefixLength;
  for (let i = 0; bits > 0; i++, bits -= 8) {
    const mask = bits >= 8 ? 0xff : (0xff << (8 - bits)) & 0xff;
    if ((cidr.address.bytes[i]! & mask) !== (ip.bytes[i]! & mask)) return false;
  }
  return true;
}

const LOOPBACK_RANGES = ['127.0.0.0/8', '::1/128'].map((c) => parseCidr(c)!);
const UNSPECIFIED_RANGES = ['0.0.0.0/8', '::/128'].map((c) => parseCidr(c)!);

/** 127.0.0.0/8 and ::1 (IPv4-mapped forms included, see parseIp). */
export function isLoopbackIp(ip: IpAddress): boolean {
  return LOOPBACK_RANGES.some((range) => cidrContains(range, ip));
}

/**
 * Loopback plus the unspecified addresses (0.0.0.0, ::), which connect to the
 * local machine on Linux: every literal that reaches "this host".
 */
export function isThisHostIp(ip: IpAddress): boolean {
  return isLoopbackIp(ip) || UNSPECIFIED_RANGES.some((range) => cidrContains(range, ip));
}

function ipv6Bytes(value: string): Uint8Array {
  let text = value;
  // An embedded IPv4 tail (::ffff:1.2.3.4) becomes two hextets.
  const v4 = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (v4) {
    const [a, b, c, d] = v4[1]!.split('.').map(Number) as [number, number, number, number];
    text = `${text.slice(0, v4.index)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head, tail] = text.includes('::') ? (text.split('::') as [string, string]) : [text, undefined];
  const headParts = head ? head.split(':') : [];
  const tailParts = tail ? tail.split(':') : [];
  const zeros = tail === undefined ? [] : new Array<string>(8 - headParts.length - tailParts.length).fill('0');
  const hextets = [...headParts, ...zeros, ...tailParts].map((h) => parseInt(h, 16));
  const bytes = new Uint8Array(16);
  hextets.forEach((h, i) => {
    bytes[i * 2] = h >> 8;
    bytes[i * 2 + 1] = h & 0xff;
  });
  return bytes;
}
