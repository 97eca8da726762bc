export * from './openai-errors';
export * from './scheduler';
export * from './anthropic-errors';
