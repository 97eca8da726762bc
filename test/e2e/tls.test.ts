/**
 * Issue 6 acceptance 6 over real processes: the official openai client talks to
 * a gateway over HTTPS with a CA the test generates (and to the control plane's
 * admin port); a certificate without its key refuses to start with one line.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import OpenAI from 'openai';
import { Agent, fetch as undiciFetch } from 'undici';
import { freePort, startService, stopAll, waitFor, type ServiceProcess } from '@switchyard/testing';
import { startStack, type Stack } from './stack';

jest.setTimeout(60_000);

interface TestPki {
  dir: string;
  ca: string;
  cert: string;
  key: string;
}

/** A throw-away CA and a server certificate it signed for 127.0.0.1 and localhost (EC keys: fast). */
function makePki(): TestPki {
  const dir = mkdtempSync(path.join(tmpdir(), 'switchyard-tls-'));
  const at = (name: string) => path.join(dir, name);
  const openssl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  openssl('req', '-x509', ...ec, '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '1', '-subj', '/CN=Switchyard test CA');
  openssl('req', ...ec, '-keyout', 'server.key', '-out', 'server.csr', '-subj', '/CN=localhost');
  writeFileSync(at('ext.cnf'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n');
  openssl('x509', '-req', '-in', 'server.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'server.pem', '-days', '1', '-extfile', 'ext.cnf');
  return { dir, ca: at('ca.pem'), cert: at('server.pem'), key: at('server.key') };
}

let pki: TestPki;
let stack: Stack;
let agent: Agent;
const extra: ServiceProcess[] = [];
/** fetch that trusts only the test CA. */
const trustingFetch = (url: string | URL, init: Record<string, unknown> = {}) => undiciFetch(url, { ...init, dispatcher: agent });

beforeAll(async () => {
  pki = makePki();
  agent = new Agent({ connect: { ca: readFileSync(pki.ca) } });
  stack = await startStack({ sims: ['sim-1'], gateways: 0, simEnv: { SIM_TTFT_MS: '2', SIM_ITL_MS: '1' } });
});

afterAll(async () => {
  await stopAll(extra);
  await stack?.stop();
  await agent?.close();
  if (pki) rmSync(pki.dir, { recursive: true, force: true });
});

it('acceptance 6: the openai client talks to the gateway over HTTPS, trusting the test CA', async () => {
  const port = await freePort();
  const gateway = startService('gateway', { HOST: '127.0.0.1', PORT: String(port), CONTROL_PLANE_ADDR: stack.grpcAddr, TLS_CERT_FILE: pki.cert, TLS_KEY_FILE: pki.key }, 'gateway-tls');
  extra.push(gateway);
  const baseUrl = `https://127.0.0.1:${port}`;
  await waitFor(async () => (await trustingFetch(`${baseUrl}/ready`)).status === 200, 15_000, 50, 'TLS gateway ready');
  const client = new OpenAI({ baseURL: `${baseUrl}/v1`, apiKey: 'unused-without-keys', maxRetries: 0, fetch: trustingFetch as unknown as typeof fetch });
  const completion = await client.chat.completions.create({ model: 'sim-model', messages: [{ role: 'user', content: 'hello over tls' }], max_tokens: 4 });
  expect(completion.choices[0]?.message.content).toBeTruthy();
  const stream = await client.chat.completions.create({ model: 'sim-model', messages: [{ role: 'user', content: 'stream over tls' }], max_tokens: 4, stream: true });
  let chunks = 0;
  for await (const _chunk of stream) chunks += 1;
  expect(chunks).toBeGreaterThan(1);
  // A client that does not trust the CA is refused by TLS itself.
  await expect(fetch(`${baseUrl}/health`)).rejects.toThrow();
});

it('serves the control plane admin API over HTTPS too', async () => {
  const [adminPort, grpcPort] = [await freePort(), await freePort()];
  const controlPlane = startService('control-plane', { HOST: '127.0.0.1', ADMIN_PORT: String(adminPort), GRPC_PORT: String(grpcPort), TLS_CERT_FILE: pki.cert, TLS_KEY_FILE: pki.key }, 'control-plane-tls');
  extra.push(controlPlane);
  await waitFor(async () => (await trustingFetch(`https://127.0.0.1:${adminPort}/ready`)).status === 200, 15_000, 50, 'TLS admin ready');
  expect(await (await trustingFetch(`https://127.0.0.1:${adminPort}/admin/scheduler/list`)).json()).toEqual({ schedulers: [], next_after: null, total: 0 });
});

it.each([
  ['gateway', { TLS_CERT_FILE: 'cert' }, /^gateway: invalid configuration: TLS_KEY_FILE: must be set together with TLS_CERT_FILE/],
  ['control-plane', { TLS_CERT_FILE: 'cert' }, /^control-plane: invalid configuration: TLS_KEY_FILE: must be set together with TLS_CERT_FILE/],
  ['gateway', { TLS_KEY_FILE: 'key' }, /^gateway: invalid configuration: TLS_CERT_FILE: must be set together with TLS_KEY_FILE/],
  ['gateway', { TLS_CERT_FILE: 'cert', TLS_KEY_FILE: '/nonexistent/key.pem' }, /^gateway: TLS_KEY_FILE: cannot read \/nonexistent\/key\.pem \(ENOENT\)/],
  ['control-plane', { TLS_CERT_FILE: 'cert', TLS_KEY_FILE: '/nonexistent/key.pem' }, /^control-plane: TLS_KEY_FILE: cannot read \/nonexistent\/key\.pem \(ENOENT\)/],
] as const)('%s with %j refuses to start with one line', async (service, env, line) => {
  const resolved = Object.fromEntries(Object.entries(env).map(([name, value]) => [name, value === 'cert' ? pki.cert : value === 'key' ? pki.key : value]));
  const ports = { HOST: '127.0.0.1', PORT: String(await freePort()), ADMIN_PORT: String(await freePort()), GRPC_PORT: String(await freePort()) };
  const child = startService(service, service === 'gateway' ? { HOST: ports.HOST, PORT: ports.PORT, ...resolved } : { HOST: ports.HOST, ADMIN_PORT: ports.ADMIN_PORT, GRPC_PORT: ports.GRPC_PORT, ...resolved });
  extra.push(child);
  expect(await child.exited).toBe(1);
  const output = child.output().trim();
  expect(output.split('\n')).toHaveLength(1);
  expect(output).toMatch(line);
});
