import type Redis from 'ioredis';
import type { Component } from '@switchyard/lifecycle';
import { connectQuietly, createControlPlaneRedis, guarded } from '../redis/redis-client';
import { parseUsageField, USAGE_BUCKET_MS, USAGE_RETENTION_MS, usageBucketKey } from '@switchyard/redis';

export interface UsageQuery {
  user?: string;
  model?: string;
  sinceMs: number;
  untilMs: number;
}

export interface UsageRow {
  user: string;
  model: string;
  requests: number;
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
}

export interface UsageReader extends Component {
  /** Totals per (user, model) over the hours from `sinceMs` to `untilMs`, ordered by user then model. */
  read(query: UsageQuery): Promise<UsageRow[]>;
}

/** How far back a query may reach: the gateways keep hourly buckets 35 days. */
export const MAX_USAGE_SPAN_MS = USAGE_RETENTION_MS;

/**
 * Reads the gateways' usage buckets from Redis (GET /admin/usage) on a
 * connection of its own: one pipelined HGETALL per hour in the span.
 */
export function createUsageReader(url: string, keyPrefix: string): UsageReader {
  let client: Redis | undefined;
  return {
    name: 'usage-reader',
    async start() {
      client = createControlPlaneRedis(url, 'switchyard-control-plane-usage'); // a failed read answers 503
      await connectQuietly(client);
    },
    async stop() {
      client?.disconnect();
      client = undefined;
    },
    read: (query) => guarded(() => readBuckets(client, keyPrefix, query)),
  };
}

async function readBuckets(client: Redis | undefined, prefix: string, query: UsageQuery): Promise<UsageRow[]> {
  if (!client) throw new Error('usage reader not started');
  const pipeline = client.pipeline();
  for (let hour = Math.floor(query.sinceMs / USAGE_BUCKET_MS) * USAGE_BUCKET_MS; hour <= query.untilMs; hour += USAGE_BUCKET_MS) pipeline.hgetall(usageBucketKey(prefix, hour));
  const rows = new Map<string, UsageRow>();
  for (const [err, value] of (await pipeline.exec()) ?? []) {
    if (err) throw err;
    for (const [field, count] of Object.entries(value as Record<string, string>)) {
      const parts = parseUsageField(field);
      if (!parts || (query.user !== undefined && parts.user !== query.user) || (query.model !== undefined && parts.model !== query.model)) continue;
      const id = JSON.stringify([parts.user, parts.model]);
      const row = rows.get(id) ?? { user: parts.user, model: parts.model, requests: 0, prompt_tokens: 0, completion_tokens: 0, total_tokens: 0 };
      row[parts.counter] += Number(count);
      row.total_tokens = row.prompt_tokens + row.completion_tokens;
      rows.set(id, row);
    }
  }
  return [...rows.values()].sort((a, b) => (a.user !== b.user ? (a.user < b.user ? -1 : 1) : a.model < b.model ? -1 : a.model > b.model ? 1 : 0));
}
