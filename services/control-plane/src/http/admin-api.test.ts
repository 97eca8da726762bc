import { createSchemaValidator, sleep, waitFor } from '@switchyard/testing';
import { startFakeScheduler, startHarness, type CallResult, type FakeScheduler, type Harness } from '../test-support/control-plane-harness';

const schemas = createSchemaValidator();

/** Asserts an error answer: status, OpenAI envelope (validated against the shared schema), param and code. */
function expectError(res: CallResult, status: number, param?: string | null, code?: string): void {
  expect(res.status).toBe(status);
  schemas.assertValid('ErrorResponse', res.body);
  if (param !== undefined) expect(res.body.error?.param).toBe(param);
  if (code !== undefined) expect(res.body.error?.code).toBe(code);
}

describe('admin HTTP API (loopback caller, no ADMIN_TOKEN)', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness();
  });
  afterAll(async () => {
    await h.stop();
  });

  it('answers /health, /ready and sets x-request-id', async () => {
    expect((await h.call('GET', '/health')).status).toBe(200);
    const ready = await h.call('GET', '/ready', { headers: { 'x-request-id': 'req-abc' } });
    expect(ready.status).toBe(200);
    expect(ready.headers.get('x-request-id')).toBe('req-abc');
  });

  it('adds (201), updates idempotently (200) and refuses another url for the same id (409)', async () => {
    const body = { id: 'sim-1', url: 'http://10.1.0.1:9001/', models: ['m1'], api_key: 'sk-upstream-secret' };
    const created = await h.call('POST', '/admin/scheduler/add', { body });
    expect(created.status).toBe(201);
    expect(created.body.scheduler).toMatchObject({ id: 'sim-1', url: 'http://10.1.0.1:9001', models: ['m1'], weight: 1, priority: 0, labels: {}, source: 'admin', state: 'unknown', effective_weight: 1, last_probe_at: null });
    const again = await h.call('POST', '/admin/scheduler/add', { body: { ...body, weight: 3 } });
    expect(again.status).toBe(200);
    expect(again.body.scheduler).toMatchObject({ weight: 3, registered_at: created.body.scheduler!.registered_at });
    expectError(await h.call('POST', '/admin/scheduler/add', { body: { ...body, url: 'http://10.1.0.2:9001' } }), 409, 'id', 'scheduler_conflict');
  });

  it('never returns or logs api_key', async () => {
    const list = await h.call('GET', '/admin/scheduler/list');
    expect(list.status).toBe(200);
    expect(list.body.schedulers!.map((s) => s.id)).toContain('sim-1');
    expect(list.text).not.toContain('sk-upstream-secret');
    expect(list.text).not.toContain('api_key');
    expect(h.logs()).toContain('scheduler added');
    expect(h.logs()).not.toContain('sk-upstream-secret');
  });

  it('derives a stable id from the url when none is given', async () => {
    const first = await h.call('POST', '/admin/scheduler/add', { body: { url: 'http://10.1.0.9:9001', models: ['m1'] } });
    expect(first.status).toBe(201);
    expect(first.body.scheduler!.id).toBe('10.1.0.9-9001');
    expect((await h.call('POST', '/admin/scheduler/add', { body: { url: 'http://10.1.0.9:9001/', models: ['m1'] } })).status).toBe(200);
  });

  it.each([
    ['a field of the wrong type', { url: 'http://10.1.0.3:9001', models: ['m'], weight: 'heavy' }, 'weight'],
    ['a negative priority', { url: 'http://10.1.0.3:9001', models: ['m'], priority: -1 }, 'priority'],
    ['an unknown field', { url: 'http://10.1.0.3:9001', models: ['m'], colour: 'red' }, 'colour'],
    ['a missing url', { models: ['m'] }, 'url'],
    ['a bad id', { id: '-bad id', url: 'http://10.1.0.3:9001', models: ['m'] }, 'id'],
    ['a url that does not parse', { url: 'not a url', models: ['m'] }, 'url'],
    ['a non-http url', { url: 'ftp://10.1.0.3/', models: ['m'] }, 'url'],
    ['credentials in the url', { url: 'http://user:pw@10.1.0.3:9001', models: ['m'] }, 'url'],
    ['a query in the url', { url: 'http://10.1.0.3:9001/?x=1', models: ['m'] }, 'url'],
  ])('refuses %s with 400', async (_what, body, param) => {
    expectError(await h.call('POST', '/admin/scheduler/add', { body }), 400, param);
  });

  it.each(['http://169.254.169.254/latest', 'http://metadata.google.internal', 'http://100.100.100.200', 'http://[fe80::1]:9001', 'http://[::ffff:169.254.169.254]/'])(
    'refuses the link-local / metadata address %s even for admins (403)',
    async (url) => {
      expectError(await h.call('POST', '/admin/scheduler/add', { body: { url, models: ['m'] } }), 403, 'url', 'host_not_allowed');
    },
  );

  it('answers 400 to bad JSON and non-object bodies, 413 to huge ones', async () => {
    expectError(await h.call('POST', '/admin/scheduler/add', { rawBody: '{"url": ' }), 400, null, 'invalid_json');
    expectError(await h.call('POST', '/admin/scheduler/add', { body: ['x'] }), 400, null);
    expectError(await h.call('POST', '/admin/scheduler/add', { body: { url: 'http://10.1.0.3', labels: { big: 'x'.repeat(100_000) } } }), 413);
  });

  it('removes by ?id= or JSON body (200), 404 for an unknown id, 400 without one', async () => {
    for (const id of ['rm-1', 'rm-2']) await h.call('POST', '/admin/scheduler/add', { body: { id, url: `http://10.2.0.1:9001/${id}`, models: ['m'] } });
    const byQuery = await h.call('DELETE', '/admin/scheduler/remove?id=rm-1');
    expect(byQuery).toMatchObject({ status: 200, body: { removed: 'rm-1' } });
    expect((await h.call('DELETE', '/admin/scheduler/remove', { body: { id: 'rm-2' } })).body).toEqual({ removed: 'rm-2' });
    expectError(await h.call('DELETE', '/admin/scheduler/remove?id=rm-1'), 404, 'id', 'scheduler_not_found');
    expectError(await h.call('DELETE', '/admin/scheduler/remove'), 400, 'id');
  });

  it('drains a scheduler (kept, state draining) and 404s an unknown one', async () => {
    await h.call('POST', '/admin/scheduler/add', { body: { id: 'dr-1', url: 'http://10.3.0.1:9001', models: ['m'] } });
    const drained = await h.call('POST', '/admin/scheduler/drain', { body: { id: 'dr-1' } });
    expect(drained.status).toBe(200);
    expect(drained.body.scheduler!.state).toBe('draining');
    // A heartbeat-style re-add keeps it draining.
    const readded = await h.call('POST', '/admin/scheduler/add', { body: { id: 'dr-1', url: 'http://10.3.0.1:9001', models: ['m'] } });
    expect(readded.body.scheduler!.state).toBe('draining');
    // Admin writes are answered before the (coalesced) table rebuild: the table follows within moments (issue 16).
    await waitFor(async () => (await h.controlPlane.store.getTable())!.schedulers.find((s) => s.id === 'dr-1')?.state === 'draining', 1_000, 10, 'dr-1 draining in the table');
    expectError(await h.call('POST', '/admin/scheduler/drain', { body: { id: 'nope' } }), 404, 'id');
  });

  it('404s unknown routes in the error envelope', async () => {
    expectError(await h.call('GET', '/nope'), 404, null, 'unknown_route');
    expectError(await h.call('GET', '/admin/nope'), 404, null, 'unknown_route');
  });

  it('names itself the leader and lists no gateways yet', async () => {
    expect((await h.call('GET', '/admin/leader')).body).toEqual({ id: 'test-replica', epoch: 1, self: true });
    expect((await h.call('GET', '/admin/gateways')).body.gateways).toEqual([]);
  });

  it('exports scheduler, table and gateway gauges on /metrics', async () => {
    const metrics = await h.call('GET', '/metrics');
    expect(metrics.status).toBe(200);
    expect(metrics.text).toMatch(/^switchyard_control_plane_schedulers\{state="unknown",service="control-plane"\} [1-9]/m);
    expect(metrics.text).toMatch(/^switchyard_control_plane_schedulers\{state="draining",service="control-plane"\} 1$/m);
    expect(metrics.text).toMatch(/^switchyard_control_plane_table_version\{service="control-plane"\} [1-9]\d*$/m);
    expect(metrics.text).toMatch(/^switchyard_control_plane_connected_gateways\{service="control-plane"\} 0$/m);
    expect(metrics.text).toContain('switchyard_control_plane_http_requests_total');
  });
});

describe('self-registration leases', () => {
  let h: Harness;
  // Self-registrations enter the table only once the node answers, so they point at one that does.
  let node: FakeScheduler;
  beforeAll(async () => {
    h = await startHarness({}, { leaseSweepIntervalMs: 50 });
    node = await startFakeScheduler(['m']);
  });
  afterAll(async () => {
    await h.stop();
    await node.close();
  });

  const ids = async () => (await h.call('GET', '/admin/scheduler/list')).body.schedulers!.map((s) => s.id);

  it('expires a self-registration that stops heartbeating, within its ttl', async () => {
    const added = await h.call('POST', '/admin/scheduler/add', { body: { id: 'self-1', url: node.url, models: ['m'], ttl_seconds: 1 } });
    expect(added.status).toBe(201);
    expect(added.body.scheduler!.source).toBe('self');
    const start = Date.now();
    await waitFor(async () => !(await ids()).includes('self-1'), 3_000, 50, 'lease expiry');
    expect(Date.now() - start).toBeGreaterThanOrEqual(900);
    await waitFor(async () => !(await h.controlPlane.store.getTable())!.schedulers.some((s) => s.id === 'self-1'), 1_000, 10, 'self-1 out of the table');
  });

  it('keeps a self-registration alive while it heartbeats', async () => {
    const body = { id: 'self-2', url: node.url, models: ['m'], ttl_seconds: 1 };
    expect((await h.call('POST', '/admin/scheduler/add', { body })).status).toBe(201);
    for (let i = 0; i < 4; i++) {
      await sleep(400);
      expect((await h.call('POST', '/admin/scheduler/add', { body })).status).toBe(200);
    }
    expect(await ids()).toContain('self-2');
  });

  it('does not churn table versions on heartbeats', async () => {
    const body = { id: 'self-3', url: node.url, models: ['m'], ttl_seconds: 60 };
    await h.call('POST', '/admin/scheduler/add', { body });
    await waitFor(async () => (await h.controlPlane.store.getTable())!.schedulers.some((s) => s.id === 'self-3'), 1_000);
    const before = (await h.controlPlane.store.getTable())!.version;
    await h.call('POST', '/admin/scheduler/add', { body });
    await sleep(50);
    expect((await h.controlPlane.store.getTable())!.version).toBe(before);
  });
});
