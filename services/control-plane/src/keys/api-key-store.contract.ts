import type { StateChange, StateStore } from '../state/state-store';
import type { StoredApiKey } from './api-key-record';

/**
 * The API-key part of the StateStore contract (issue 6), run inside
 * describeStateStoreContract against every implementation. `store()` is the
 * fresh store of the current test.
 */
export function describeApiKeyStoreContract(store: () => StateStore): void {
  it('keeps admin keys by hash and file keys as one set, listing file keys first, each by hash', async () => {
    expect(await store().listApiKeys()).toEqual([]);
    await store().putApiKey(apiKey('c1', 'admin'));
    await store().putApiKey(apiKey('a1', 'admin'));
    expect(await store().replaceFileKeys([apiKey('f2', 'file'), apiKey('b2', 'file')])).toBe(true);
    expect((await store().listApiKeys()).map((k) => [k.source, k.key_sha256.slice(0, 2)])).toEqual([['file', 'b2'], ['file', 'f2'], ['admin', 'a1'], ['admin', 'c1']]);
    await store().putApiKey({ ...apiKey('a1', 'admin'), enabled: false });
    expect((await store().listApiKeys()).find((k) => k.key_sha256.startsWith('a1'))).toEqual({ ...apiKey('a1', 'admin'), enabled: false });
    expect(await store().removeApiKey(apiKey('a1', 'admin').key_sha256)).toBe(true);
    expect(await store().removeApiKey(apiKey('a1', 'admin').key_sha256)).toBe(false);
    expect(await store().replaceFileKeys([])).toBe(true);
    expect((await store().listApiKeys()).map((k) => k.key_sha256.slice(0, 2))).toEqual(['c1']);
  });

  it('announces key changes, but not a file key set that is already stored', async () => {
    const changes: StateChange[] = [];
    store().onChange((change) => changes.push(change));
    expect(await store().replaceFileKeys([apiKey('f1', 'file')])).toBe(true);
    expect(await store().replaceFileKeys([apiKey('f1', 'file')])).toBe(false);
    await store().putApiKey(apiKey('a1', 'admin'));
    await store().removeApiKey(apiKey('a1', 'admin').key_sha256);
    await store().removeApiKey(apiKey('a1', 'admin').key_sha256);
    for (let i = 0; i < 100 && changes.length < 3; i++) await new Promise((resolve) => setTimeout(resolve, 10));
    await new Promise((resolve) => setTimeout(resolve, 30));
    const hash = apiKey('a1', 'admin').key_sha256;
    expect(changes).toEqual([{ kind: 'keys' }, { kind: 'keys', hashes: [hash] }, { kind: 'keys', hashes: [hash] }]);
  });

  it('reads keys by hash, file and admin alike', async () => {
    await store().replaceFileKeys([apiKey('f1', 'file')]);
    await store().putApiKey(apiKey('a1', 'admin'));
    await store().putApiKey(apiKey('a2', 'admin'));
    const wanted = [apiKey('a2', 'admin').key_sha256, apiKey('f1', 'file').key_sha256, 'f'.repeat(64)];
    expect(await store().getApiKeys(wanted)).toEqual([apiKey('f1', 'file'), apiKey('a2', 'admin')]);
    expect(await store().getApiKeys([])).toEqual([]);
  });

  it('never shares key objects with callers', async () => {
    const key = apiKey('a1', 'admin');
    await store().putApiKey(key);
    key.allowed_models.push('mutated');
    const [read] = await store().listApiKeys();
    read!.allowed_models.push('mutated too');
    expect((await store().listApiKeys())[0]).toEqual(apiKey('a1', 'admin'));
  });
}

/** A complete stored key whose hash starts with `hashStart`. */
export function apiKey(hashStart: string, source: StoredApiKey['source']): StoredApiKey {
  return {
    key_sha256: hashStart.padEnd(64, '0'),
    user: `user-${hashStart}`,
    enabled: true,
    allowed_models: ['*'],
    rpm: 60,
    tpm: 1000,
    max_concurrency: 2,
    allow_backend_pin: false,
    allow_explain: false,
    resume_streams: false,
    source,
  };
}
