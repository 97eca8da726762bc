import { startFakeScheduler, startHarness, type FakeScheduler, type Harness } from '../test-support/control-plane-harness';
import { judgeRegistration } from './registration-check';

// Issue 21, "Misconfiguration caught at the door": registration calls the
// scheduler the way the gateway will (GET /v1/models with its api_key).

describe('registration check', () => {
  let h: Harness;
  let keyed: FakeScheduler;
  let open: FakeScheduler;
  beforeAll(async () => {
    h = await startHarness({ PROBE_INTERVAL_MS: '60000' });
    keyed = await startFakeScheduler(['llama'], { apiKey: 'engine-key' });
    open = await startFakeScheduler(['qwen']);
  });
  afterAll(async () => {
    await h.stop();
    await keyed.close();
    await open.close();
  });

  const listedIds = async () => (await h.call('GET', '/admin/scheduler/list')).body.schedulers!.map((s) => s.id);

  it('refuses a scheduler that answers 401 without api_key, naming api_key, and stores nothing', async () => {
    const res = await h.call('POST', '/admin/scheduler/add', { body: { id: 'no-key', url: keyed.url, models: ['llama'] } });
    expect(res.status).toBe(400);
    expect(res.body.error).toMatchObject({ code: 'scheduler_auth_failed', param: 'api_key', type: 'invalid_request_error' });
    expect(res.body.error!.message).toContain('register it with api_key');
    expect(await listedIds()).not.toContain('no-key');
  });

  it('refuses a wrong api_key, also when models are discovered', async () => {
    const res = await h.call('POST', '/admin/scheduler/add', { body: { id: 'wrong-key', url: keyed.url, api_key: 'not-it' } });
    expect(res.status).toBe(400);
    expect(res.body.error!.message).toContain('not the one its server was started with');
    expect(await listedIds()).not.toContain('wrong-key');
  });

  it('accepts the right key; a heartbeat with the same url and key does not call the scheduler again', async () => {
    const body = { id: 'keyed', url: keyed.url, api_key: 'engine-key', models: ['llama'], ttl_seconds: 60 };
    expect((await h.call('POST', '/admin/scheduler/add', { body })).status).toBe(201);
    const calls = keyed.authorizations.length;
    expect((await h.call('POST', '/admin/scheduler/add', { body })).status).toBe(200);
    expect(keyed.authorizations.length).toBe(calls);
  });

  it('normalises a url ending in /v1 and says so', async () => {
    const res = await h.call('POST', '/admin/scheduler/add', { body: { url: `${open.url}/v1/`, models: ['qwen'] } });
    expect(res.status).toBe(201);
    expect(res.body.scheduler!.url).toBe(open.url);
    expect(res.body.warnings).toEqual([`url ${open.url}/v1 ends in /v1: registered as ${open.url} (the gateway adds /v1/... itself)`]);
  });

  it('reports registered models the scheduler does not list', async () => {
    const res = await h.call('POST', '/admin/scheduler/add', { body: { id: 'mismatch', url: open.url, models: ['qwen', 'llama-70b'] } });
    expect(res.status).toBe(201);
    expect(res.body.warnings).toEqual(["models not listed by the scheduler's GET /v1/models: llama-70b (it lists: qwen)"]);
  });
});

describe('judgeRegistration (pure)', () => {
  it('refuses 401 and 403, warns on 404 and on an unreachable scheduler, passes a matching list', () => {
    expect(judgeRegistration({ ok: false, error: 'x', status: 403 }, undefined, true).refusal?.status).toBe(400);
    expect(judgeRegistration({ ok: false, error: 'model discovery failed: GET /v1/models answered HTTP 404', status: 404 }, ['m'], false)).toEqual({
      warnings: ['GET /v1/models answered 404: url must be the server root that serves /v1/... (e.g. http://host:8000), not a path below it'],
    });
    expect(judgeRegistration({ ok: false, error: 'model discovery failed: GET /v1/models failed: ECONNREFUSED' }, ['m'], false)).toEqual({ warnings: ['not checked: GET /v1/models failed: ECONNREFUSED'] });
    expect(judgeRegistration({ ok: true, models: ['m', 'n'] }, ['m'], false)).toEqual({ warnings: [] });
  });
});
