import type { StateStore } from '../state/state-store';
import type { StoredApiKey } from './api-key-record';

type ApiKeyMethods = Pick<StateStore, 'listApiKeys' | 'putApiKey' | 'removeApiKey' | 'replaceFileKeys'>;

/** The API-key part of the embedded store; `changed` announces a 'keys' change. */
export function createMemoryApiKeys(changed: () => void): ApiKeyMethods {
  let fileKeys: StoredApiKey[] = [];
  let fileJson = '[]';
  const adminKeys = new Map<string, StoredApiKey>();
  return {
    async listApiKeys() {
      return [...sortedByHash(fileKeys), ...sortedByHash([...adminKeys.values()])].map((key) => structuredClone(key));
    },
    async putApiKey(key) {
      adminKeys.set(key.key_sha256, structuredClone({ ...key, source: 'admin' }));
      changed();
    },
    async removeApiKey(keySha256) {
      const existed = adminKeys.delete(keySha256);
      if (existed) changed();
      return existed;
    },
    async replaceFileKeys(keys) {
      const next = sortedByHash(keys.map((key) => ({ ...key, source: 'file' as const })));
      const json = JSON.stringify(next);
      if (json === fileJson) return false;
      fileKeys = structuredClone(next);
      fileJson = json;
      changed();
      return true;
    },
  };
}

/** Keys by hash, the order every store lists them in (within a source). */
export function sortedByHash(keys: readonly StoredApiKey[]): StoredApiKey[] {
  return [...keys].sort((a, b) => (a.key_sha256 < b.key_sha256 ? -1 : a.key_sha256 > b.key_sha256 ? 1 : 0));
}
