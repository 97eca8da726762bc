import { z } from 'zod';
import { intVar, listVar, logLevelVar, optionalString, parseConfig, type ConfigResult } from '@switchyard/config';

/**
 * Configuration of the `switchyard-register` sidecar: environment variables, each
 * also accepted as a flag (`SCHEDULER_URL` ↔ `--scheduler-url`); flags win.
 */
export const cliConfigSchema = z.object({
  CONTROL_PLANE_URL: requiredUrl(),
  REGISTRATION_TOKEN: optionalString(),
  SCHEDULER_ID: optionalString(),
  SCHEDULER_URL: requiredUrl(),
  /** Empty: the control plane discovers the models from the scheduler's `GET /v1/models`. */
  SCHEDULER_MODELS: listVar([]),
  SCHEDULER_WEIGHT: z.preprocess((v) => (v === '' ? undefined : v), z.coerce.number().finite().min(0, 'must be >= 0').optional()),
  /** The inference server's own key (vLLM `--api-key`): used for its /v1/models and handed to the control plane. */
  SCHEDULER_API_KEY: optionalString(),
  TTL_SECONDS: intVar(15, 1, 86_400),
  HEARTBEAT_INTERVAL_MS: z.preprocess((v) => (v === '' ? undefined : v), z.coerce.number().int('must be an integer').min(100, 'must be >= 100').optional()),
  /** How long to wait for the local server to answer before giving up (0 = forever: model loading can take long). */
  READY_TIMEOUT_MS: intVar(0, 0, 86_400_000),
  READY_POLL_INTERVAL_MS: intVar(1_000, 50, 60_000),
  LOG_LEVEL: logLevelVar(),
});

export type CliConfig = z.output<typeof cliConfigSchema>;

export type CliConfigResult = ConfigResult<CliConfig> | { ok: 'help' };

const FLAG_NAMES = new Map(Object.keys(cliConfigSchema.shape).map((name) => [`--${name.toLowerCase().replace(/_/g, '-')}`, name]));

export const CLI_USAGE = [
  'usage: switchyard-register [--flag value]...',
  'Registers a local inference server with the Switchyard control plane, heartbeats, deregisters on SIGTERM.',
  'Each flag may be given as an environment variable instead (--scheduler-url ↔ SCHEDULER_URL):',
  ...[...FLAG_NAMES.keys()].map((flag) => `  ${flag}`),
].join('\n');

/** Pure: argv (without node and script) and env → the config, `help`, or every problem. */
export function loadCliConfig(argv: readonly string[], env: Record<string, string | undefined>): CliConfigResult {
  if (argv.includes('--help') || argv.includes('-h')) return { ok: 'help' };
  const flags = parseFlags(argv);
  if (flags.problems.length > 0) return { ok: false, problems: flags.problems };
  return parseConfig(cliConfigSchema, { ...env, ...flags.values });
}

function parseFlags(argv: readonly string[]): { values: Record<string, string>; problems: string[] } {
  const values: Record<string, string> = {};
  const problems: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const eq = arg.indexOf('=');
    const flag = eq > 0 ? arg.slice(0, eq) : arg;
    const name = FLAG_NAMES.get(flag);
    if (!name) {
      problems.push(`${arg}: unknown argument`);
      continue;
    }
    const value = eq > 0 ? arg.slice(eq + 1) : argv[++i];
    if (value === undefined) problems.push(`${flag}: needs a value`);
    else values[name] = value;
  }
  return { values, problems };
}

/** Like libs/config `urlVar()`, but the variable must be set. */
function requiredUrl() {
  return z.preprocess(
    (v) => (v === '' ? undefined : v),
    z
      .string({ error: 'is required' })
      .url('must be a URL')
      .refine((u) => /^https?:$/.test(new URL(u).protocol), 'must be http(s)'),
  );
}
