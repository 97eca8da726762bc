import type { EndpointKind } from '../pipeline/validate-request';

/**
 * GenAI semantic-convention attribute names
 * (https://opentelemetry.io/docs/specs/semconv/gen-ai/gen-ai-spans/). They are still
 * "development" status, so they are written here rather than imported from the
 * semantic-conventions package's unstable entry point. Prompt and completion text
 * (gen_ai.input.messages and the like) are never recorded.
 */
export const GEN_AI = {
  OPERATION_NAME: 'gen_ai.operation.name',
  REQUEST_MODEL: 'gen_ai.request.model',
  RESPONSE_MODEL: 'gen_ai.response.model',
  USAGE_INPUT_TOKENS: 'gen_ai.usage.input_tokens',
  USAGE_OUTPUT_TOKENS: 'gen_ai.usage.output_tokens',
} as const;

/** The gateway's own attributes. */
export const SWITCHYARD = {
  REQUEST_ID: 'switchyard.request_id',
  SCHEDULER_ID: 'switchyard.scheduler.id',
  /** 1 for the first attempt of a request, 2 for its first retry, … */
  ATTEMPT: 'switchyard.attempt',
  ATTEMPTS: 'switchyard.attempts',
  /** true on the attempt that continues a stream another scheduler lost (mid-stream resumption). */
  RESUMPTION: 'switchyard.resumption',
} as const;

/** gen_ai.operation.name per route (the spec's well-known values where there is one, else the endpoint's name). */
export const OPERATION_OF = {
  chat_completions: 'chat',
  completions: 'text_completion',
  embeddings: 'embeddings',
  responses: 'chat',
  response_by_id: 'response_by_id',
  messages: 'chat',
  messages_count_tokens: 'count_tokens',
  audio_transcriptions: 'audio_transcriptions',
  audio_translations: 'audio_translations',
  audio_speech: 'audio_speech',
  images_generations: 'images_generations',
  rerank: 'rerank',
  score: 'score',
  classify: 'classify',
  pooling: 'pooling',
  tokenize: 'tokenize',
  detokenize: 'detokenize',
  passthrough: 'passthrough',
} as const satisfies Record<EndpointKind, string>;
