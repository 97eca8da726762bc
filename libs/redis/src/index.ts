export * from './lua-script';
export * from './redis-client';
