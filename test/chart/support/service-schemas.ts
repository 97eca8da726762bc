import { cliConfigSchema } from '../../../libs/registration-client/src/cli-config';
import { configSchema as controlPlaneSchema } from '../../../services/control-plane/src/config';
import { configSchema as gatewaySchema } from '../../../services/gateway/src/config';
import { configSchema as simSchema } from '../../../services/sim-scheduler/src/config';

/**
 * The part of a zod schema these tests use, written out so the tests need no zod
 * import of their own (zod is a dependency of the services, not of the root).
 */
export interface VariableSchema {
  safeParse(value: unknown): { success: true; data: unknown } | { success: false; error: { issues: ReadonlyArray<{ path: readonly PropertyKey[]; message: string }> } };
  parse(value: unknown): unknown;
}

export interface EnvironmentSchema extends VariableSchema {
  readonly shape: Readonly<Record<string, VariableSchema>>;
}

/** One process the chart, compose file or examples run, and the config schema it parses its environment with. */
export interface ServiceSchema {
  /** The chart's app.kubernetes.io/component and container name. */
  readonly component: string;
  /** Container name in the examples / service name prefix in compose. */
  readonly title: string;
  readonly schema: EnvironmentSchema;
}

/** The Switchyard services the chart deploys. */
export const SERVICES: readonly ServiceSchema[] = [
  { component: 'control-plane', title: 'control plane', schema: controlPlaneSchema },
  { component: 'gateway', title: 'gateway', schema: gatewaySchema },
  { component: 'sim', title: 'sim scheduler', schema: simSchema },
];

/** The `switchyard-register` CLI (libs/registration-client), run as a sidecar. */
export const REGISTER_SIDECAR: ServiceSchema = { component: 'switchyard-register', title: 'switchyard-register sidecar', schema: cliConfigSchema };

/** Every variable the service reads. */
export function variableNames(service: ServiceSchema): string[] {
  return Object.keys(service.schema.shape);
}

/** Variables without a default: the process refuses to start when they are unset. */
export function requiredVariables(service: ServiceSchema): string[] {
  return variableNames(service).filter((name) => !service.schema.shape[name]!.safeParse(undefined).success);
}

/** The value a variable takes when unset, as the service parses it (undefined when optional). */
export function defaultOf(service: ServiceSchema, name: string): unknown {
  const parsed = service.schema.shape[name]!.safeParse(undefined);
  return parsed.success ? parsed.data : undefined;
}

/** How the service parses one variable's text (throws with zod's message when invalid). */
export function parseVariable(service: ServiceSchema, name: string, text: string): unknown {
  return service.schema.shape[name]!.parse(text);
}
