export * from './messages';
export { loadServices, protoRoot, LOADER_OPTIONS, KEEPALIVE_OPTIONS, SERVER_KEEPALIVE_OPTIONS } from './loader';
export type { LoadedServices } from './loader';
