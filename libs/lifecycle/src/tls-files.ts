import { readFileSync } from 'node:fs';

/** What node:https needs to serve TLS. */
export interface TlsFiles {
  cert: Buffer;
  key: Buffer;
}

/** The TLS variables every HTTPS-capable service shares (checked as a pair by `checkTlsPair` in @switchyard/config). */
export interface TlsFileConfig {
  TLS_CERT_FILE?: string;
  TLS_KEY_FILE?: string;
}

/**
 * Reads the certificate and key at start-up, before anything listens (issue 6);
 * undefined when TLS is off. Throws one message naming the unreadable variable,
 * which main.ts prints as the one-line start-up error.
 */
export function readTlsFiles(config: TlsFileConfig): TlsFiles | undefined {
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
