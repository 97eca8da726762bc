import { z } from 'zod';
import { checkTlsPair, fractionVar, intVar, listVar, logLevelVar, optionalString, parseConfig, portVar, type ConfigResult } from '@switchyard/config';
import { STRATEGY_NAMES } from '@switchyard/routing';
import { parseAllowEntry } from './schedulers/host-allow-list';
import { parseModelAliases, parseModelResumeStreams, parseModelStrategies, type ParseResult } from './tables/model-routes';
import { parseModelSaturation } from './tables/model-saturation';

/**
 * Every environment variable of the control plane (ARCHITECTURE.md, "Processes,
 * ports, variables"). Variables that later issues give a meaning (LEADER_LEASE_MS,
 * API_KEYS_FILE) are validated now so a deployment never carries a silently
 * ignored setting.
 */
export const configSchema = z
  .object({
    ADMIN_PORT: portVar(8081),
    GRPC_PORT: portVar(50051),
    HOST: z.preprocess(emptyAsUndefined, z.string().min(1).default('127.0.0.1')),
    LOG_LEVEL: logLevelVar(),
    REDIS_URL: z.preprocess(emptyAsUndefined, z.string().regex(/^rediss?:\/\/\S+$/, 'must be a redis:// or rediss:// URL').optional()),
    REDIS_KEY_PREFIX: z.preprocess(emptyAsUndefined, z.string().min(1).max(128).default('switchyard:')),
    ADMIN_TOKEN: optionalString(),
    REGISTRATION_TOKEN: optionalString(),
    API_KEYS_FILE: optionalString(),
    ROUTING_STRATEGY: z.preprocess(emptyAsUndefined, z.enum(STRATEGY_NAMES, { message: `must be one of ${STRATEGY_NAMES.join(', ')}` }).default('round-robin')),
    PROBE_INTERVAL_MS: intVar(2_000, 50, 3_600_000),
    PROBE_TIMEOUT_MS: intVar(1_000, 10, 600_000),
    PROBE_HEALTHY_THRESHOLD: intVar(2, 1, 100),
    PROBE_UNHEALTHY_THRESHOLD: intVar(2, 1, 100),
    PROBE_CONCURRENCY: intVar(32, 1, 1_024),
    /** Sliding window of the gateways' ReportStats used as passive health. */
    PASSIVE_WINDOW_MS: intVar(30_000, 1_000, 3_600_000),
    PASSIVE_DEGRADED_ERROR_RATE: fractionVar(0.2),
    /** `public=served1|served2,public2=served3` (tables/model-routes.ts). */
    MODEL_ALIASES: modelMapVar(parseModelAliases),
    /** `model=strategy,...`: per-model override of ROUTING_STRATEGY. */
    MODEL_STRATEGIES: modelMapVar(parseModelStrategies),
    /** `model1,model2` or `*`: models whose streams gateways resume on another scheduler (issue 10, docs/resumption.md). */
    MODEL_RESUME_STREAMS: modelMapVar(parseModelResumeStreams),
    /** JSON `{"model": {"max_waiting", "max_kv_cache_usage", "max_in_flight"}, "*": …}`: saturation thresholds gateways apply (issue 19, tables/model-saturation.ts). */
    MODEL_SATURATION: modelMapVar(parseModelSaturation),
    LEADER_LEASE_MS: intVar(10_000, 1_000, 3_600_000),
    /** This replica's id in the leader lease and GET /admin/leader (default hostname-pid); must be unique per replica. */
    CONTROL_PLANE_ID: z.preprocess(emptyAsUndefined, z.string().regex(/^[^\s/]{1,128}$/, 'must be 1-128 characters without spaces or slashes').optional()),
    REGISTRATION_ALLOWED_HOSTS: listVar([]).superRefine((entries, ctx) => {
      for (const entry of entries) {
        const parsed = parseAllowEntry(entry);
        if (!parsed.ok) ctx.addIssue({ code: 'custom', message: parsed.reason });
      }
    }),
    SHUTDOWN_GRACE_MS: intVar(30_000, 0, 3_600_000),
    /** PEM certificate (chain) and private key: the admin listener then serves HTTPS. Both or neither. */
    TLS_CERT_FILE: optionalString(),
    TLS_KEY_FILE: optionalString(),
  })
  .superRefine((config, ctx) => {
    checkTlsPair(config, ctx);
    // One secret for two roles would give registration callers admin rights.
    if (config.ADMIN_TOKEN !== undefined && config.ADMIN_TOKEN === config.REGISTRATION_TOKEN) {
      ctx.addIssue({ code: 'custom', path: ['REGISTRATION_TOKEN'], message: 'must differ from ADMIN_TOKEN' });
    }
  });

export type Config = z.output<typeof configSchema>;

/** Pure: the parsed config or every problem, each naming its variable. */
export function loadConfig(env: Record<string, string | undefined>): ConfigResult<Config> {
  return parseConfig(configSchema, env);
}

/** An optional `name=value,...` variable parsed into a map; unset or empty stays undefined. */
function modelMapVar<T>(parse: (text: string) => ParseResult<T>) {
  return z.preprocess(emptyAsUndefined, z.string().optional()).transform((text, ctx): T | undefined => {
    if (text === undefined) return undefined;
    const parsed = parse(text);
    if (parsed.ok) return parsed.value;
    ctx.addIssue({ code: 'custom', message: parsed.reason });
    return z.NEVER;
  });
}

function emptyAsUndefined(v: unknown): unknown {
  return v === '' || v === null ? undefined : v;
}
