import { apiKeyId, apiKeyPrefix, hashApiKey, tableApiKeys, toApiKeyView } from './api-key-record';
import { apiKey } from './api-key-store.contract';
import { parseKeyFile } from './key-file';

const SECRET = 'sk-team-a-0123456789abcdef';

describe('API keys file', () => {
  it('hashes keys, keeps key_sha256 entries as given (lowercased) and fills defaults', () => {
    const sha = hashApiKey('sk-other-key-value');
    const result = parseKeyFile(JSON.stringify({ keys: [{ key: SECRET, user: 'team-a', rpm: 600 }, { key_sha256: sha.toUpperCase(), user: 'team-b', allowed_models: ['qwen/*'], enabled: false }] }));
    expect(result).toEqual({
      ok: true,
      keys: [
        { key_sha256: hashApiKey(SECRET), user: 'team-a', enabled: true, allowed_models: ['*'], rpm: 600, tpm: 0, max_concurrency: 0, allow_backend_pin: false, allow_explain: false, resume_streams: false, priority: 'standard', source: 'file', prefix: 'sk-team-' },
        { key_sha256: sha, user: 'team-b', enabled: false, allowed_models: ['qwen/*'], rpm: 0, tpm: 0, max_concurrency: 0, allow_backend_pin: false, allow_explain: false, resume_streams: false, priority: 'standard', source: 'file' },
      ],
    });
  });

  it('takes a priority class and refuses an unknown one at load, naming the entry and the three classes (issue 19)', () => {
    const good = parseKeyFile(JSON.stringify({ keys: [{ key: SECRET, user: 'a', priority: 'batch' }, { key: `${SECRET}-2`, user: 'b', priority: 'interactive' }] }));
    expect(good.ok && good.keys.map((k) => k.priority)).toEqual(['batch', 'interactive']);
    const bad = parseKeyFile(JSON.stringify({ keys: [{ key: SECRET, user: 'a' }, { key: `${SECRET}-2`, user: 'b', priority: 'urgent' }] }));
    expect(bad).toEqual({ ok: false, problems: ['keys[1].priority: must be one of "interactive", "standard", "batch"'] });
  });

  it('hashes with SHA-256 hex, and ids and prefixes reveal no more than they should', () => {
    expect(hashApiKey('abc')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
    expect(apiKeyId(hashApiKey('abc'))).toBe('ba7816bf8f01cfea');
    expect(apiKeyPrefix('sk-sy-AAAABBBBCCCCDDDDEEEEFFFFGGGGHHHH')).toBe('sk-sy-AAAA');
    expect(apiKeyPrefix('shortkey')).toBe('sh');
  });

  it('lists every problem with its entry and field, without repeating any value', () => {
    const text = JSON.stringify({
      keys: [
        { key: SECRET, user: '' },
        { user: 'no-key' },
        { key: SECRET.replace('a', 'b'), key_sha256: 'f'.repeat(64), user: 'both' },
        { key: 'sk with spaces!', user: 'x', rpm: -1, tpm: 1.5, allowed_model: ['*'] },
        { key_sha256: 'xyz', user: 'y', [SECRET]: true },
      ],
    });
    const result = parseKeyFile(text);
    expect(result.ok).toBe(false);
    const problems = result.ok ? [] : result.problems;
    expect(problems.map((p) => p.split(':')[0])).toEqual(expect.arrayContaining(['keys[0].user', 'keys[1].key', 'keys[2].key', 'keys[3].key', 'keys[3].rpm', 'keys[3].tpm', 'keys[3]', 'keys[4].key_sha256', 'keys[4]']));
    expect(problems.join('\n')).toContain('unknown field "allowed_model"');
    expect(problems.join('\n')).not.toContain(SECRET);
    expect(problems.join('\n')).not.toContain('sk with spaces');
  });

  it('refuses the same key twice and malformed JSON without quoting the text', () => {
    expect(parseKeyFile(JSON.stringify({ keys: [{ key: SECRET, user: 'a' }, { key_sha256: hashApiKey(SECRET), user: 'b' }] }))).toEqual({ ok: false, problems: ['keys[1]: the same key as keys[0]'] });
    const broken = parseKeyFile(`{"keys": [{"key": "${SECRET}" "user": "a"}]}`);
    expect(broken).toEqual({ ok: false, problems: [expect.stringMatching(/^not valid JSON/)] });
    expect(JSON.stringify(broken)).not.toContain(SECRET);
    expect(parseKeyFile('{"keys": {}}')).toEqual({ ok: false, problems: [expect.stringMatching(/^keys: /)] });
    expect(parseKeyFile('[]')).toEqual({ ok: false, problems: [expect.stringMatching(/^file: /)] });
  });

  it('pushes file keys over admin keys of the same hash, ordered by hash, without store-only fields', () => {
    const admin = { ...apiKey('aa', 'admin'), rpm: 1, prefix: 'sk-sy-', created_at_ms: 5 };
    const file = { ...apiKey('aa', 'file'), rpm: 2 };
    const records = tableApiKeys([apiKey('bb', 'admin'), admin, file]);
    expect(records.map((r) => [r.key_sha256.slice(0, 2), r.rpm])).toEqual([['aa', 2], ['bb', 60]]);
    expect(Object.keys(records[0]!).sort()).toEqual(['allow_backend_pin', 'allow_explain', 'allowed_models', 'enabled', 'key_sha256', 'max_concurrency', 'priority', 'resume_streams', 'rpm', 'tpm', 'user']);
    expect(toApiKeyView(admin)).toMatchObject({ id: 'aa00000000000000', key_sha256_prefix: 'aa0000000000', prefix: 'sk-sy-', created_at: '1970-01-01T00:00:00.005Z' });
  });
});
