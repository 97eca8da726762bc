import { startHarness, type Harness } from '../test-support/control-plane-harness';

/** Issue 16, item 6: the admin lists page and filter at fleet size (the answer without `limit` is unchanged). */
describe('admin list pages', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness();
    for (const id of ['s-3', 's-1', 's-2', 's-4']) await h.call('POST', '/admin/scheduler/add', { body: { id, url: `http://10.9.0.1:9001/${id}`, models: ['m'] } });
    await h.call('POST', '/admin/scheduler/drain', { body: { id: 's-2' } });
    for (const user of ['team-a', 'team-b', 'team-a']) await h.call('POST', '/admin/keys/create', { body: { user } });
  });
  afterAll(() => h.stop());

  it('pages schedulers by id and filters by state', async () => {
    const first = await h.call('GET', '/admin/scheduler/list?limit=3');
    expect(first.body.schedulers!.map((s) => s.id)).toEqual(['s-1', 's-2', 's-3']);
    expect(first.body).toMatchObject({ next_after: 's-3', total: 4 });
    const second = await h.call('GET', '/admin/scheduler/list?limit=3&after=s-3');
    expect([second.body.schedulers!.map((s) => s.id), second.body.next_after]).toEqual([['s-4'], null]);
    const draining = await h.call('GET', '/admin/scheduler/list?state=draining');
    expect(draining.body.schedulers!.map((s) => s.id)).toEqual(['s-2']);
    expect((await h.call('GET', '/admin/scheduler/list')).body.schedulers).toHaveLength(4);
    expect((await h.call('GET', '/admin/scheduler/list?state=asleep')).status).toBe(400);
    expect((await h.call('GET', '/admin/scheduler/list?limit=0')).status).toBe(400);
  });

  it('finds schedulers by part of the id and lists the ones needing a look first (the status page)', async () => {
    const found = await h.call('GET', '/admin/scheduler/list?q=S-3');
    expect(found.body.schedulers!.map((s) => s.id)).toEqual(['s-3']);
    // s-2 is draining, the others not probed yet (unknown): unknown before draining, each by id.
    const first = await h.call('GET', '/admin/scheduler/list?order=state&limit=2');
    expect([first.body.schedulers!.map((s) => s.id), first.body.total]).toEqual([['s-1', 's-3'], 4]);
    const rest = await h.call('GET', `/admin/scheduler/list?order=state&limit=2&after=${encodeURIComponent(String(first.body.next_after))}`);
    expect([rest.body.schedulers!.map((s) => s.id), rest.body.next_after]).toEqual([['s-4', 's-2'], null]);
    expect((await h.call('GET', '/admin/scheduler/list?order=weight')).status).toBe(400);
  });

  it('pages keys and filters by user and enabled', async () => {
    const teamA = await h.call('GET', '/admin/keys/list?user=team-a');
    const keys = teamA.body.api_keys as Array<{ id: string; user: string }>;
    expect(keys.map((k) => k.user)).toEqual(['team-a', 'team-a']);
    await h.call('POST', '/admin/keys/disable', { body: { id: keys[0]!.id } });
    const disabled = (await h.call('GET', '/admin/keys/list?enabled=false')).body.api_keys as Array<{ id: string }>;
    expect(disabled.map((k) => k.id)).toEqual([keys[0]!.id]);
    const page = await h.call('GET', '/admin/keys/list?limit=2');
    expect(page.body).toMatchObject({ total: 3 });
    const rest = await h.call('GET', `/admin/keys/list?limit=2&after=${String(page.body.next_after)}`);
    expect([...(page.body.api_keys as unknown[]), ...(rest.body.api_keys as unknown[])]).toHaveLength(3);
    expect(rest.body.next_after).toBeNull();
  });
});
