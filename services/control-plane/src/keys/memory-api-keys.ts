import type { StateStore } from '../state/state-store';
import type { StoredApiKey } from './api-key-record';

type ApiKeyMethods = Pick<StateStore, 'listApiKeys' | 'getApiKeys' | 'putApiKey' | 'removeApiKey' | 'replaceFileKeys'>;

/** The API-key part of the embedded store; `changed` announces a 'keys' change (naming the hash of an admin write). */
export function createMemoryApiKeys(changed: (hashes?: string[]) => void): ApiKeyMethods {
  let fileKeys: StoredApiKey[] = [];
  let fileJson = '[]';
  const adminKeys = new Map<string, StoredApiKey>();
  return {
    async listApiKeys() {
      return [...sortedByHash(fileKeys), ...sortedByHash([...adminKeys.values()])].map((key) => structuredClone(key));
    },
    async getApiKeys(hashes) {
      const wanted = new Set(hashes);
      const admin = sortedByHash(hashes.flatMap((h) => adminKeys.get(h) ?? []));
      return [...fileKeys.filter((k) => wanted.has(k.key_sha256)), ...admin].map((key) => structuredClone(key));
    },
    async putApiKey(key) {
      adminKeys.set(key.key_sha256, structuredClone({ ...key, source: 'admin' }));
      changed([key.key_sha256]);
    },
    async removeApiKey(keySha256) {
      const existed = adminKeys.delete(keySha256);
      if (existed) changed([keySha256]);
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
