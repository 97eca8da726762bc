export * from './openai-schemas';
export * from './wait';
export * from './ports';
export * from './processes';
export * from './redis-server';
