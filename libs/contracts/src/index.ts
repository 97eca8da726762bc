export * from './openai-errors';
export * from './scheduler';
