import type { IncomingMessage, ServerResponse } from 'node:http';

/** Headers a browser client may read from gateway answers. */
const EXPOSED = [
  'x-request-id', 'x-switchyard-backend', 'x-switchyard-route', 'x-should-retry', 'retry-after', 'retry-after-ms', 'x-switchyard-shed-reason',
  'x-ratelimit-limit-requests', 'x-ratelimit-remaining-requests', 'x-ratelimit-reset-requests',
  'x-ratelimit-limit-tokens', 'x-ratelimit-remaining-tokens', 'x-ratelimit-reset-tokens',
].join(', ');
const ALLOWED_METHODS = 'GET, POST, OPTIONS';
/** Request headers the OpenAI SDKs send, for preflights that do not list theirs. */
const DEFAULT_ALLOWED_HEADERS = 'authorization, content-type, x-request-id, x-session-id, x-switchyard-explain, api-key, x-api-key, openai-organization, openai-project';
const PREFLIGHT_MAX_AGE_SECONDS = '600';

/**
 * CORS for browser clients (issue 6; CORS_ALLOWED_ORIGINS, off when empty).
 * Returns true when it answered the request itself (a preflight), on the hot
 * routes as on every other route. Origins match exactly; `*` allows any.
 */
export type CorsHandler = (req: IncomingMessage, res: ServerResponse) => boolean;

export function createCors(allowedOrigins: readonly string[]): CorsHandler | undefined {
  if (allowedOrigins.length === 0) return undefined;
  const any = allowedOrigins.includes('*');
  const origins = new Set(allowedOrigins.map((o) => o.toLowerCase()));
  return (req, res) => {
    const origin = req.headers.origin;
    const allowed = origin !== undefined && (any || origins.has(origin.toLowerCase()));
    if (allowed) {
      res.setHeader('access-control-allow-origin', any ? '*' : origin);
      res.setHeader('access-control-expose-headers', EXPOSED);
    }
    if (!any) res.setHeader('vary', 'Origin');
    if (req.method !== 'OPTIONS' || req.headers['access-control-request-method'] === undefined) return false;
    if (allowed) {
      res.setHeader('access-control-allow-methods', ALLOWED_METHODS);
      res.setHeader('access-control-allow-headers', req.headers['access-control-request-headers'] ?? DEFAULT_ALLOWED_HEADERS);
      res.setHeader('access-control-max-age', PREFLIGHT_MAX_AGE_SECONDS);
    }
    res.statusCode = 204;
    res.end();
    return true;
  };
}

/** CORS_ALLOWED_ORIGINS entries: `*` or an origin (`https://host[:port]`, no path). */
export function isOriginPattern(entry: string): boolean {
  return entry === '*' || /^https?:\/\/[^\s/?#]+$/i.test(entry);
}
