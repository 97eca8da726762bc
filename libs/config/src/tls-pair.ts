import type { z } from 'zod';

/**
 * Config check for TLS_CERT_FILE + TLS_KEY_FILE (issue 6): both or neither, with
 * an issue naming the one that is missing. Use as `schema.superRefine(checkTlsPair)`.
 */
export function checkTlsPair(config: { TLS_CERT_FILE?: string; TLS_KEY_FILE?: string }, ctx: z.RefinementCtx): void {
  if (config.TLS_CERT_FILE !== undefined && config.TLS_KEY_FILE === undefined) {
    ctx.addIssue({ code: 'custom', path: ['TLS_KEY_FILE'], message: 'must be set together with TLS_CERT_FILE (TLS needs both the certificate and its key)' });
  }
  if (config.TLS_KEY_FILE !== undefined && config.TLS_CERT_FILE === undefined) {
    ctx.addIssue({ code: 'custom', path: ['TLS_CERT_FILE'], message: 'must be set together with TLS_KEY_FILE (TLS needs both the certificate and its key)' });
  }
}
