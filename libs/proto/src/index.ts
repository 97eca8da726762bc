export * from './messages';
export { createRoutingClient, loadServices, protoRoot, LOADER_OPTIONS, KEEPALIVE_OPTIONS, SERVER_KEEPALIVE_OPTIONS } from './loader';
export type { LoadedServices } from './loader';
export { applyDelta, deltaMessage, deltaSize, diffTables, isDelta } from './table-delta';
export type { DeltaRejection, DeltaResult } from './table-delta';
