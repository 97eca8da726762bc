export * from './registration-client';
export * from './backoff';
export { createAdminApi, type AdminApi, type CallResult } from './admin-api';
export { waitForServer, type WaitForServerOptions, type WaitOutcome } from './wait-for-server';
export { runSidecar, type SidecarDeps } from './run-sidecar';
export { cliConfigSchema, loadCliConfig, type CliConfig } from './cli-config';
