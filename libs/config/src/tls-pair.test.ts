import { z } from 'zod';
import { optionalString } from './env-schema';
import { parseConfig } from './load-config';
import { checkTlsPair } from './tls-pair';

const schema = z.object({ TLS_CERT_FILE: optionalString(), TLS_KEY_FILE: optionalString() }).superRefine(checkTlsPair);

describe('checkTlsPair', () => {
  it('accepts both or neither', () => {
    expect(parseConfig(schema, {}).ok).toBe(true);
    expect(parseConfig(schema, { TLS_CERT_FILE: '/tls/cert.pem', TLS_KEY_FILE: '/tls/key.pem' }).ok).toBe(true);
  });

  it('names the missing half', () => {
    expect(parseConfig(schema, { TLS_CERT_FILE: '/tls/cert.pem' })).toEqual({ ok: false, problems: [expect.stringMatching(/^TLS_KEY_FILE: must be set together with TLS_CERT_FILE/)] });
    expect(parseConfig(schema, { TLS_KEY_FILE: '/tls/key.pem', TLS_CERT_FILE: '' })).toEqual({ ok: false, problems: [expect.stringMatching(/^TLS_CERT_FILE: must be set together with TLS_KEY_FILE/)] });
  });
});
