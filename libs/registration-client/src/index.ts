export * from './registration-client';
