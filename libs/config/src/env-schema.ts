import { z } from 'zod';

/**
 * Building blocks for the per-service config schemas. Every service describes its
 * environment with one `z.object` of these, so parsing reports every bad variable
 * by name at once.
 */

/** An integer variable with a default; empty string counts as unset. */
export function intVar(defaultValue: number, min = 0, max = Number.MAX_SAFE_INTEGER) {
  return z.preprocess(
    emptyAsUndefined,
    z.coerce.number().int(`must be an integer`).min(min, `must be >= ${min}`).max(max, `must be <= ${max}`).default(defaultValue),
  );
}

/** A TCP port; 0 lets the OS choose (tests use it). */
export function portVar(defaultValue: number) {
  return intVar(defaultValue, 0, 65_535);
}

/** A fraction between 0 and 1. */
export function fractionVar(defaultValue: number) {
  return z.preprocess(emptyAsUndefined, z.coerce.number().min(0, 'must be >= 0').max(1, 'must be <= 1').default(defaultValue));
}

/** `true/false/1/0/yes/no`. */
export function boolVar(defaultValue: boolean) {
  return z.preprocess(
    (v) => (emptyAsUndefined(v) === undefined ? undefined : String(v).toLowerCase()),
    z.enum(['true', 'false', '1', '0', 'yes', 'no']).default(defaultValue ? 'true' : 'false').transform((v) => ['true', '1', 'yes'].includes(v)),
  );
}

/** An optional string; empty counts as unset. */
export function optionalString() {
  return z.preprocess(emptyAsUndefined, z.string().optional());
}

/** A comma-separated list; empty items dropped. */
export function listVar(defaultValue: string[] = []) {
  return z.preprocess(
    (v) => (emptyAsUndefined(v) === undefined ? undefined : String(v).split(',').map((s) => s.trim()).filter(Boolean)),
    z.array(z.string()).default(defaultValue),
  );
}

/** An http(s) URL. */
export function urlVar() {
  return z.preprocess(
    emptyAsUndefined,
    z
      .string()
      .url('must be a URL')
      .refine((u) => /^https?:$/.test(new URL(u).protocol), 'must be http(s)')
      .optional(),
  );
}

export const LOG_LEVELS = ['error', 'warn', 'info', 'http', 'verbose', 'debug', 'silly'] as const;
export const logLevelVar = () => z.preprocess(emptyAsUndefined, z.enum(LOG_LEVELS).default('info'));

function emptyAsUndefined(v: unknown): unknown {
  return v === '' || v === null ? undefined : v;
}
