export * from './lua-script';
export * from './redis-client';
export * from './usage-buckets';
export * from './stored-table';
