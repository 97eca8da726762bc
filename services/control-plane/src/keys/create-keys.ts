import type { Component } from '@switchyard/lifecycle';
import type { Logger } from '@switchyard/observability';
import type { Config } from '../config';
import type { StateStore } from '../state/state-store';
import { createUsageReader, type UsageReader } from '../usage/usage-reader';
import { createAdminKeys, type AdminKeys } from './admin-keys';
import { createKeyFileLoader, type KeyFileLoader } from './key-file-loader';

export interface KeysComponents {
  adminKeys: AdminKeys;
  /** Absent without API_KEYS_FILE. */
  fileLoader?: KeyFileLoader;
  /** Absent without REDIS_URL (the gateways write usage there). */
  usage?: UsageReader;
  /** Start after the state store, before leader work: the first table then carries the keys. */
  components: Component[];
  /** API_KEYS_FILE is set: tables require auth even while it lists no key. */
  authRequired: boolean;
}

/** API keys and usage accounting of the control plane (issue 6). */
export function createKeysComponents(config: Pick<Config, 'API_KEYS_FILE' | 'REDIS_URL' | 'REDIS_KEY_PREFIX'>, deps: { store: StateStore; now: () => number; logger: Logger }): KeysComponents {
  const fileLoader = config.API_KEYS_FILE === undefined ? undefined : createKeyFileLoader({ path: config.API_KEYS_FILE, store: deps.store, logger: deps.logger });
  const usage = config.REDIS_URL === undefined ? undefined : createUsageReader(config.REDIS_URL, config.REDIS_KEY_PREFIX);
  return {
    adminKeys: createAdminKeys(deps),
    fileLoader,
    usage,
    components: [...(fileLoader ? [fileLoader] : []), ...(usage ? [usage] : [])],
    authRequired: fileLoader !== undefined,
  };
}
