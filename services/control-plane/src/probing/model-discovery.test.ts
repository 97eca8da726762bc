import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { freePort, waitFor } from '@switchyard/testing';
import { startFakeScheduler, startHarness, type FakeScheduler, type Harness } from '../test-support/control-plane-harness';
import { parseModelList } from './model-discovery';

describe('parseModelList', () => {
  it('takes the ids of an OpenAI model list, deduplicated', () => {
    expect(parseModelList('{"object":"list","data":[{"id":"a"},{"id":"b"},{"id":"a"}]}')).toEqual({ ok: true, models: ['a', 'b'] });
  });

  it.each(['not json', '{"data":{}}', '{"data":[]}', '{"data":[{"name":"a"}]}', 'null'])('fails on %s', (body) => {
    expect(parseModelList(body)).toMatchObject({ ok: false, error: expect.stringMatching(/^model discovery failed: /) });
  });
});

describe('model discovery through the admin API', () => {
  let h: Harness;
  let fake: FakeScheduler;
  let hanging: Server;
  let hangingPort: number;
  beforeAll(async () => {
    h = await startHarness({ PROBE_INTERVAL_MS: '100', PROBE_TIMEOUT_MS: '300' });
    fake = await startFakeScheduler(['llama-3-8b', 'qwen-7b']);
    hanging = createServer(() => undefined); // accepts, never answers
    await new Promise<void>((resolve) => hanging.listen(0, '127.0.0.1', resolve));
    hangingPort = (hanging.address() as AddressInfo).port;
  });
  afterAll(async () => {
    await h.stop();
    await fake.close();
    hanging.closeAllConnections();
    await new Promise((resolve) => hanging.close(resolve));
  });

  const inTable = async (id: string) => (await h.controlPlane.store.getTable())!.schedulers.some((s) => s.id === id);
  const listed = async (id: string) => (await h.call('GET', '/admin/scheduler/list')).body.schedulers!.find((s) => s.id === id);

  it('discovers models from GET /v1/models, with the api_key as bearer, and does not repeat it on heartbeats', async () => {
    const body = { id: 'disc-1', url: fake.url, api_key: 'sk-upstream-1', ttl_seconds: 60 };
    const res = await h.call('POST', '/admin/scheduler/add', { body });
    expect(res.status).toBe(201);
    expect(res.body.scheduler).toMatchObject({ models: ['llama-3-8b', 'qwen-7b'], state: 'unknown' });
    expect(res.body.scheduler!.last_probe_at).not.toBeNull();
    expect(fake.authorizations).toEqual(['Bearer sk-upstream-1']);
    await waitFor(() => inTable('disc-1'), 1_000);
    expect((await h.call('POST', '/admin/scheduler/add', { body })).status).toBe(200);
    expect(fake.authorizations).toHaveLength(1);
  });

  it('stores a scheduler whose discovery fails as unhealthy, out of the table, and retries until it works', async () => {
    const flaky = await startFakeScheduler(undefined);
    try {
      const res = await h.call('POST', '/admin/scheduler/add', { body: { id: 'disc-2', url: flaky.url } });
      expect(res.status).toBe(201);
      expect(res.body.scheduler).toMatchObject({ state: 'unhealthy', models: [], effective_weight: 0, last_error: 'model discovery failed: GET /v1/models answered HTTP 500' });
      await waitFor(() => flaky.authorizations.length >= 2, 2_000, 20, 'a discovery retry');
      expect(await inTable('disc-2')).toBe(false);
      flaky.models = ['mistral-7b'];
      await waitFor(() => inTable('disc-2'), 2_000, 20, 'the scheduler to enter the table');
      const view = await listed('disc-2');
      expect(view).toMatchObject({ state: 'unknown', models: ['mistral-7b'], effective_weight: 1 });
      expect(view!.last_error).toBeUndefined();
    } finally {
      await flaky.close();
    }
  });

  it('reports connection failures and timeouts as last_error', async () => {
    const refused = await h.call('POST', '/admin/scheduler/add', { body: { id: 'disc-3', url: `http://127.0.0.1:${await freePort()}` } });
    expect(refused.body.scheduler!.last_error).toBe('model discovery failed: GET /v1/models failed: ECONNREFUSED');
    const slow = await h.call('POST', '/admin/scheduler/add', { body: { id: 'disc-4', url: `http://127.0.0.1:${hangingPort}` } });
    expect(slow.status).toBe(201);
    expect(slow.body.scheduler!.last_error).toBe('model discovery failed: GET /v1/models timed out after 300 ms');
  });

  it('takes explicit models over discovery, leaving the unhealthy state', async () => {
    const res = await h.call('POST', '/admin/scheduler/add', { body: { id: 'disc-3', url: refusedUrlOf(await listed('disc-3')), models: ['m'] } });
    expect(res.status).toBe(200);
    expect(res.body.scheduler).toMatchObject({ state: 'unknown', models: ['m'] });
    expect(res.body.scheduler!.last_error).toBeUndefined();
  });
});

function refusedUrlOf(view: { url: string } | undefined): string {
  if (!view) throw new Error('scheduler not listed');
  return view.url;
}
