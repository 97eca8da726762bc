import { Router, type Request } from 'express';
import { invalidRequest, serviceUnavailable } from '@switchyard/contracts';
import { USAGE_BUCKET_MS } from '@switchyard/redis';
import { MAX_USAGE_SPAN_MS, type UsageReader } from './usage-reader';

const HOUR_MS = 3_600_000;
const DEFAULT_SPAN_MS = 24 * HOUR_MS;
const RELATIVE = /^(\d+)([mhd])$/;
const UNIT_MS: Record<string, number> = { m: 60_000, h: HOUR_MS, d: 24 * HOUR_MS };

/**
 * `GET /admin/usage?user=&model=&since=` (issue 6): requests and tokens per user
 * and model since `since` (ISO 8601, unix seconds, or relative: `30m`, `24h`,
 * `7d`; default 24h), from the gateways' hourly buckets. Hour granularity: the
 * first bucket counts whole. `reader` is absent without REDIS_URL.
 */
export function usageRoutes(reader: UsageReader | undefined, now: () => number): Router {
  const router = Router();
  router.get('/admin/usage', async (req, res) => {
    if (!reader) throw serviceUnavailable('Usage accounting needs REDIS_URL (the gateways write usage to Redis).', 'usage_unavailable');
    const untilMs = now();
    const sinceMs = parseSince(queryString(req, 'since'), untilMs);
    const user = queryString(req, 'user');
    const model = queryString(req, 'model');
    const usage = await reader.read({ user, model, sinceMs, untilMs });
    res.json({ since: new Date(Math.floor(sinceMs / USAGE_BUCKET_MS) * USAGE_BUCKET_MS).toISOString(), until: new Date(untilMs).toISOString(), usage });
  });
  return router;
}

/** When the span starts; 400 for anything unreadable or older than the buckets are kept. */
export function parseSince(text: string | undefined, nowMs: number): number {
  if (text === undefined) return nowMs - DEFAULT_SPAN_MS;
  const relative = RELATIVE.exec(text);
  const ms = relative ? nowMs - Number(relative[1]) * UNIT_MS[relative[2]!]! : /^\d+$/.test(text) ? Number(text) * 1000 : Date.parse(text);
  if (!Number.isFinite(ms)) throw invalidRequest("'since' must be ISO 8601, unix seconds, or relative like 24h, 7d, 30m.", 'since', 'invalid_since');
  if (nowMs - ms > MAX_USAGE_SPAN_MS) throw invalidRequest('Usage is kept 35 days; since must be within them.', 'since', 'invalid_since');
  return Math.min(ms, nowMs);
}

function queryString(req: Request, name: string): string | undefined {
  const value: unknown = req.query[name];
  if (value === undefined || value === '') return undefined;
  if (typeof value !== 'string') throw invalidRequest(`'${name}' must be given once.`, name, 'invalid_query');
  return value;
}
