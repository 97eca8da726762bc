/**
 * Usage accounting in Redis (issue 6; docs/keys-and-limits.md), written by the
 * gateways and read by the control plane's GET /admin/usage: one hash per UTC
 * hour, `<prefix>usage:<YYYYMMDDHH>`, with one field per (user, model, counter)
 * holding the JSON array `[user, model, counter]` and an integer value.
 */
export const USAGE_COUNTERS = ['requests', 'prompt_tokens', 'completion_tokens'] as const;
export type UsageCounter = (typeof USAGE_COUNTERS)[number];

/** One bucket per hour. */
export const USAGE_BUCKET_MS = 3_600_000;
/** Buckets expire after this long (GET /admin/usage reads as far back). */
export const USAGE_RETENTION_MS = 35 * 24 * USAGE_BUCKET_MS;

/** The hash of the UTC hour that contains `ms`. */
export function usageBucketKey(prefix: string, ms: number): string {
  return `${prefix}usage:${new Date(ms).toISOString().slice(0, 13).replace(/[-T]/g, '')}`;
}

/** The field of one counter of one user and model. */
export function usageField(user: string, model: string, counter: UsageCounter): string {
  return JSON.stringify([user, model, counter]);
}

/** The field's parts, or undefined for a field this version does not know. */
export function parseUsageField(field: string): { user: string; model: string; counter: UsageCounter } | undefined {
  try {
    const value: unknown = JSON.parse(field);
    if (!Array.isArray(value) || value.length !== 3) return undefined;
    const [user, model, counter] = value as unknown[];
    if (typeof user !== 'string' || typeof model !== 'string' || !USAGE_COUNTERS.includes(counter as UsageCounter)) return undefined;
    return { user, model, counter: counter as UsageCounter };
  } catch {
    return undefined;
  }
}
