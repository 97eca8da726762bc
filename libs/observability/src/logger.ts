import winston from 'winston';
import { createBatchedWriter } from './batched-writer';

export type Logger = winston.Logger;

export interface LoggerOptions {
  service: string;
  level?: string;
  /** Where lines go; defaults to stdout. Tests pass a stream to capture them. */
  stream?: NodeJS.WritableStream;
}

/** Keys whose values never reach a log line, whatever a caller passes. */
const REDACTED_KEYS = new Set(['authorization', 'api_key', 'apikey', 'key', 'token', 'password', 'x-api-key', 'messages', 'prompt', 'input']);

const redact = winston.format((info) => {
  for (const field of Object.keys(info)) {
    if (REDACTED_KEYS.has(field.toLowerCase())) info[field] = '[redacted]';
  }
  return info;
});

/**
 * JSON lines on stdout (batched per event-loop turn) with `service` and an ISO timestamp. Components log through
 * `logger.child({component})`, requests through `child({request_id})`.
 */
export function createLogger(options: LoggerOptions): Logger {
  // stdout through a batched writer: one write per event-loop turn instead of one per line.
  const transport = new winston.transports.Stream({ stream: options.stream ?? createBatchedWriter() });
  return winston.createLogger({
    level: options.level ?? 'info',
    defaultMeta: { service: options.service },
    format: winston.format.combine(redact(), winston.format.timestamp(), winston.format.json()),
    transports: [transport],
  });
}
