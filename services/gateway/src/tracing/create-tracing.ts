import type { IncomingMessage, OutgoingHttpHeaders } from 'node:http';
import { ROOT_CONTEXT, SpanKind, trace, type Context, type TextMapGetter, type TextMapSetter, type Tracer } from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { OTLPTraceExporter as OtlpJsonExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { OTLPTraceExporter as OtlpProtobufExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { resourceFromAttributes } from '@opentelemetry/resources';
import {
  AlwaysOffSampler,
  AlwaysOnSampler,
  BatchSpanProcessor,
  ParentBasedSampler,
  TraceIdRatioBasedSampler,
  TracerProvider,
  type Sampler,
  type SpanExporter,
} from '@opentelemetry/sdk-trace';
import { ATTR_SERVICE_NAME } from '@opentelemetry/semantic-conventions';
import type { EndpointKind } from '../pipeline/validate-request';
import { createRequestTrace, unsampledTrace, type RequestTrace } from './request-trace';
import { OPERATION_OF } from './span-attributes';
import type { SamplerName, TracingSettings } from './tracing-config';

/** The gateway's tracer: present only when tracing is on, so "off" is one `undefined` check. */
export interface Tracing {
  /** Opens the request's span, continuing the client's W3C trace context when it is valid. */
  requestStarted(req: IncomingMessage, endpoint: EndpointKind, requestId: string): RequestTrace;
  /** Flushes what is queued (bounded: an unreachable collector must not hold shutdown). */
  stop(): Promise<void>;
}

/** Longest a stop() waits for the last export (after the server drained, inside SHUTDOWN_GRACE_MS). */
const STOP_FLUSH_MS = 1_000;
/** One export's deadline: a slow collector costs queued spans, never requests. */
const EXPORT_TIMEOUT_MS = 5_000;

const HEADER_GETTER: TextMapGetter<IncomingMessage['headers']> = {
  keys: (carrier) => Object.keys(carrier),
  get: (carrier, key) => carrier[key],
};

export const HEADER_SETTER: TextMapSetter<OutgoingHttpHeaders> = {
  set: (carrier, key, value) => {
    carrier[key] = value;
  },
};

/**
 * OpenTelemetry tracing of the hot path (issue 20): one SERVER span per client
 * request and one CLIENT span per upstream attempt, batched and exported over
 * OTLP/HTTP. No global provider, context manager or instrumentation is installed:
 * spans are started with explicit parents, so nothing runs unless this is called.
 */
export function createTracing(settings: TracingSettings): Tracing {
  const provider = new TracerProvider({
    resource: resourceFromAttributes({ [ATTR_SERVICE_NAME]: settings.serviceName }),
    sampler: samplerOf(settings.sampler, settings.ratio),
    spanProcessors: [new BatchSpanProcessor({ exporter: exporterOf(settings), exportTimeoutMillis: EXPORT_TIMEOUT_MS })],
  });
  const tracer: Tracer = provider.getTracer('switchyard-gateway');
  const propagator = new W3CTraceContextPropagator();
  const inject = (context: Context, headers: OutgoingHttpHeaders) => propagator.inject(context, headers, HEADER_SETTER);
  return {
    requestStarted(req, endpoint, requestId) {
      const parent = propagator.extract(ROOT_CONTEXT, req.headers, HEADER_GETTER);
      // A constant name: a sampled span is renamed `<operation> <model>` when it ends.
      const span = tracer.startSpan(OPERATION_OF[endpoint], { kind: SpanKind.SERVER }, parent);
      const context = trace.setSpan(ROOT_CONTEXT, span);
      // Most requests are not sampled (OTEL_TRACES_SAMPLER_ARG 0.01): they only pass the trace on.
      if (!span.isRecording()) return unsampledTrace(context, inject);
      return createRequestTrace({ tracer, span, context, endpoint, requestId, inject });
    },
    async stop() {
      let timer: NodeJS.Timeout | undefined;
      const late = new Promise<void>((resolve) => (timer = setTimeout(resolve, STOP_FLUSH_MS)));
      await Promise.race([provider.shutdown().catch(() => undefined), late]);
      clearTimeout(timer);
    },
  };
}

function exporterOf(settings: TracingSettings): SpanExporter {
  const options = { url: settings.url, timeoutMillis: EXPORT_TIMEOUT_MS };
  return settings.protocol === 'http/json' ? new OtlpJsonExporter(options) : new OtlpProtobufExporter(options);
}

/** The spec's OTEL_TRACES_SAMPLER names; the *traceidratio ones take OTEL_TRACES_SAMPLER_ARG. */
export function samplerOf(name: SamplerName, ratio: number): Sampler {
  const SAMPLERS = {
    always_on: () => new AlwaysOnSampler(),
    always_off: () => new AlwaysOffSampler(),
    traceidratio: () => new TraceIdRatioBasedSampler(ratio),
    parentbased_always_on: () => new ParentBasedSampler({ root: new AlwaysOnSampler() }),
    parentbased_always_off: () => new ParentBasedSampler({ root: new AlwaysOffSampler() }),
    parentbased_traceidratio: () => new ParentBasedSampler({ root: new TraceIdRatioBasedSampler(ratio) }),
  } satisfies Record<SamplerName, () => Sampler>;
  return SAMPLERS[name]();
}
