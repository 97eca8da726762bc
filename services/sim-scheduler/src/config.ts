import { z } from 'zod';
import { fractionVar, intVar, listVar, logLevelVar, optionalString, parseConfig, portVar, urlVar, type ConfigResult } from '@switchyard/config';
import { parseFault } from './faults/fault';
import { METRICS_FLAVORS } from './metrics-flavors';

/**
 * Every environment variable of the sim scheduler (ARCHITECTURE.md, "Processes,
 * ports, variables", and services/sim-scheduler/README.md).
 */
export const configSchema = z.object({
  HOST: z.preprocess(emptyAsUndefined, z.string().min(1).default('127.0.0.1')),
  PORT: portVar(9001),
  LOG_LEVEL: logLevelVar(),
  SHUTDOWN_GRACE_MS: intVar(30_000, 0, 3_600_000),
  /** Default: `sim-<bound port>`. */
  SIM_ID: z.preprocess(emptyAsUndefined, z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/, 'must be 1-128 letters, digits, . _ : -').optional()),
  SIM_MODELS: listVar(['sim-model']).refine((models) => models.length > 0, 'must list at least one model'),
  SIM_TTFT_MS: intVar(50, 0, 600_000),
  SIM_ITL_MS: intVar(10, 0, 60_000),
  SIM_SEED: intVar(42, 0, 2 ** 32 - 1),
  SIM_DEFAULT_MAX_TOKENS: intVar(16, 1, 100_000),
  SIM_FAIL_RATE: fractionVar(0),
  SIM_MAX_RUNNING: intVar(256, 1, 1_000_000),
  /** KV-cache capacity in tokens; running requests' prompt + completion tokens fill it. */
  SIM_KV_CACHE_TOKENS: intVar(65_536, 1, 1_000_000_000),
  SIM_EMBEDDING_DIM: intVar(16, 1, 8_192),
  /** Prefix-cache capacity in blocks; 0 (default) turns the cache off (cache/prefix-cache.ts). */
  SIM_PREFIX_CACHE_BLOCKS: intVar(0, 0, 10_000_000),
  /** Tokens per KV block, vLLM's default block size. */
  SIM_BLOCK_TOKENS: intVar(16, 1, 4_096),
  /** Prefill time per uncached prompt token, added to SIM_TTFT_MS while the slot is held (0 = off). */
  SIM_PREFILL_MS_PER_TOKEN: nonNegativeNumberVar(0, 1_000),
  /** How errors look: OpenAI's envelope, or llama.cpp's (client mistakes answered 500, issue 21). */
  SIM_ERROR_STYLE: z.preprocess(emptyAsUndefined, z.enum(['openai', 'llamacpp']).default('openai')),
  /** Whose metric names the load gauges carry: sim (own + vLLM names), vllm, vllm-v0, sglang, llamacpp, tgi. */
  SIM_METRICS_FLAVOR: z.preprocess(emptyAsUndefined, z.enum(METRICS_FLAVORS).default('sim')),
  SIM_FAULT: z.preprocess(emptyAsUndefined, z.string().optional()).superRefine((value, ctx) => {
    if (value === undefined) return;
    const parsed = parseFault(value);
    if (!parsed.ok) ctx.addIssue({ code: 'custom', message: parsed.reason });
  }),
  /** When set, `/v1/*` requires `Authorization: Bearer <SIM_API_KEY>` (like vLLM `--api-key`). */
  SIM_API_KEY: optionalString(),
  CONTROL_PLANE_URL: urlVar(),
  REGISTRATION_TOKEN: optionalString(),
  /** The URL the control plane should use; default `http://HOST:PORT` (127.0.0.1 for a wildcard HOST). */
  SIM_PUBLIC_URL: urlVar(),
  SIM_REGISTRATION_TTL_SECONDS: intVar(10, 1, 86_400),
});

export type Config = z.output<typeof configSchema>;

/** Pure: the parsed config or every problem, each naming its variable. */
export function loadConfig(env: Record<string, string | undefined>): ConfigResult<Config> {
  return parseConfig(configSchema, env);
}

/** A number ≥ 0 (fractions allowed: prefill costs well under a millisecond per token). */
function nonNegativeNumberVar(defaultValue: number, max: number) {
  return z.preprocess(emptyAsUndefined, z.coerce.number().min(0, 'must be >= 0').max(max, `must be <= ${max}`).default(defaultValue));
}

function emptyAsUndefined(v: unknown): unknown {
  return v === '' || v === null ? undefined : v;
}
