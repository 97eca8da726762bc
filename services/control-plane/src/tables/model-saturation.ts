import { z } from 'zod';
import type { ModelSaturation } from '@switchyard/proto';
import type { ParseResult } from './model-routes';

/** Public model name (or `*` for every model without its own entry) → saturation thresholds (MODEL_SATURATION, issue 19). */
export type ModelSaturations = Record<string, ModelSaturation>;

const thresholdsSchema = z
  .object({
    max_waiting: z.number().int().min(0).max(1_000_000).default(0),
    max_kv_cache_usage: z.number().min(0).max(1).default(0),
    max_in_flight: z.number().int().min(0).max(1_000_000).default(0),
  })
  .strict();

const MODEL_NAME = /^[^\s]{1,256}$/;

/**
 * MODEL_SATURATION: JSON, `{"<model>": {"max_waiting": 4, "max_kv_cache_usage": 0.9,
 * "max_in_flight": 16}, "*": {...}}`. JSON rather than the `name=value` lists of the
 * other MODEL_* variables: each model carries several numbers. A field left out or
 * 0 falls back to the gateway's SATURATION_* default.
 */
export function parseModelSaturation(text: string): ParseResult<ModelSaturations> {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return { ok: false, reason: 'not valid JSON (expected {"model": {"max_waiting": 4, ...}})' };
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) return { ok: false, reason: 'expected a JSON object of model name → thresholds' };
  const out: ModelSaturations = {};
  for (const [name, value] of Object.entries(json)) {
    if (!MODEL_NAME.test(name)) return { ok: false, reason: `bad model name '${name.slice(0, 64)}'` };
    const parsed = thresholdsSchema.safeParse(value);
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      return { ok: false, reason: `model '${name}': ${issue.path.join('.') || 'thresholds'}: ${issue.message}` };
    }
    out[name] = parsed.data;
  }
  return { ok: true, value: out };
}

/** The thresholds a model's route carries: its own entry, else `*`, else none (the gateway's defaults). */
export function saturationFor(model: string, saturations: ModelSaturations | undefined): ModelSaturation | null {
  return saturations?.[model] ?? saturations?.['*'] ?? null;
}
