import { createSchemaValidator } from '@switchyard/testing';
import { startHarness, type Harness } from '../test-support/control-plane-harness';
import { isLoopbackAddress, resolveRole, tokensEqual } from './admin/auth';

const schemas = createSchemaValidator();
const ADMIN = 'admin-token-0123456789';
const REGISTRATION = 'registration-token-0123456789';

describe('resolveRole and the loopback rule', () => {
  it.each(['127.0.0.1', '127.8.9.10', '::1', '::ffff:127.0.0.1'])('treats %s as loopback', (address) => {
    expect(isLoopbackAddress(address)).toBe(true);
  });

  it.each(['10.0.0.1', '::ffff:10.0.0.1', '192.168.1.1', 'fe80::1', '0.0.0.0', '::', undefined])('does not treat %s as loopback', (address) => {
    expect(isLoopbackAddress(address)).toBe(false);
  });

  it('makes loopback callers admins only while ADMIN_TOKEN is unset', () => {
    expect(resolveRole({}, undefined, '127.0.0.1')).toBe('admin');
    expect(resolveRole({}, undefined, '10.0.0.5')).toMatchObject({ status: 403, code: 'loopback_only' });
    expect(resolveRole({ adminToken: ADMIN }, undefined, '127.0.0.1')).toMatchObject({ status: 401 });
  });

  it('maps tokens to roles and refuses wrong ones with 401', () => {
    const options = { adminToken: ADMIN, registrationToken: REGISTRATION };
    expect(resolveRole(options, `Bearer ${ADMIN}`, '10.0.0.5')).toBe('admin');
    expect(resolveRole(options, `bearer ${REGISTRATION}`, '10.0.0.5')).toBe('registration');
    expect(resolveRole(options, `Bearer ${ADMIN}x`, '10.0.0.5')).toMatchObject({ status: 401 });
    expect(resolveRole(options, ADMIN, '10.0.0.5')).toMatchObject({ status: 401 });
    expect(resolveRole({ registrationToken: REGISTRATION }, `Bearer ${REGISTRATION}`, '10.0.0.5')).toBe('registration');
  });

  it('compares tokens by value, whatever their lengths', () => {
    expect(tokensEqual('abc', 'abc')).toBe(true);
    expect(tokensEqual('abc', 'abd')).toBe(false);
    expect(tokensEqual('abc', 'abcd')).toBe(false);
  });
});

describe('admin API with ADMIN_TOKEN, REGISTRATION_TOKEN and an allow-list', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ ADMIN_TOKEN: ADMIN, REGISTRATION_TOKEN: REGISTRATION, REGISTRATION_ALLOWED_HOSTS: '10.20.0.0/16, *.gpu.internal, node-1.example' });
  });
  afterAll(async () => {
    await h.stop();
  });

  const add = (token: string | undefined, url: string, id?: string) =>
    h.call('POST', '/admin/scheduler/add', { token, body: { ...(id ? { id } : {}), url, models: ['m'], ttl_seconds: 30 } });

  it('401s a missing or wrong token, even from loopback, and keeps probes open', async () => {
    for (const token of [undefined, 'wrong']) {
      const res = await h.call('GET', '/admin/scheduler/list', { token });
      expect(res.status).toBe(401);
      schemas.assertValid('ErrorResponse', res.body);
    }
    expect((await h.call('GET', '/health')).status).toBe(200);
    expect((await h.call('GET', '/metrics')).status).toBe(200);
  });

  it('lets the admin token do everything', async () => {
    expect((await h.call('GET', '/admin/scheduler/list', { token: ADMIN })).status).toBe(200);
    expect((await h.call('GET', '/admin/leader', { token: ADMIN })).status).toBe(200);
    // Admins are not held to the allow-list, and may register loopback hosts.
    expect((await add(ADMIN, 'http://127.0.0.1:9001', 'local')).status).toBe(201);
  });

  it('lets the registration token add, heartbeat and remove, and nothing else (403)', async () => {
    expect((await add(REGISTRATION, 'http://10.20.1.1:9001', 'reg-1')).status).toBe(201);
    expect((await add(REGISTRATION, 'http://10.20.1.1:9001', 'reg-1')).status).toBe(200);
    expect((await h.call('DELETE', '/admin/scheduler/remove?id=reg-1', { token: REGISTRATION })).status).toBe(200);
    for (const [method, path] of [['GET', '/admin/scheduler/list'], ['POST', '/admin/scheduler/drain'], ['GET', '/admin/gateways'], ['GET', '/admin/leader'], ['GET', '/admin/nope']]) {
      const res = await h.call(method!, path!, { token: REGISTRATION, body: method === 'POST' ? { id: 'local' } : undefined });
      expect(res.status).toBe(403);
      schemas.assertValid('ErrorResponse', res.body);
      expect(res.body.error?.code).toBe('registration_token_scope');
    }
  });

  it.each(['http://10.20.255.254:9001', 'http://a.gpu.internal:8000', 'https://node-1.example'])('accepts %s from the allow-list', async (url) => {
    expect((await add(REGISTRATION, url)).status).toBe(201);
  });

  it.each(['http://10.21.0.1:9001', 'http://gpu.internal', 'http://evil.example', 'http://127.0.0.1:9001', 'http://localhost:9001', 'http://[::1]:9001'])(
    'refuses %s for the registration token (403)',
    async (url) => {
      const res = await add(REGISTRATION, url);
      expect(res.status).toBe(403);
      schemas.assertValid('ErrorResponse', res.body);
      expect(res.body.error).toMatchObject({ param: 'url', code: 'host_not_allowed' });
    },
  );

  it('refuses metadata addresses for the registration token too', async () => {
    expect((await add(REGISTRATION, 'http://169.254.169.254')).status).toBe(403);
  });
});

describe('registration token without an allow-list', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ ADMIN_TOKEN: ADMIN, REGISTRATION_TOKEN: REGISTRATION });
  });
  afterAll(async () => {
    await h.stop();
  });

  it('may register any non-loopback host but no loopback one', async () => {
    const add = (url: string) => h.call('POST', '/admin/scheduler/add', { token: REGISTRATION, body: { url, models: ['m'] } });
    expect((await add('http://10.9.9.9:9001')).status).toBe(201);
    expect((await add('http://127.0.0.1:9001')).status).toBe(403);
    expect((await add('http://0.0.0.0:9001')).status).toBe(403);
  });
});
