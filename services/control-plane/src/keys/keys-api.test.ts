import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { RoutingTable } from '@switchyard/proto';
import { createSchemaValidator, waitFor } from '@switchyard/testing';
import { startHarness, type Harness } from '../test-support/control-plane-harness';
import { deleteKeys, TEST_REDIS_URL, uniquePrefix } from '../test-support/redis-fixture';
import { hashApiKey } from './api-key-record';

const schemas = createSchemaValidator();
const FILE_KEY = 'sk-file-team-a-0123456789';
const LATER_KEY = 'sk-file-team-c-9876543210';

type KeyView = { id: string; user: string; source: string; prefix: string | null; enabled: boolean; rpm: number; key?: string };

describe('API keys in the control plane (file and admin API)', () => {
  let dir: string;
  let file: string;
  let h: Harness;
  const table = async (): Promise<RoutingTable> => (await h.controlPlane.store.getTable())!;
  const tableHashes = async () => (await table()).api_keys.map((k) => k.key_sha256);

  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'switchyard-keys-'));
    file = path.join(dir, 'api-keys.json');
    writeFileSync(file, JSON.stringify({ keys: [{ key: FILE_KEY, user: 'team-a', rpm: 600, allowed_models: ['qwen/*'] }] }));
    h = await startHarness({ API_KEYS_FILE: file });
  });
  afterAll(async () => {
    await h.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('pushes the file keys as hashes in the table, with auth required', async () => {
    await waitFor(async () => (await tableHashes()).includes(hashApiKey(FILE_KEY)), 2_000, 20, 'file key in the table');
    const current = await table();
    expect(current.auth_required).toBe(true);
    expect(current.api_keys).toEqual([expect.objectContaining({ user: 'team-a', rpm: 600, allowed_models: ['qwen/*'], enabled: true })]);
  });

  it('creates a key shown once, lists keys without secrets, and tables follow every change', async () => {
    const created = await h.call('POST', '/admin/keys/create', { body: { user: 'team-b', tpm: 5000, max_concurrency: 4, priority: 'batch' } });
    expect(created.status).toBe(201);
    const view = created.body.api_key as KeyView;
    expect(view).toMatchObject({ user: 'team-b', source: 'admin', enabled: true, priority: 'batch', key: expect.stringMatching(/^sk-sy-[A-Za-z0-9_-]{32}$/) });
    const key = view.key!;
    await waitFor(async () => (await tableHashes()).includes(hashApiKey(key)), 2_000, 20, 'created key in the table');
    // The class reaches gateways in the key record (issue 19); the file key without one is standard.
    expect((await table()).api_keys.map((k) => [k.user, k.priority])).toEqual(expect.arrayContaining([['team-b', 'batch'], ['team-a', 'standard']]));

    const list = await h.call('GET', '/admin/keys/list');
    expect(list.status).toBe(200);
    expect((list.body.api_keys as KeyView[]).map((k) => [k.user, k.source])).toEqual([['team-a', 'file'], ['team-b', 'admin']]);
    expect(list.text).not.toContain(key);
    expect(list.text).not.toContain(FILE_KEY);
    expect(list.text).not.toContain(hashApiKey(key));

    expect((await h.call('POST', '/admin/keys/disable', { body: { id: view.id } })).body.api_key).toMatchObject({ enabled: false });
    await waitFor(async () => (await table()).api_keys.some((k) => k.user === 'team-b' && !k.enabled), 2_000, 20, 'disabled in the table');
    expect((await h.call('POST', `/admin/keys/enable?id=${view.id}`)).body.api_key).toMatchObject({ enabled: true });
    expect(await h.call('DELETE', '/admin/keys/remove', { body: { id: view.id } })).toMatchObject({ status: 200, body: { removed: view.id } });
    await waitFor(async () => !(await tableHashes()).includes(hashApiKey(key)), 2_000, 20, 'removed from the table');
    expect(h.logs()).toContain('api key created');
    expect(h.logs()).not.toContain(key);
  });

  it('answers 404 for an unknown id, 409 for a file key, 400 for a malformed id or body', async () => {
    const fileId = hashApiKey(FILE_KEY).slice(0, 16);
    const cases = [
      [await h.call('POST', '/admin/keys/disable', { body: { id: 'f'.repeat(16) } }), 404, 'key_not_found'],
      [await h.call('POST', '/admin/keys/disable', { body: { id: fileId } }), 409, 'file_key'],
      [await h.call('DELETE', `/admin/keys/remove?id=${fileId}`), 409, 'file_key'],
      [await h.call('POST', '/admin/keys/enable', { body: { id: 'team-a' } }), 400, 'invalid_key_id'],
      [await h.call('POST', '/admin/keys/create', { body: { user: 'x', rpm: -5 } }), 400, 'invalid_field'],
      [await h.call('POST', '/admin/keys/create', { body: { user: 'x', key: 'sk-chosen-by-caller' } }), 400, 'invalid_field'],
      [await h.call('POST', '/admin/keys/create', { body: { user: 'x', priority: 'urgent' } }), 400, 'invalid_field'],
    ] as const;
    for (const [res, status, code] of cases) {
      expect([res.status, res.body.error?.code]).toEqual([status, code]);
      schemas.assertValid('ErrorResponse', res.body);
    }
  });

  it('picks up file edits by itself, keeps the keys in force on a bad edit and says why on reload', async () => {
    writeFileSync(file, JSON.stringify({ keys: [{ key: FILE_KEY, user: 'team-a' }, { key: LATER_KEY, user: 'team-c' }] }));
    const editedAt = Date.now();
    await waitFor(async () => (await tableHashes()).includes(hashApiKey(LATER_KEY)), 2_000, 20, 'edited file in the table');
    expect(Date.now() - editedAt).toBeLessThan(2_000);

    writeFileSync(file, JSON.stringify({ keys: [{ key: FILE_KEY }] }));
    await waitFor(() => h.logs().includes('API_KEYS_FILE changed but is invalid'), 2_000, 20, 'the watcher to refuse the bad edit');
    const refused = await h.call('POST', '/admin/keys/reload');
    expect([refused.status, refused.body.error?.code]).toEqual([400, 'invalid_keys_file']);
    expect(refused.body.error?.message).toContain('keys[0].user');
    expect(refused.text).not.toContain(FILE_KEY);
    expect(await tableHashes()).toEqual(expect.arrayContaining([hashApiKey(FILE_KEY), hashApiKey(LATER_KEY)]));

    writeFileSync(file, JSON.stringify({ keys: [{ key: LATER_KEY, user: 'team-c' }] }));
    const reloaded = await h.call('POST', '/admin/keys/reload');
    expect(reloaded.status).toBe(200);
    expect(reloaded.body).toMatchObject({ reloaded: true, keys: 1 });
    await waitFor(async () => !(await tableHashes()).includes(hashApiKey(FILE_KEY)), 2_000, 20, 'reloaded file in the table');
    expect(h.logs()).not.toContain(FILE_KEY);
    expect(h.logs()).not.toContain(LATER_KEY);
  });
});

describe('API keys without API_KEYS_FILE', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness();
  });
  afterAll(async () => {
    await h.stop();
  });

  it('serves open tables until an admin key exists, has nothing to reload, and has no usage without Redis', async () => {
    await waitFor(async () => (await h.controlPlane.store.getTable()) !== undefined, 2_000, 20, 'first table');
    expect((await h.controlPlane.store.getTable())!.auth_required).toBe(false);
    expect((await h.call('POST', '/admin/keys/reload')).body.error?.code).toBe('no_keys_file');
    expect((await h.call('POST', '/admin/keys/create', { body: { user: 'solo' } })).status).toBe(201);
    await waitFor(async () => (await h.controlPlane.store.getTable())!.auth_required, 2_000, 20, 'auth required');
    expect((await h.call('GET', '/admin/usage')).body.error?.code).toBe('usage_unavailable');
  });

  it('refuses to start on a bad key file with one line naming every problem', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'switchyard-keys-'));
    const file = path.join(dir, 'bad.json');
    writeFileSync(file, JSON.stringify({ keys: [{ key: FILE_KEY, rpm: 'lots' }] }));
    try {
      await expect(startHarness({ API_KEYS_FILE: file })).rejects.toThrow(/^API_KEYS_FILE .*bad\.json: keys\[0\]\.user: .*; keys\[0\]\.rpm: [^\n]*$/);
      await expect(startHarness({ API_KEYS_FILE: path.join(dir, 'missing.json') })).rejects.toThrow(/^API_KEYS_FILE: cannot read .*missing\.json \(ENOENT\)$/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('API keys with two replicas sharing Redis', () => {
  const prefix = uniquePrefix('keys-replicas');
  let leader: Harness;
  let follower: Harness;
  beforeAll(async () => {
    leader = await startHarness({ REDIS_URL: TEST_REDIS_URL, REDIS_KEY_PREFIX: prefix }, { replicaId: 'cp-a' });
    await waitFor(async () => (await leader.call('GET', '/admin/leader')).body.self === true, 5_000, 20, 'cp-a to lead');
    follower = await startHarness({ REDIS_URL: TEST_REDIS_URL, REDIS_KEY_PREFIX: prefix }, { replicaId: 'cp-b' });
  });
  afterAll(async () => {
    await follower?.stop();
    await leader?.stop();
    await deleteKeys(prefix);
  });

  it('a key created or disabled on a follower is in the leader\'s next table within a second', async () => {
    expect((await follower.call('GET', '/admin/leader')).body.self).toBe(false);
    const started = Date.now();
    const created = await follower.call('POST', '/admin/keys/create', { body: { user: 'via-follower', rpm: 10 } });
    expect(created.status).toBe(201);
    const view = created.body.api_key as KeyView;
    const hash = hashApiKey(view.key!);
    await waitFor(async () => (await leader.controlPlane.store.getTable())?.api_keys.some((k) => k.key_sha256 === hash), 2_000, 10, 'key in the table');
    expect(Date.now() - started).toBeLessThan(1_000);
    expect((await leader.call('GET', '/admin/keys/list')).body.api_keys).toEqual([expect.objectContaining({ id: view.id, user: 'via-follower' })]);
    await follower.call('POST', '/admin/keys/disable', { body: { id: view.id } });
    await waitFor(async () => (await follower.controlPlane.store.getTable())?.api_keys.some((k) => k.key_sha256 === hash && !k.enabled), 2_000, 10, 'disabled in the table');
  });
});
