import type { IncomingHttpHeaders } from 'node:http';

const BEARER = /^bearer\s+/i;

/**
 * The key a client presents (ARCHITECTURE.md "Gateway HTTP API"):
 * `Authorization: Bearer sk-…`, the bare key in `Authorization`, or the
 * `api-key` (Azure OpenAI SDKs) / `x-api-key` headers. Undefined when none.
 */
export function presentedKey(headers: IncomingHttpHeaders): string | undefined {
  const authorization = headers.authorization;
  if (authorization !== undefined) {
    const key = (BEARER.test(authorization) ? authorization.replace(BEARER, '') : authorization).trim();
    return key === '' ? undefined : key;
  }
  const alternative = headers['api-key'] ?? headers['x-api-key'];
  const key = (Array.isArray(alternative) ? alternative[0] : alternative)?.trim();
  return key === '' ? undefined : key;
}
