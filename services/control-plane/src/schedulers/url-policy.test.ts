import { createHostAllowList, parseAllowEntry } from './host-allow-list';
import { cidrContains, parseCidr, parseIp } from './ip-address';
import { deriveSchedulerId } from './scheduler-id';
import { checkSchedulerUrl } from './url-policy';

const open = createHostAllowList([]);

describe('checkSchedulerUrl', () => {
  it('normalizes accepted urls (no trailing slash, default port dropped)', () => {
    expect(checkSchedulerUrl('http://10.0.0.1:9001/', 'admin', open)).toEqual({ ok: true, url: 'http://10.0.0.1:9001', host: '10.0.0.1', port: 9001 });
    expect(checkSchedulerUrl('HTTPS://GPU.Example:443/prefix//', 'admin', open)).toEqual({ ok: true, url: 'https://gpu.example/prefix', host: 'gpu.example', port: 443 });
  });

  it.each([
    ['', 400],
    ['10.0.0.1:9001', 400],
    ['file:///etc/passwd', 400],
    ['http://a:b@10.0.0.1', 400],
    ['http://10.0.0.1/#frag', 400],
    ['http://169.254.169.254', 403],
    ['http://2852039166/', 403], // 169.254.169.254 written as one number
    ['http://[fe80::abcd]', 403],
    ['http://[::ffff:a9fe:a9fe]', 403],
    ['http://metadata.google.internal./computeMetadata', 403],
    ['http://100.100.100.200', 403],
    ['http://[fd00:ec2::254]', 403],
  ])('refuses %s with %d, whoever asks', (url, status) => {
    expect(checkSchedulerUrl(url, 'admin', open)).toMatchObject({ ok: false, status });
  });

  it('lets admins register loopback hosts but not registration callers without an allow-list entry', () => {
    expect(checkSchedulerUrl('http://127.0.0.1:9001', 'admin', open).ok).toBe(true);
    for (const url of ['http://127.0.0.1:9001', 'http://localhost:9001', 'http://x.localhost', 'http://[::1]:1', 'http://0.0.0.0:1', 'http://[::ffff:7f00:1]:1']) {
      expect(checkSchedulerUrl(url, 'registration', open)).toMatchObject({ ok: false, status: 403 });
    }
    const local = createHostAllowList(['127.0.0.0/8', 'localhost']);
    expect(checkSchedulerUrl('http://127.0.0.1:9001', 'registration', local).ok).toBe(true);
    expect(checkSchedulerUrl('http://localhost:9001', 'registration', local).ok).toBe(true);
    expect(checkSchedulerUrl('http://10.0.0.1:9001', 'registration', local)).toMatchObject({ ok: false, status: 403 });
  });
});

describe('host allow-list', () => {
  const list = createHostAllowList(['10.0.0.0/8', 'fd00::/8', '192.168.1.7', '*.gpu.internal', 'Node-1.Example.']);

  it.each(['10.255.0.1', '[fd12::1]', '192.168.1.7', 'a.gpu.internal', 'a.b.gpu.internal', 'node-1.example', '::ffff:10.0.0.1'])('matches %s', (host) => {
    expect(list.matches(host)).toBe(true);
  });

  it.each(['11.0.0.1', '192.168.1.8', 'gpu.internal', 'agpu.internal', 'node-2.example', 'fe80::1'])('does not match %s', (host) => {
    expect(list.matches(host)).toBe(false);
  });

  it.each(['10.0.0.0/33', '10.0.0/8', 'bad host', '*.', 'http://x'])('rejects the entry %s', (entry) => {
    expect(parseAllowEntry(entry).ok).toBe(false);
  });
});

describe('ip helpers', () => {
  it('folds IPv4-mapped IPv6 and compares prefixes bit by bit', () => {
    expect(parseIp('::ffff:127.0.0.1')).toEqual(parseIp('127.0.0.1'));
    expect(parseIp('[::ffff:7f00:1]')).toEqual(parseIp('127.0.0.1'));
    expect(cidrContains(parseCidr('10.0.0.0/9')!, parseIp('10.127.255.255')!)).toBe(true);
    expect(cidrContains(parseCidr('10.0.0.0/9')!, parseIp('10.128.0.0')!)).toBe(false);
    expect(cidrContains(parseCidr('fe80::/10')!, parseIp('febf::1')!)).toBe(true);
    expect(cidrContains(parseCidr('fe80::/10')!, parseIp('fec0::1')!)).toBe(false);
    expect(cidrContains(parseCidr('::ffff:10.0.0.0/104')!, parseIp('10.1.2.3')!)).toBe(true);
    expect(parseIp('example.com')).toBeUndefined();
  });
});

describe('deriveSchedulerId', () => {
  it.each([
    ['http://10.0.0.7:9001', '10.0.0.7-9001'],
    ['https://gpu-1.internal', 'gpu-1.internal-443'],
    ['http://gpu-1.internal/v1-prefix', 'gpu-1.internal-80-v1-prefix'],
    ['http://[::1]:9001', 'ipv6-1-9001'],
    ['http://[fd00::7]:9001', 'ipv6-fd00-7-9001'],
  ])('%s → %s', (url, id) => {
    expect(deriveSchedulerId(url)).toBe(id);
    expect(id).toMatch(/^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/);
  });
});
