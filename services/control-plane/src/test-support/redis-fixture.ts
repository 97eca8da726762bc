import { PassThrough } from 'node:stream';
import Redis from 'ioredis';
import { createLogger, type Logger } from '@switchyard/observability';

/** The shared Redis tests use (a real one, never a mock); override with TEST_REDIS_URL. */
export const TEST_REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

/** A key prefix no other test run uses. */
export function uniquePrefix(label: string): string {
  return `switchyard-test:${label}:${process.pid}:${Date.now().toString(36)}:${Math.random().toString(36).slice(2, 8)}:`;
}

/** Deletes every key under `prefix` (afterAll). */
export async function deleteKeys(prefix: string, url = TEST_REDIS_URL): Promise<void> {
  const redis = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1 });
  try {
    await redis.connect();
    let cursor = '0';
    do {
      const [next, found] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 500);
      if (found.length > 0) await redis.del(...found);
      cursor = next;
    } while (cursor !== '0');
  } finally {
    redis.disconnect();
  }
}

/** A logger whose lines are kept for assertions instead of printed. */
export function capturingLogger(): { logger: Logger; lines: () => string } {
  let lines = '';
  const stream = new PassThrough();
  stream.on('data', (chunk: Buffer) => (lines += chunk.toString()));
  return { logger: createLogger({ service: 'control-plane', level: 'debug', stream }), lines: () => lines };
}
