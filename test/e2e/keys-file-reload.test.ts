/**
 * Issue 6 acceptance 5 over real processes: edits of the API keys file reach
 * running gateways within 2 s, without a restart; a broken edit changes nothing
 * and POST /admin/keys/reload says why.
 */
import { waitFor } from '@switchyard/testing';
import { chat, startKeysStack, type KeysStack } from './keys-stack';

jest.setTimeout(60_000);

const A = 'sk-e2e-reload-a-0123456789';
const B = 'sk-e2e-reload-b-0123456789';

let stack: KeysStack;

beforeAll(async () => {
  stack = await startKeysStack([{ key: A, user: 'team-a' }], { sims: ['sim-1'], gateways: 2 });
  for (const url of stack.gatewayUrls) await waitFor(async () => (await chat(url, A)).status === 200, 10_000, 50, `${url} serving with keys`);
});

afterAll(async () => {
  await stack?.stop();
});

/** Milliseconds from now until `status` is what every gateway answers for `key`. */
async function timeUntil(key: string, status: number): Promise<number> {
  const started = Date.now();
  await waitFor(async () => (await Promise.all(stack.gatewayUrls.map(async (url) => (await chat(url, key)).status))).every((s) => s === status), 5_000, 25, `${status} for the key on every gateway`);
  return Date.now() - started;
}

it('acceptance 5: a key added, disabled and removed in the file takes effect on every gateway within 2 s', async () => {
  expect((await chat(stack.gatewayUrls[0]!, B)).status).toBe(401);
  stack.writeKeys([{ key: A, user: 'team-a' }, { key: B, user: 'team-b' }]);
  const added = await timeUntil(B, 200);
  stack.writeKeys([{ key: A, user: 'team-a', enabled: false }, { key: B, user: 'team-b' }]);
  const disabled = await timeUntil(A, 401);
  stack.writeKeys([{ key: B, user: 'team-b', allowed_models: ['other-model'] }]);
  const narrowed = await timeUntil(B, 403);
  process.stdout.write(`acceptance 5: added ${added} ms, disabled ${disabled} ms, narrowed ${narrowed} ms\n`);
  for (const ms of [added, disabled, narrowed]) expect(ms).toBeLessThan(2_000);
});

it('keeps the keys in force on a broken edit and reports it on POST /admin/keys/reload', async () => {
  stack.writeKeys([{ key: B, user: 'team-b' }]);
  await timeUntil(B, 200);
  stack.writeKeys([{ key: B, user: '' }]);
  const reload = await fetch(`${stack.adminUrl}/admin/keys/reload`, { method: 'POST' });
  const body = (await reload.json()) as { error: { code: string; message: string } };
  expect([reload.status, body.error.code]).toEqual([400, 'invalid_keys_file']);
  expect(body.error.message).toContain('keys[0].user');
  expect(JSON.stringify(body)).not.toContain(B);
  expect((await chat(stack.gatewayUrls[1]!, B)).status).toBe(200);
  stack.writeKeys([{ key: A, user: 'team-a' }]);
  expect(await (await fetch(`${stack.adminUrl}/admin/keys/reload`, { method: 'POST' })).json()).toMatchObject({ reloaded: true, keys: 1 });
  await timeUntil(B, 401);
});
