/**
 * Issue 16 item 6: the status page with 1,000 schedulers, in headless Chromium
 * (Debian's /usr/bin/chromium driven by playwright-core) against a real control
 * plane. 990 schedulers answer their probes, 10 answer 503: the page is usable
 * within 2 s of opening it, lists the unhealthy ones first, pages the rest, and
 * finds one scheduler by id. Screenshot: test-artifacts/status-page-scale.png.
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { REPO_ROOT, waitFor } from '@switchyard/testing';
import { adminCall, startStack, type Stack } from './stack';

jest.setTimeout(120_000);

const CHROMIUM = '/usr/bin/chromium';
const ADMIN_TOKEN = 'status-scale-admin-token';
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];
const FLEET = 1_000;
const DOWN = new Set([7, 123, 250, 404, 512, 640, 777, 808, 901, 999]);
const idOf = (i: number) => `sched-${String(i).padStart(4, '0')}`;

let stack: Stack;
let context: BrowserContext;
let page: Page;
let profileDir: string;
const servers: Server[] = [];

/** One fake engine for many schedulers: /v1/models for the registration check, /health 200 or 503. */
async function fakeEngine(healthy: boolean): Promise<string> {
  const server = createServer((req, res) => {
    if (req.url === '/v1/models') res.writeHead(200, { 'content-type': 'application/json' }).end('{"object":"list","data":[{"id":"m","object":"model"}]}');
    else if (req.url === '/health') res.writeHead(healthy ? 200 : 503).end();
    else res.writeHead(404).end();
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  return `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
}

const admin = <T>(method: string, route: string, body?: unknown): Promise<T> => adminCall<T>(stack.adminUrl, ADMIN_TOKEN, method, route, body);

beforeAll(async () => {
  const [good, bad] = [await fakeEngine(true), await fakeEngine(false)];
  // 1,000 probes a second on two loaded cores (CI) can time out a healthy scheduler's probe: a long timeout and three failures in a row before unhealthy.
  const controlPlaneEnv = { ADMIN_TOKEN, PROBE_INTERVAL_MS: '1000', PROBE_TIMEOUT_MS: '5000', PROBE_UNHEALTHY_THRESHOLD: '3', LOG_LEVEL: 'warn' };
  stack = await startStack({ sims: [], gateways: 0, controlPlaneEnv });
  let next = 0;
  await Promise.all(Array.from({ length: 16 }, async () => {
    for (let i = next++; i < FLEET; i = next++) await admin('POST', '/admin/scheduler/add', { id: idOf(i), url: DOWN.has(i) ? bad : good, models: ['m'] });
  }));
  await waitFor(async () => (await admin<{ total: number }>('GET', '/admin/scheduler/list?state=unhealthy&limit=1')).total === DOWN.size, 30_000, 250, 'the ten failing schedulers unhealthy');
  profileDir = mkdtempSync(path.join(tmpdir(), 'switchyard-chromium-'));
  context = await chromium.launchPersistentContext(profileDir, { executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS, viewport: { width: 1400, height: 900 } });
  page = context.pages()[0] ?? (await context.newPage());
  // Signed in before the timed load: the token is in this tab's sessionStorage, as after a first visit.
  await page.goto(`${stack.adminUrl}/status`);
  await page.fill('#token', ADMIN_TOKEN);
  await page.click('#login-form button[type=submit]');
  await page.locator('#dashboard').waitFor({ state: 'visible' });
});

afterAll(async () => {
  await context?.close();
  await stack?.stop();
  for (const server of servers) server.close();
  if (profileDir) rmSync(profileDir, { recursive: true, force: true });
});

const rowIds = () => page.locator('#schedulers tbody tr').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-id')));

describe('status page with 1,000 schedulers (issue 16)', () => {
  it('loads in under 2 s, unhealthy schedulers first, one page of rows', async () => {
    const started = Date.now();
    await page.reload();
    await page.locator('#schedulers tbody tr').first().waitFor();
    const loadedMs = Date.now() - started;
    expect(loadedMs).toBeLessThan(2_000);
    const ids = await rowIds();
    expect(ids).toHaveLength(100);
    expect(ids.slice(0, DOWN.size).sort()).toEqual([...DOWN].map(idOf).sort());
    expect(await page.textContent('#schedulers-shown')).toContain(`100 of ${FLEET}`);
    expect(await page.textContent('#sched-count')).toBe(`${FLEET - DOWN.size} / ${FLEET}`);
    mkdirSync(path.join(REPO_ROOT, 'test-artifacts'), { recursive: true });
    await page.screenshot({ path: path.join(REPO_ROOT, 'test-artifacts', 'status-page-scale.png') });
  });

  it('finds a scheduler by id, and shows more on request', async () => {
    await page.fill('#scheduler-search', 'sched-0642');
    await waitFor(async () => JSON.stringify(await rowIds()) === JSON.stringify(['sched-0642']), 5_000, 50, 'only sched-0642 listed');
    expect(await page.locator('#schedulers tr[data-id="sched-0642"] [data-testid="state"]').textContent()).toBe('healthy');
    await page.fill('#scheduler-search', '');
    await waitFor(async () => (await rowIds()).length === 100, 5_000, 50, 'the first page again');
    await page.click('#schedulers-more');
    await waitFor(async () => (await rowIds()).length === 200, 5_000, 50, 'two pages of rows');
  });
});
