/**
 * Issue 7 acceptance 2: the status page in headless Chromium (Debian's
 * /usr/bin/chromium driven by playwright-core) against a real stack. It asks
 * for the admin token, shows the schedulers, shows a stopped sim turning
 * unhealthy without a reload, and drains a scheduler by clicking. The
 * screenshot goes to test-artifacts/status-page.png.
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { REPO_ROOT, waitFor } from '@switchyard/testing';
import { adminCall, startStack, type Stack } from './stack';

jest.setTimeout(90_000);

const CHROMIUM = '/usr/bin/chromium';
const ADMIN_TOKEN = 'status-page-admin-token';
const REGISTRATION_TOKEN = 'status-page-registration-token';
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

let stack: Stack;
let context: BrowserContext;
let page: Page;
let profileDir: string;

beforeAll(async () => {
  stack = await startStack({
    sims: ['sim-a', 'sim-b', 'sim-c'],
    simEnv: { SIM_TTFT_MS: '10', SIM_ITL_MS: '5', REGISTRATION_TOKEN },
    controlPlaneEnv: { ADMIN_TOKEN, REGISTRATION_TOKEN, REGISTRATION_ALLOWED_HOSTS: '127.0.0.1', PROBE_INTERVAL_MS: '300', PROBE_TIMEOUT_MS: '300' },
  });
  await waitFor(async () => (await schedulers()).filter((s) => s.state === 'healthy').length === 3, 15_000, 100, 'three healthy sims');
  await sendTraffic(12);
  profileDir = mkdtempSync(path.join(tmpdir(), 'switchyard-chromium-'));
  context = await chromium.launchPersistentContext(profileDir, { executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS, viewport: { width: 1400, height: 900 } });
  page = context.pages()[0] ?? (await context.newPage());
});

afterAll(async () => {
  // A stopped sim must run again to die cleanly.
  stack?.sims.get('sim-b')?.process.kill('SIGCONT');
  await context?.close();
  await stack?.stop();
  if (profileDir) rmSync(profileDir, { recursive: true, force: true });
});

const admin = <T>(method: string, route: string, body?: unknown): Promise<T> => adminCall<T>(stack.adminUrl, ADMIN_TOKEN, method, route, body);

async function schedulers(): Promise<Array<{ id: string; state: string }>> {
  return (await admin<{ schedulers: Array<{ id: string; state: string }> }>('GET', '/admin/scheduler/list')).schedulers;
}

async function sendTraffic(count: number): Promise<void> {
  for (let i = 0; i < count; i++) {
    const res = await fetch(`${stack.gatewayUrls[0]}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'sim-model', messages: [{ role: 'user', content: 'hi' }], max_tokens: 4, stream: i % 2 === 0 }),
    });
    await res.text();
  }
}

const stateOf = (id: string) => page.locator(`#schedulers tr[data-id="${id}"] [data-testid="state"]`);

describe('status page (headless Chromium)', () => {
  it('is static HTML with a strict CSP, served without a token, and asks for the token once', async () => {
    const res = await fetch(`${stack.adminUrl}/status`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/text\/html/);
    expect(res.headers.get('content-security-policy')).toContain("script-src 'self'");
    expect(await res.text()).not.toMatch(/https?:\/\//);

    await page.goto(`${stack.adminUrl}/status`);
    await page.locator('#login').waitFor({ state: 'visible' });
    await page.fill('#token', 'wrong-token');
    await page.click('#login-form button[type=submit]');
    await page.locator('#login-error').filter({ hasText: 'refused' }).waitFor();
    await page.fill('#token', ADMIN_TOKEN);
    await page.click('#login-form button[type=submit]');
    await page.locator('#dashboard').waitFor({ state: 'visible' });
    // A string, so the test's Node typings need not know the browser's globals.
    expect(await page.evaluate("sessionStorage.getItem('switchyard.admin_token')")).toBe(ADMIN_TOKEN);
  });

  it('shows every scheduler with state, weight, models, and the leader, gateways and traffic', async () => {
    for (const id of ['sim-a', 'sim-b', 'sim-c']) await stateOf(id).filter({ hasText: 'healthy' }).waitFor();
    const row = page.locator('#schedulers tr[data-id="sim-a"]');
    expect(await row.textContent()).toContain('sim-model');
    expect(await row.textContent()).toMatch(/health 1 ×/);
    await page.locator('#gateways tr[data-id="gw-0"]').filter({ hasText: 'in sync' }).waitFor();
    expect(await page.textContent('#leader')).not.toBe('–');
    await waitFor(async () => Number(await page.textContent('#rps')) > 0, 10_000, 100, 'request rate shown');
  });

  it('shows a stopped sim turning unhealthy without a reload', async () => {
    const navigations: string[] = [];
    page.on('framenavigated', (frame) => navigations.push(frame.url()));
    stack.sims.get('sim-b')!.process.kill('SIGSTOP');
    await stateOf('sim-b').filter({ hasText: 'unhealthy' }).waitFor({ timeout: 15_000 });
    stack.sims.get('sim-b')!.process.kill('SIGCONT');
    expect(navigations).toEqual([]);
    await stateOf('sim-b').filter({ hasText: /^healthy$/ }).waitFor({ timeout: 15_000 });
  });

  it('drains a scheduler by clicking, as the admin API confirms, and undrains it', async () => {
    await page.click('#schedulers tr[data-id="sim-c"] button[data-action="drain"]');
    await stateOf('sim-c').filter({ hasText: 'draining' }).waitFor();
    expect((await schedulers()).find((s) => s.id === 'sim-c')?.state).toBe('draining');
    mkdirSync(path.join(REPO_ROOT, 'test-artifacts'), { recursive: true });
    await page.screenshot({ path: path.join(REPO_ROOT, 'test-artifacts', 'status-page.png'), fullPage: true });

    await page.click('#schedulers tr[data-id="sim-c"] button[data-action="undrain"]');
    await waitFor(async () => (await schedulers()).find((s) => s.id === 'sim-c')?.state !== 'draining', 10_000, 100, 'sim-c undrained');
  });

  it('removes a scheduler after a confirm', async () => {
    // Admin-added, so no heartbeat brings it back (a self-registered sim would re-register).
    await admin('POST', '/admin/scheduler/add', { id: 'extra', url: stack.sims.get('sim-a')!.url, models: ['sim-model'] });
    await page.locator('#schedulers tr[data-id="extra"]').waitFor();
    let confirmed = '';
    page.once('dialog', (dialog) => {
      confirmed = dialog.message();
      void dialog.accept();
    });
    await page.click('#schedulers tr[data-id="extra"] button[data-action="remove"]');
    await page.locator('#schedulers tr[data-id="extra"]').waitFor({ state: 'detached' });
    expect(confirmed).toContain('extra');
    expect((await schedulers()).map((s) => s.id)).not.toContain('extra');
  });
});
