import { packKeys, type ApiKeyRecord } from '@switchyard/proto';
import { ApiError } from '@switchyard/contracts';
import type { ValidRequest } from '../pipeline/validate-request';
import { routingTable } from '../testing/fixtures';
import { authenticate, authorize } from './authenticate';
import { PRESENTED_KEY_MEMORY, buildKeyIndex, createPresentedKeyHasher, hashKey, type AuthKey } from './key-index';
import { compileModelAccess } from './model-access';
import { presentedKey } from './presented-key';

const KEY = 'sk-team-a-0123456789';

function keyRecord(key: string, fields: Partial<ApiKeyRecord> = {}): ApiKeyRecord {
  return { key_sha256: hashKey(key), user: 'team-a', enabled: true, allowed_models: ['*'], rpm: 0, tpm: 0, max_concurrency: 0, allow_backend_pin: false, allow_explain: false, resume_streams: false, ...fields };
}

const request = (model: string, backend?: string): ValidRequest => ({ model, stream: false, backend, body: { model } });

describe('allowed_models wildcards', () => {
  it.each([
    [['*'], 'anything/at-all', true],
    [['m1'], 'm1', true],
    [['m1'], 'm10', false],
    [['qwen/*'], 'qwen/qwen3-8b', true],
    [['qwen/*'], 'qwen', false],
    [['qwen/*'], 'meta/llama', false],
    [['llama-3*', 'm1'], 'llama-3.1-8b', true],
    [[], 'm1', false],
  ])('%j allows %s: %s', (patterns, model, allowed) => {
    expect(compileModelAccess(patterns)(model)).toBe(allowed);
  });
});

describe('presented keys', () => {
  it.each([
    [{ authorization: `Bearer ${KEY}` }, KEY],
    [{ authorization: `bearer   ${KEY} ` }, KEY],
    [{ authorization: KEY }, KEY],
    [{ 'api-key': KEY }, KEY],
    [{ 'x-api-key': KEY }, KEY],
    [{ authorization: 'Bearer ' }, undefined],
    [{}, undefined],
  ])('%j → %s', (headers, expected) => {
    expect(presentedKey(headers)).toBe(expected);
  });
});

describe('authentication and permissions', () => {
  const index = buildKeyIndex(routingTable({ version: 1, schedulers: [], auth_required: true, api_keys: [keyRecord(KEY, { allowed_models: ['qwen/*'] }), keyRecord('sk-disabled-key-000', { enabled: false }), keyRecord('sk-pinner-key-0000', { allow_backend_pin: true, rpm: 5 })] }));

  it('hashes with SHA-256 and indexes keys by hash, with an id and whether they have limits', () => {
    expect(hashKey('abc')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
    const key = index.find(hashKey('sk-pinner-key-0000'))!;
    expect([key.id, key.limited]).toEqual([hashKey('sk-pinner-key-0000').slice(0, 16), true]);
    expect(index.find(hashKey(KEY))!.limited).toBe(false);
    expect(index.size).toBe(3);
    expect(buildKeyIndex(routingTable({ version: 1, schedulers: [] })).authRequired).toBe(false);
  });

  it('built from packed keys (issue 16) it authenticates and authorizes exactly as from the listed records', () => {
    const records = [keyRecord(KEY, { allowed_models: ['qwen/*'], user: 'Zoë 研究' }), keyRecord('sk-disabled-key-000', { enabled: false }), keyRecord('sk-pinner-key-0000', { allow_backend_pin: true, rpm: 5 }), keyRecord('sk-other-key-00000', { tpm: 9, priority: 'batch' })];
    const listed = buildKeyIndex(routingTable({ version: 1, schedulers: [], api_keys: records }));
    const packed = buildKeyIndex(routingTable({ version: 1, schedulers: [], packed_keys: packKeys(records) }));
    expect([packed.size, packed.authRequired]).toEqual([4, true]);
    for (const presented of [KEY, 'sk-disabled-key-000', 'sk-pinner-key-0000', 'sk-other-key-00000', 'sk-unknown-000000']) {
      const outcome = (index: typeof packed) => {
        const key = authenticate({ authorization: `Bearer ${presented}` }, index);
        if (key instanceof ApiError) return key.toBody();
        return { ...key, mayUse: ['qwen/x', 'm1'].map(key.mayUse), pin: authorize(key, request('qwen/x', 's1'))?.toBody() };
      };
      expect(outcome(packed)).toEqual(outcome(listed));
    }
    expect((authenticate({ authorization: `Bearer ${KEY}` }, packed) as AuthKey).record.user).toBe('Zoë 研究');
  });

  it('answers 401 invalid_api_key for a missing, unknown or disabled key, never repeating it', () => {
    for (const headers of [{}, { authorization: 'Bearer sk-unknown-000000' }, { authorization: 'sk-disabled-key-000' }]) {
      const result = authenticate(headers, index);
      expect(result).toBeInstanceOf(ApiError);
      expect((result as ApiError).toBody().error).toMatchObject({ type: 'authentication_error', code: 'invalid_api_key' });
      expect((result as ApiError).message).not.toMatch(/sk-/);
    }
    expect((authenticate({ authorization: `Bearer ${KEY}` }, index) as AuthKey).record.user).toBe('team-a');
  });

  it('answers 403 for a model outside allowed_models and for a backend pin the key may not make', () => {
    const key = authenticate({ authorization: KEY }, index) as AuthKey;
    expect(authorize(key, request('qwen/qwen3-8b'))).toBeUndefined();
    expect(authorize(key, request('meta/llama'))?.toBody().error).toMatchObject({ type: 'permission_error', code: 'model_not_allowed', param: 'model' });
    expect(authorize(key, request('qwen/qwen3-8b', 's1'))?.toBody().error).toMatchObject({ code: 'backend_pin_not_allowed', param: 'backend' });
    const pinner = authenticate({ 'x-api-key': 'sk-pinner-key-0000' }, index) as AuthKey;
    expect(authorize(pinner, request('m1', 's1'))).toBeUndefined();
  });
});

describe('createPresentedKeyHasher', () => {
  it('gives the SHA-256 of every key, remembered or not, past its memory too', () => {
    const hash = createPresentedKeyHasher();
    const keys = Array.from({ length: PRESENTED_KEY_MEMORY + 5 }, (_, i) => `sk-${i}`);
    for (const key of [...keys, ...keys.slice(0, 10), ...keys.slice(-10)]) expect(hash(key)).toBe(hashKey(key));
  });
});
