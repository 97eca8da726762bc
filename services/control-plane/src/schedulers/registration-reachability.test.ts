import { freePort, waitFor } from '@switchyard/testing';
import { startFakeScheduler, startHarness, type FakeScheduler, type Harness } from '../test-support/control-plane-harness';

// Issue 3, "Self-registration": before a self-registered scheduler enters the
// table the control plane checks that it answers; one that never does is listed
// with its error and not routed to.

describe('self-registration reachability', () => {
  let h: Harness;
  let node: FakeScheduler;
  beforeAll(async () => {
    h = await startHarness({ PROBE_INTERVAL_MS: '100', PROBE_TIMEOUT_MS: '300' });
    node = await startFakeScheduler(undefined);
  });
  afterAll(async () => {
    await h.stop();
    await node.close();
  });

  const inTable = async (id: string) => (await h.controlPlane.store.getTable())!.schedulers.some((s) => s.id === id);
  const listed = async (id: string) => (await h.call('GET', '/admin/scheduler/list')).body.schedulers!.find((s) => s.id === id);

  it('keeps a node that does not answer out of the table, listed with its error, until it answers', async () => {
    const body = { id: 'self-unready', url: node.url, models: ['m-self'], ttl_seconds: 60 };
    const res = await h.call('POST', '/admin/scheduler/add', { body });
    expect(res.status).toBe(201);
    expect(res.body.scheduler).toMatchObject({ state: 'unhealthy', models: ['m-self'], last_error: 'model discovery failed: GET /v1/models answered HTTP 500' });
    await waitFor(() => node.authorizations.length >= 3, 2_000, 20, 'checks to repeat');
    expect(await inTable('self-unready')).toBe(false);
    node.models = ['something-else'];
    await waitFor(() => inTable('self-unready'), 2_000, 20, 'the node to enter the table');
    // It answered; the models it registered with stay (the list was only a reachability check).
    expect(await listed('self-unready')).toMatchObject({ state: 'unknown', models: ['m-self'] });
  });

  it('lists a node that never becomes reachable with its error, never in the table', async () => {
    const url = `http://127.0.0.1:${await freePort()}`;
    const res = await h.call('POST', '/admin/scheduler/add', { body: { id: 'self-dead', url, models: ['m'], ttl_seconds: 60 } });
    expect(res.status).toBe(201);
    expect((await listed('self-dead'))!.last_error).toBe('model discovery failed: GET /v1/models failed: ECONNREFUSED');
    expect(await inTable('self-dead')).toBe(false);
  });

  it('does not hold back an admin add that names its models', async () => {
    const res = await h.call('POST', '/admin/scheduler/add', { body: { id: 'admin-named', url: `http://127.0.0.1:${await freePort()}`, models: ['m'] } });
    expect(res.body.scheduler).toMatchObject({ state: 'unknown' });
    await waitFor(() => inTable('admin-named'), 1_000);
  });
});
