export * from './messages';
export { createRoutingClient, loadServices, protoRoot, LOADER_OPTIONS, KEEPALIVE_OPTIONS, CLIENT_CHANNEL_OPTIONS, SERVER_KEEPALIVE_OPTIONS } from './loader';
export type { LoadedServices, RoutingServiceClient } from './loader';
export { applyDelta, deltaMessage, deltaSize, diffTables, findSortedKey, isDelta, mergeKeys } from './table-delta';
export type { DeltaRejection, DeltaResult, KnownKeyChanges } from './table-delta';
export { findPackedKey, mergePackedKeys, packedKeyCount, packedKeysProblem, packKeys, unpackKeys } from './packed-keys';
