export * from './logger';
export * from './metrics';
export * from './request-id';
export * from './batched-writer';
