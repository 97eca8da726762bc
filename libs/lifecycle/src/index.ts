export * from './lifecycle';
export * from './http-server';
export * from './tls-files';
export * from './serial-runner';
