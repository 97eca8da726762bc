export * from './fake-control-plane';
export * from './fake-upstream';
export * from './fixtures';
export * from './openai-payloads';
export * from './gateway-harness';
export * from './silent-upstream';
export * from './llama-cpp';
export * from './otlp-receiver';
