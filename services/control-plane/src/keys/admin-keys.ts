import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import { conflict, notFound } from '@switchyard/contracts';
import type { Logger } from '@switchyard/observability';
import type { StateStore } from '../state/state-store';
import { apiKeyId, apiKeyPrefix, hashApiKey, toApiKeyView, type ApiKeyView, type StoredApiKey } from './api-key-record';
import { keySettingsShape } from './key-file';

/** Body of `POST /admin/keys/create`: the settings of a file entry, without the key (the control plane makes one). */
export const createKeySchema = z.object(keySettingsShape).strict();
export type CreateKeyRequest = z.output<typeof createKeySchema>;

/** Prefix of generated keys, so they are recognizable (and findable by secret scanners). */
export const GENERATED_KEY_PREFIX = 'sk-sy-';

export interface AdminKeysDeps {
  store: StateStore;
  now: () => number;
  logger: Logger;
  /** Random bytes for new keys (tests may fix them). */
  random?: (size: number) => Buffer;
}

export interface AdminKeys {
  /** A new key: the only moment its value exists outside the client. */
  create(request: CreateKeyRequest): Promise<{ key: string; view: ApiKeyView }>;
  /** Every key, or those `matches` keeps (filtered before the views are made: 100,000 keys, issue 16). */
  list(matches?: (key: StoredApiKey) => boolean): Promise<ApiKeyView[]>;
  setEnabled(id: string, enabled: boolean): Promise<ApiKeyView>;
  remove(id: string): Promise<ApiKeyView>;
}

/**
 * The admin API's key operations (issue 6). Keys are stored as hashes only;
 * file keys are listed but only the file changes them (409 otherwise). Every
 * change is logged with the key's id and user, never its value.
 */
export function createAdminKeys(deps: AdminKeysDeps): AdminKeys {
  const log = deps.logger.child({ component: 'api-keys' });
  const random = deps.random ?? randomBytes;

  const find = async (id: string): Promise<StoredApiKey> => {
    const keys = await deps.store.listApiKeys();
    const key = keys.find((k) => k.source === 'admin' && apiKeyId(k.key_sha256) === id) ?? keys.find((k) => apiKeyId(k.key_sha256) === id);
    if (!key) throw notFound(`No API key with id '${id}'.`, 'key_not_found', 'id');
    if (key.source === 'file') throw conflict(`API key '${id}' comes from API_KEYS_FILE; change it there.`, 'file_key', 'id');
    return key;
  };

  return {
    async create(request) {
      const key = `${GENERATED_KEY_PREFIX}${random(24).toString('base64url')}`;
      const stored: StoredApiKey = { ...request, key_sha256: hashApiKey(key), source: 'admin', prefix: apiKeyPrefix(key), created_at_ms: deps.now() };
      await deps.store.putApiKey(stored);
      const view = toApiKeyView(stored);
      log.info('api key created', { id: view.id, user: view.user });
      return { key, view };
    },
    async list(matches) {
      const all = await deps.store.listApiKeys();
      return (matches ? all.filter(matches) : all).map(toApiKeyView);
    },
    async setEnabled(id, enabled) {
      const key = await find(id);
      const next = { ...key, enabled };
      if (key.enabled !== enabled) {
        await deps.store.putApiKey(next);
        log.info(enabled ? 'api key enabled' : 'api key disabled', { id, user: key.user });
      }
      return toApiKeyView(next);
    },
    async remove(id) {
      const key = await find(id);
      await deps.store.removeApiKey(key.key_sha256);
      log.info('api key removed', { id, user: key.user });
      return toApiKeyView(key);
    },
  };
}
