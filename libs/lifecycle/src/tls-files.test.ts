import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readTlsFiles } from './tls-files';

describe('readTlsFiles', () => {
  const dir = mkdtempSync(join(tmpdir(), 'switchyard-tls-'));
  const cert = join(dir, 'cert.pem');
  const key = join(dir, 'key.pem');
  writeFileSync(cert, 'CERT');
  writeFileSync(key, 'KEY');
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('is off unless both files are configured', () => {
    expect(readTlsFiles({})).toBeUndefined();
    expect(readTlsFiles({ TLS_CERT_FILE: cert })).toBeUndefined();
  });

  it('reads both files', () => {
    const files = readTlsFiles({ TLS_CERT_FILE: cert, TLS_KEY_FILE: key });
    expect(files?.cert.toString()).toBe('CERT');
    expect(files?.key.toString()).toBe('KEY');
  });

  it('throws one line naming the unreadable variable, file and errno code', () => {
    const missing = join(dir, 'missing.pem');
    expect(() => readTlsFiles({ TLS_CERT_FILE: cert, TLS_KEY_FILE: missing })).toThrow(`TLS_KEY_FILE: cannot read ${missing} (ENOENT)`);
    expect(() => readTlsFiles({ TLS_CERT_FILE: missing, TLS_KEY_FILE: key })).toThrow(`TLS_CERT_FILE: cannot read ${missing} (ENOENT)`);
  });
});
