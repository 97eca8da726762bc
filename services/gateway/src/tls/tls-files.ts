import { readFileSync } from 'node:fs';
import { z } from 'zod';

/** What node:https needs to serve TLS. */
export interface TlsFiles {
  cert: Buffer;
  key: Buffer;
}

/**
 * Config check for TLS_CERT_FILE + TLS_KEY_FILE (issue 6): both or neither, with
 * an issue naming the one that is missing.
 */
export function checkTlsPair(config: { TLS_CERT_FILE?: string; TLS_KEY_FILE?: string }, ctx: z.RefinementCtx): void {
  if (config.TLS_CERT_FILE !== undefined && config.TLS_KEY_FILE === undefined) {
    ctx.addIssue({ code: 'custom', path: ['TLS_KEY_FILE'], message: 'must be set together with TLS_CERT_FILE (TLS needs both the certificate and its key)' });
  }
  if (config.TLS_KEY_FILE !== undefined && config.TLS_CERT_FILE === undefined) {
    ctx.addIssue({ code: 'custom', path: ['TLS_CERT_FILE'], message: 'must be set together with TLS_KEY_FILE (TLS needs both the certificate and its key)' });
  }
}

/** Reads the pair at start-up; undefined when TLS is off. Throws one message naming the unreadable variable. */
export function readTlsFiles(config: { TLS_CERT_FILE?: string; TLS_KEY_FILE?: string }): TlsFiles | undefined {
  if (config.TLS_CERT_FILE === undefined || config.TLS_KEY_FILE === undefined) return undefined;
  return { cert: readVariableFile('TLS_CERT_FILE', config.TLS_CERT_FILE), key: readVariableFile('TLS_KEY_FILE', config.TLS_KEY_FILE) };
}

function readVariableFile(variable: string, file: string): Buffer {
  try {
    return readFileSync(file);
  } catch (err) {
    throw new Error(`${variable}: cannot read ${file} (${(err as NodeJS.ErrnoException).code ?? String(err)})`);
  }
}
