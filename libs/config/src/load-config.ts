import { z } from 'zod';

export type ConfigResult<T> = { ok: true; config: T } | { ok: false; problems: string[] };

/**
 * Parses `env` with a service's schema. Pure: returns every problem, each naming
 * its variable (`PORT: must be <= 65535`), instead of stopping at the first.
 */
export function parseConfig<S extends z.ZodType>(schema: S, env: NodeJS.ProcessEnv | Record<string, string | undefined>): ConfigResult<z.output<S>> {
  const result = schema.safeParse(env);
  if (result.success) return { ok: true, config: result.data };
  const problems = result.error.issues.map((issue) => {
    const name = issue.path.length > 0 ? issue.path.join('.') : 'config';
    return `${name}: ${issue.message}`;
  });
  return { ok: false, problems };
}

/**
 * Start-up helper: the parsed config, or one line on stderr naming every bad
 * variable and exit code 1 (the contract for all services).
 */
export function loadConfigOrExit<S extends z.ZodType>(service: string, schema: S, env: NodeJS.ProcessEnv = process.env): z.output<S> {
  const result = parseConfig(schema, env);
  if (result.ok) return result.config;
  process.stderr.write(`${service}: invalid configuration: ${result.problems.join('; ')}\n`);
  process.exit(1);
}
