export * from './lifecycle';
export * from './http-server';
