/**
 * Issue 21, "misconfiguration caught in flight", over real processes: a scheduler
 * registered before its engine was up (so the registration check could not ask it)
 * whose engine then starts with an api_key the registration lacks. Its health probe
 * passes (/health needs no key), every routed request is refused 401: the gateway
 * serves them from the other sim and reports the refusals, and the control plane
 * takes the scheduler out of rotation with a reason naming api_key.
 */
import { freePort, startService, stopAll, waitFor, type ServiceProcess } from '@switchyard/testing';
import { chat } from './keys-stack';
import { listSchedulers, startStack, type Stack } from './stack';

jest.setTimeout(60_000);

let stack: Stack;
let keyed: ServiceProcess | undefined;

beforeAll(async () => {
  stack = await startStack({ sims: ['sound'], simEnv: { SIM_TTFT_MS: '2', SIM_ITL_MS: '1' }, controlPlaneEnv: { PROBE_INTERVAL_MS: '300' } });
});

afterAll(async () => {
  if (keyed) await stopAll([keyed]);
  await stack?.stop();
});

const listed = async (id: string) => (await listSchedulers(stack.adminUrl)).find((s) => s.id === id);

it('takes a scheduler whose routed requests are refused 401 out of rotation, naming api_key, while clients are served', async () => {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const add = await fetch(`${stack.adminUrl}/admin/scheduler/add`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ id: 'keyless', url, models: ['sim-model'] }) });
  expect(add.status).toBe(201);
  expect(((await add.json()) as { warnings: string[] }).warnings).toEqual(['not checked: GET /v1/models failed: ECONNREFUSED']);
  keyed = startService('sim-scheduler', { HOST: '127.0.0.1', PORT: String(port), SIM_ID: 'keyless', SIM_API_KEY: 'engine-only-key', SIM_TTFT_MS: '2', SIM_ITL_MS: '1' }, 'keyless');
  await waitFor(async () => (await listed('keyless'))?.state === 'healthy', 10_000, 50, 'the keyless scheduler probed healthy');

  const statuses: number[] = [];
  await waitFor(
    async () => {
      for (let i = 0; i < 5; i++) statuses.push((await chat(stack.gatewayUrls[0]!, undefined)).status);
      return (await listed('keyless'))?.state === 'unhealthy';
    },
    20_000,
    100,
    'the keyless scheduler out of rotation',
  );
  // No client ever saw the scheduler's 401: each was asked of the sound sim instead.
  expect(new Set(statuses)).toEqual(new Set([200]));
  expect((await listed('keyless'))!.last_error).toMatch(/^misconfigured: \d+ routed requests refused with 401\/403 by the scheduler; its api_key is missing or wrong/);
  expect((await listed('sound'))!.state).toBe('healthy');
});
