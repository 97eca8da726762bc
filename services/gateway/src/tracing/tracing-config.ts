import { z } from 'zod';
import { boolVar, urlVar } from '@switchyard/config';

const emptyAsUndefined = (v: unknown) => (v === '' ? undefined : v);

/** OTEL_TRACES_SAMPLER values of the OpenTelemetry SDK environment spec that the gateway supports. */
export const SAMPLERS = ['always_on', 'always_off', 'traceidratio', 'parentbased_always_on', 'parentbased_always_off', 'parentbased_traceidratio'] as const;
export type SamplerName = (typeof SAMPLERS)[number];

/** OTLP over HTTP only: `grpc` would need a second transport for one exporter. */
export const PROTOCOLS = ['http/protobuf', 'http/json'] as const;
export type OtlpProtocol = (typeof PROTOCOLS)[number];

/**
 * The standard `OTEL_*` variables the gateway reads
 * (https://opentelemetry.io/docs/specs/otel/configuration/sdk-environment-variables/).
 * Tracing is on only when an OTLP endpoint is set and the SDK is not disabled.
 */
export const tracingEnvSchema = {
  OTEL_SDK_DISABLED: boolVar(false),
  OTEL_EXPORTER_OTLP_ENDPOINT: urlVar(),
  /** Used as is (no `/v1/traces` appended), as the spec says. */
  OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: urlVar(),
  OTEL_EXPORTER_OTLP_PROTOCOL: z.preprocess(emptyAsUndefined, z.enum(PROTOCOLS).default('http/protobuf')),
  OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: z.preprocess(emptyAsUndefined, z.enum(PROTOCOLS).optional()),
  OTEL_SERVICE_NAME: z.preprocess(emptyAsUndefined, z.string().default('switchyard-gateway')),
  OTEL_TRACES_SAMPLER: z.preprocess(emptyAsUndefined, z.enum(SAMPLERS).default('parentbased_always_on')),
  /** The ratio of the *traceidratio samplers (ignored by the others). */
  OTEL_TRACES_SAMPLER_ARG: z.preprocess(emptyAsUndefined, z.coerce.number().min(0, 'must be >= 0').max(1, 'must be <= 1').default(1)),
};

type TracingEnv = z.output<z.ZodObject<typeof tracingEnvSchema>>;

export interface TracingSettings {
  /** Where spans go (the full OTLP/HTTP traces URL). */
  url: string;
  protocol: OtlpProtocol;
  serviceName: string;
  sampler: SamplerName;
  ratio: number;
}

/** The tracing settings, or undefined when tracing is off (no endpoint, or OTEL_SDK_DISABLED). */
export function tracingSettingsOf(env: TracingEnv): TracingSettings | undefined {
  if (env.OTEL_SDK_DISABLED) return undefined;
  const url = env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT ?? tracesUrl(env.OTEL_EXPORTER_OTLP_ENDPOINT);
  if (url === undefined) return undefined;
  return {
    url,
    protocol: env.OTEL_EXPORTER_OTLP_TRACES_PROTOCOL ?? env.OTEL_EXPORTER_OTLP_PROTOCOL,
    serviceName: env.OTEL_SERVICE_NAME,
    sampler: env.OTEL_TRACES_SAMPLER,
    ratio: env.OTEL_TRACES_SAMPLER_ARG,
  };
}

/** The base endpoint gets the signal path appended (`/v1/traces`). */
function tracesUrl(base: string | undefined): string | undefined {
  if (base === undefined) return undefined;
  return `${base.replace(/\/+$/, '')}/v1/traces`;
}
