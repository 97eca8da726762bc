/**
 * Response-id affinity when the creator cannot take the call (docs/routing.md
 * "Response-id affinity"), over real processes: a control plane probing every
 * 100 ms, one gateway (memory affinity), admin-added sims. A response lives in
 * its creator's memory, so a draining or unhealthy creator is a 409 naming it,
 * and a follow-up for a model the creator does not serve is a 409 too: never a
 * silent re-route to a scheduler that cannot know the response.
 */
import { waitFor } from '@switchyard/testing';
import { FAST_SIM } from './keys-stack';
import { addScheduler, startStack, waitForStack, type Stack } from './stack';

jest.setTimeout(120_000);

let stack: Stack;
let gateway: string;

beforeAll(async () => {
  stack = await startStack({
    gateways: 1,
    simEnv: FAST_SIM,
    // Two failed probes (200 ms) to turn unhealthy: one probe slow past its timeout on a busy machine must not flip a sim mid-test.
    controlPlaneEnv: { ROUTING_STRATEGY: 'round-robin', PROBE_INTERVAL_MS: '100', PROBE_HEALTHY_THRESHOLD: '1', PROBE_UNHEALTHY_THRESHOLD: '2' },
  });
  gateway = stack.gatewayUrls[0]!;
  for (const [id, model] of [['sim-a', 'sim-model'], ['sim-b', 'sim-model'], ['sim-o', 'other-model']] as const) {
    await addScheduler(stack.adminUrl, { id, url: await stack.startSim(id, { SIM_MODELS: model }), models: [model] });
  }
  await waitForStack(stack, async () => (await servedBy('sim-model')).size === 2 && (await servedBy('other-model')).size === 1, 'every sim routable');
});

afterAll(async () => {
  await stack?.stop();
});

interface ErrorBody {
  error: { type: string; code: string; message: string; param: string | null };
}

/** The sims a few chat requests for `model` reach. */
async function servedBy(model: string): Promise<Set<string>> {
  const seen = new Set<string>();
  for (let i = 0; i < 4; i++) {
    const res = await post('/v1/chat/completions', { model, messages: [{ role: 'user', content: 'hi' }], max_tokens: 1 });
    await res.text();
    if (res.ok) seen.add(res.headers.get('x-switchyard-backend') ?? '');
  }
  return seen;
}

function post(path: string, body: unknown): Promise<Response> {
  return fetch(`${gateway}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body), signal: AbortSignal.timeout(10_000) });
}

/** Creates a response through the gateway; returns its id and the sim that holds it. */
async function createResponse(model = 'sim-model'): Promise<{ id: string; creator: string }> {
  const res = await post('/v1/responses', { model, input: 'remember me', max_output_tokens: 2 });
  expect(res.status).toBe(200);
  const { id } = (await res.json()) as { id: string };
  return { id, creator: res.headers.get('x-switchyard-backend')! };
}

/** Every call routed by response id: read, input items, cancel, and a follow-up (which would otherwise be round-robin). */
function callsOn(id: string): Array<[string, () => Promise<Response>]> {
  return [
    ['GET /v1/responses/{id}', () => fetch(`${gateway}/v1/responses/${id}`, { signal: AbortSignal.timeout(10_000) })],
    ['GET /v1/responses/{id}/input_items', () => fetch(`${gateway}/v1/responses/${id}/input_items`, { signal: AbortSignal.timeout(10_000) })],
    ['POST /v1/responses/{id}/cancel', () => post(`/v1/responses/${id}/cancel`, {})],
    ['POST /v1/responses previous_response_id', () => post('/v1/responses', { model: 'sim-model', input: 'next turn', previous_response_id: id, max_output_tokens: 1 })],
  ];
}

/** Asserts every call on `id` is a 409 `response_scheduler_unavailable` naming the creator and its state, answered by no sim. */
async function expectUnavailable(id: string, creator: string, state: string): Promise<void> {
  for (const [name, call] of callsOn(id)) {
    const res = await call();
    const body = (await res.json()) as ErrorBody;
    expect([name, res.status, body.error.code]).toEqual([name, 409, 'response_scheduler_unavailable']);
    expect(body.error.message).toContain(`'${creator}'`);
    expect(body.error.message).toContain(state);
    expect(res.headers.get('x-switchyard-backend')).toBeNull();
  }
}

/** Waits until GET /v1/responses/{id} answers `status` (the gateway's table shows the creator's new state). */
async function waitForReadStatus(id: string, status: number, what: string): Promise<void> {
  await waitFor(async () => (await fetch(`${gateway}/v1/responses/${id}`).then(async (r) => (await r.text(), r.status))) === status, 10_000, 50, what);
}

describe('response-id affinity: the creator cannot take the call', () => {
  it('a draining creator: 409 response_scheduler_unavailable on every call by id, and the calls reach it again once undrained', async () => {
    const { id, creator } = await createResponse();
    const drain = await fetch(`${stack.adminUrl}/admin/scheduler/drain`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ id: creator }) });
    expect(drain.status).toBe(200);
    await waitForReadStatus(id, 409, `${creator} draining in the gateway's table`);
    await expectUnavailable(id, creator, 'draining');

    const undrain = await fetch(`${stack.adminUrl}/admin/scheduler/undrain`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ id: creator }) });
    expect(undrain.status).toBe(200);
    await waitForReadStatus(id, 200, `${creator} routable again`);
    const read = await fetch(`${gateway}/v1/responses/${id}`);
    expect(((await read.json()) as { id: string }).id).toBe(id);
    expect(read.headers.get('x-switchyard-backend')).toBe(creator);
  });

  it('an unhealthy creator (its health probes fail): 409 response_scheduler_unavailable naming it, while the other sim still serves the model', async () => {
    const { id, creator } = await createResponse();
    const simUrl = stack.sims.get(creator)!.url;
    const setFault = (fault: string | null) => fetch(`${simUrl}/sim/fault`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ fault }) });
    expect((await setFault('status:503')).status).toBe(200);
    try {
      await waitForReadStatus(id, 409, `${creator} unhealthy in the gateway's table`);
      await expectUnavailable(id, creator, 'unhealthy');
      // Requests by model are not stuck behind it: the other sim answers.
      const chat = await post('/v1/chat/completions', { model: 'sim-model', messages: [{ role: 'user', content: 'hi' }], max_tokens: 1 });
      expect(chat.status).toBe(200);
      expect(chat.headers.get('x-switchyard-backend')).not.toBe(creator);
    } finally {
      await setFault(null);
    }
    await waitForReadStatus(id, 200, `${creator} healthy again`);
  });

  it('a follow-up for a model its creator does not serve: 409 response_model_mismatch (param model), not sent to the model\'s own scheduler', async () => {
    const { id, creator } = await createResponse();
    const res = await post('/v1/responses', { model: 'other-model', input: 'next turn', previous_response_id: id, max_output_tokens: 1 });
    const body = (await res.json()) as ErrorBody;
    expect(res.status).toBe(409);
    expect(body.error).toMatchObject({ code: 'response_model_mismatch', param: 'model' });
    expect(body.error.message).toContain(`'${creator}'`);
    expect(res.headers.get('x-switchyard-backend')).toBeNull();
    // The same follow-up for the creator's model goes through, to the creator.
    const same = await post('/v1/responses', { model: 'sim-model', input: 'next turn', previous_response_id: id, max_output_tokens: 1 });
    expect(same.status).toBe(200);
    expect(same.headers.get('x-switchyard-backend')).toBe(creator);
  });
});
