/**
 * Issue 7 acceptance 1 and 3 over a real stack: known traffic (non-streamed,
 * streamed with and without usage, unknown models, an upstream 500 that follows the
 * request to the second sim and so is judged the request's own, issue 21), then the
 * gateway's and control plane's /metrics, GET /admin/metrics and every gateway
 * log line are checked against what was sent. Also: the Grafana dashboard only
 * queries metrics the services define.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { REPO_ROOT, waitFor } from '@switchyard/testing';
import { startStack, type Stack } from './stack';

jest.setTimeout(90_000);

const SECRET = 'sk-test-SECRET-7f3a9c1e5b2d4f6a8c0e';
const PROMPT = 'Zanzibar-periwinkle-observability-prompt';
const TOKENS = 8;
const SENT = { plain: 30, streamUsage: 6, streamBare: 2, unknown: 3, failing: 1 };
const OK = SENT.plain + SENT.streamUsage + SENT.streamBare;
const TOTAL = OK + SENT.unknown + SENT.failing;

let stack: Stack;
let gatewayMetrics: string;
let controlPlaneMetrics: string;
let suiteStartedAtMs: number;
let scrapedAtMs: number;

interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** The samples of a Prometheus text exposition (enough for prom-client's output). */
function parseSamples(text: string): Sample[] {
  return text.split('\n').flatMap((line) => {
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!match) return [];
    const labels = Object.fromEntries([...(match[2] ?? '').matchAll(/([a-zA-Z_]+)="((?:[^"\\]|\\.)*)"/g)].map((m) => [m[1]!, m[2]!]));
    return [{ name: match[1]!, labels, value: Number(match[3]) }];
  });
}

/** Sum of the samples named `name` whose labels include `labels`. */
function total(text: string, name: string, labels: Record<string, string> = {}): number {
  return parseSamples(text)
    .filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v))
    .reduce((sum, s) => sum + s.value, 0);
}

async function chat(body: Record<string, unknown>, headers: Record<string, string> = {}): Promise<number> {
  const res = await fetch(`${stack.gatewayUrls[0]}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${SECRET}`, ...headers },
    body: JSON.stringify({ messages: [{ role: 'user', content: `${PROMPT} please answer` }], max_tokens: TOKENS, ...body }),
  });
  await res.text();
  return res.status;
}

async function scrape(url: string): Promise<string> {
  return (await fetch(`${url}/metrics`)).text();
}

beforeAll(async () => {
  suiteStartedAtMs = Date.now();
  stack = await startStack({
    sims: ['sim-1', 'sim-2'],
    simEnv: { SIM_TTFT_MS: '15', SIM_ITL_MS: '5' },
    gatewayEnv: { LOG_LEVEL: 'info' },
    controlPlaneEnv: { LOG_LEVEL: 'info', PROBE_INTERVAL_MS: '500' },
  });
  const statuses: number[] = [];
  for (let i = 0; i < SENT.plain; i++) statuses.push(await chat({ model: 'sim-model' }));
  for (let i = 0; i < SENT.streamUsage; i++) statuses.push(await chat({ model: 'sim-model', stream: true, stream_options: { include_usage: true } }));
  for (let i = 0; i < SENT.streamBare; i++) statuses.push(await chat({ model: 'sim-model', stream: true }));
  for (let i = 0; i < SENT.unknown; i++) statuses.push(await chat({ model: `no-such-model-${i}` }));
  statuses.push(await chat({ model: 'sim-model' }, { 'x-sim-fault': 'status:500' }));
  expect(statuses.filter((s) => s === 200)).toHaveLength(OK);
  expect(statuses.filter((s) => s === 404)).toHaveLength(SENT.unknown);
  expect(statuses.at(-1)).toBe(500);
  gatewayMetrics = await scrape(stack.gatewayUrls[0]!);
  scrapedAtMs = Date.now();
  await waitFor(async () => total((controlPlaneMetrics = await scrape(stack.adminUrl)), 'switchyard_control_plane_gateway_table_lag', { gateway: 'gw-0' }) === 0 && controlPlaneMetrics.includes('gateway="gw-0"'), 10_000, 200, 'gw-0 reported');
});

afterAll(async () => {
  await stack?.stop();
});

describe('gateway /metrics after known traffic', () => {
  it('counts requests by model, scheduler and status class', () => {
    expect(total(gatewayMetrics, 'switchyard_gateway_requests_total', { model: 'sim-model', status_class: '2xx' })).toBe(OK);
    expect(total(gatewayMetrics, 'switchyard_gateway_requests_total', { model: 'sim-model', status_class: '5xx' })).toBe(SENT.failing);
    // Client-chosen unknown names collapse into one bounded label.
    expect(total(gatewayMetrics, 'switchyard_gateway_requests_total', { model: 'unknown', scheduler: 'none', status_class: '4xx' })).toBe(SENT.unknown);
    expect(gatewayMetrics).not.toContain('no-such-model');
    const served = parseSamples(gatewayMetrics).filter((s) => s.name === 'switchyard_gateway_requests_total' && s.labels.status_class === '2xx');
    expect(new Set(served.map((s) => s.labels.scheduler))).toEqual(new Set(['sim-1', 'sim-2']));
  });

  it('has request duration, TTFT and time-per-output-token histograms with the right counts', () => {
    const streams = SENT.streamUsage + SENT.streamBare;
    expect(total(gatewayMetrics, 'switchyard_gateway_request_duration_seconds_count', { model: 'sim-model' })).toBe(OK + SENT.failing);
    expect(total(gatewayMetrics, 'gen_ai_server_time_to_first_token_seconds_count', { model: 'sim-model' })).toBe(streams);
    expect(total(gatewayMetrics, 'switchyard_gateway_time_to_first_token_seconds_count', { model: 'sim-model' })).toBe(streams);
    expect(total(gatewayMetrics, 'switchyard_gateway_time_to_first_token_seconds_sum', { model: 'sim-model' })).toBeGreaterThan(streams * 0.01);
    // Time per output token needs the usage chunk; a gateway that asks upstream for it on every stream sees all of them.
    const tpot = total(gatewayMetrics, 'gen_ai_server_time_per_output_token_seconds_count', { model: 'sim-model' });
    expect(tpot).toBeGreaterThanOrEqual(SENT.streamUsage);
    expect(tpot).toBeLessThanOrEqual(streams);
    const perToken = total(gatewayMetrics, 'gen_ai_server_time_per_output_token_seconds_sum', { model: 'sim-model' }) / tpot;
    expect(perToken).toBeGreaterThan(0.002);
    expect(perToken).toBeLessThan(1);
  });

  it('counts tokens from upstream usage', () => {
    const completion = total(gatewayMetrics, 'switchyard_gateway_tokens_total', { model: 'sim-model', type: 'completion' });
    const withUsage = SENT.plain + SENT.streamUsage;
    expect(completion).toBeGreaterThanOrEqual(withUsage * TOKENS);
    expect(completion).toBeLessThanOrEqual((OK + SENT.failing) * TOKENS);
    expect(total(gatewayMetrics, 'switchyard_gateway_tokens_total', { model: 'sim-model', type: 'prompt' })).toBeGreaterThan(0);
    expect(total(gatewayMetrics, 'gen_ai_client_token_usage_count', { model: 'sim-model', gen_ai_token_type: 'output' })).toBe(completion / TOKENS);
  });

  it('reports upstream errors, idle gauges, the routing table and defines the retry, breaker and rate-limit series', () => {
    // The injected 500 is well-formed and fast, and the second sim gave it too: the request's, counted against no scheduler.
    expect(total(gatewayMetrics, 'switchyard_gateway_upstream_errors_total', { kind: 'status_5xx' })).toBe(0);
    expect(total(gatewayMetrics, 'switchyard_gateway_upstream_errors_total', { kind: 'request_error' })).toBe(2 * SENT.failing);
    expect(total(gatewayMetrics, 'switchyard_gateway_active_requests')).toBe(0);
    expect(total(gatewayMetrics, 'switchyard_gateway_active_streams')).toBe(0);
    expect(total(gatewayMetrics, 'switchyard_gateway_routing_table_version')).toBeGreaterThan(0);
    // The series is there once, for a table generated while this suite ran (a missing series would sum to 0).
    const ages = parseSamples(gatewayMetrics).filter((s) => s.name === 'switchyard_gateway_routing_table_age_seconds');
    expect(ages).toHaveLength(1);
    expect(ages[0]!.value).toBeLessThanOrEqual((scrapedAtMs - suiteStartedAtMs) / 1000);
    for (const name of ['switchyard_gateway_retries_total', 'switchyard_gateway_breaker_state', 'switchyard_gateway_rate_limited_total']) {
      expect(gatewayMetrics).toContain(`# TYPE ${name} `);
    }
    expect(total(gatewayMetrics, 'nodejs_eventloop_lag_p99_seconds', { service: 'gateway' })).toBeGreaterThan(0);
  });
});

describe('control plane /metrics', () => {
  it('has schedulers by state, effective weights, probes, table pushes, gateways and their lag, and the leader flag', () => {
    const m = controlPlaneMetrics;
    expect(total(m, 'switchyard_control_plane_schedulers', { state: 'healthy' })).toBe(2);
    for (const id of ['sim-1', 'sim-2']) expect(total(m, 'switchyard_control_plane_scheduler_effective_weight', { scheduler: id })).toBeGreaterThan(0);
    expect(total(m, 'switchyard_control_plane_probe_duration_seconds_count', { result: 'ok' })).toBeGreaterThan(0);
    expect(m).toContain('# TYPE switchyard_control_plane_probe_failures_total counter');
    expect(total(m, 'switchyard_control_plane_table_versions_pushed_total')).toBeGreaterThanOrEqual(1);
    expect(total(m, 'switchyard_control_plane_connected_gateways')).toBe(1);
    expect(total(m, 'switchyard_control_plane_gateway_table_version', { gateway: 'gw-0' })).toBeGreaterThan(0);
    expect(total(m, 'switchyard_control_plane_leader')).toBe(1);
  });
});

describe('GET /admin/metrics', () => {
  it('summarizes the gateway reports: rates, error rates, percentiles and schedulers by state', async () => {
    interface Summary {
      requests: { total: number; per_second: number; by_status_class: Record<string, number> };
      error_rate: number;
      client_error_rate: number;
      upstream: { requests: number; errors_by_kind: Record<string, number> };
      latency_ms: { p50: number; p95: number; p99: number };
      ttft_ms: { p50: number; p95: number; p99: number };
      schedulers_by_state: Record<string, number>;
      schedulers: Array<{ id: string; state: string; requests: number }>;
    }
    let summary: Summary | undefined;
    await waitFor(async () => {
      summary = (await (await fetch(`${stack.adminUrl}/admin/metrics`)).json()) as Summary;
      return summary.requests.total === TOTAL;
    }, 10_000, 200, `${TOTAL} requests in the summary`);
    const s = summary!;
    expect(s.requests.by_status_class).toEqual({ '2xx': OK, '4xx': SENT.unknown, '5xx': SENT.failing });
    expect(s.requests.per_second).toBeGreaterThan(0);
    expect(s.error_rate).toBeCloseTo(SENT.failing / TOTAL, 3);
    expect(s.client_error_rate).toBeCloseTo(SENT.unknown / TOTAL, 3);
    expect(s.upstream.requests).toBe(OK);
    expect(s.upstream.errors_by_kind).toEqual({ request_error: 2 * SENT.failing });
    expect(s.latency_ms.p50).toBeGreaterThan(10);
    expect(s.latency_ms.p95).toBeGreaterThanOrEqual(s.latency_ms.p50);
    expect(s.latency_ms.p99).toBeGreaterThanOrEqual(s.latency_ms.p95);
    expect(s.ttft_ms.p50).toBeGreaterThanOrEqual(15);
    expect(s.schedulers_by_state).toMatchObject({ healthy: 2, unhealthy: 0 });
    expect(s.schedulers.map((r) => [r.id, r.state])).toEqual([['sim-1', 'healthy'], ['sim-2', 'healthy']]);
  });
});

describe('logs', () => {
  it('has one JSON line per request with the request fields, and no key or prompt anywhere', () => {
    const gatewayLog = stack.processes.find((p) => p.name === 'gateway-0')!.output();
    const lines = gatewayLog.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Record<string, unknown>);
    const requests = lines.filter((l) => l.message === 'request');
    expect(requests).toHaveLength(TOTAL);
    for (const line of requests) {
      // Only the failing request was asked of a second sim (to tell whose fault its 500 was).
      const retries = line.status === 500 ? 1 : 0;
      expect(line).toMatchObject({ level: 'info', request_id: expect.any(String), model: expect.any(String), scheduler: expect.any(String), status: expect.any(Number), duration_ms: expect.any(Number), retries });
    }
    const streamed = requests.filter((l) => l.stream === true);
    expect(streamed.every((l) => typeof l.ttft_ms === 'number')).toBe(true);
    expect(requests.filter((l) => l.completion_tokens === TOKENS && typeof l.prompt_tokens === 'number').length).toBeGreaterThanOrEqual(SENT.plain + SENT.streamUsage);
    expect(requests.some((l) => 'request_body' in l)).toBe(false);

    const everything = [...stack.processes.filter((p) => !p.name.startsWith('sim')).map((p) => p.output()), gatewayMetrics, controlPlaneMetrics].join('\n');
    expect(everything).not.toContain('SECRET');
    expect(everything).not.toContain(PROMPT);
  });
});

describe('deploy/grafana/switchyard.json', () => {
  it('queries only metrics the services define', () => {
    const dashboard = JSON.parse(readFileSync(path.join(REPO_ROOT, 'deploy', 'grafana', 'switchyard.json'), 'utf8')) as { panels: Array<{ targets?: Array<{ expr: string }> }> };
    const exprs = dashboard.panels.flatMap((p) => p.targets ?? []).map((t) => t.expr);
    expect(exprs.length).toBeGreaterThan(20);
    // Label names live in by (...) clauses and {...} matchers; what is left names metrics.
    const metricText = (e: string) => e.replace(/\b(?:by|without)\s*\([^)]*\)/g, '').replace(/\{[^}]*\}/g, '');
    const names = new Set(exprs.flatMap((e) => [...metricText(e).matchAll(/\b(?:switchyard|gen_ai|nodejs|process)_[a-z0-9_]+/g)].map((m) => m[0])));
    const defined = new Set([...`${gatewayMetrics}\n${controlPlaneMetrics}`.matchAll(/^# TYPE (\S+) /gm)].map((m) => m[1]!));
    const missing = [...names].filter((n) => !defined.has(n) && !defined.has(n.replace(/_(bucket|sum|count)$/, '')));
    expect(missing).toEqual([]);
    expect(names.size).toBeGreaterThan(20);
  });
});

// Last: the failures it provokes would change the counts the earlier tests check.
describe('failure series after provoked failures', () => {
  it('counts a retry, a failed probe per scheduler, and shows each breaker closed', async () => {
    // Both sims answer 503 to this one request: the gateway retries once on the other sim.
    expect(await chat({ model: 'sim-model' }, { 'x-sim-fault': 'status:503' })).toBe(503);
    const gateway = await scrape(stack.gatewayUrls[0]!);
    expect(total(gateway, 'switchyard_gateway_retries_total')).toBe(total(gatewayMetrics, 'switchyard_gateway_retries_total') + 1);
    const breakers = parseSamples(gateway).filter((s) => s.name === 'switchyard_gateway_breaker_state');
    expect(breakers.map((s) => [s.labels.scheduler, s.value]).sort()).toEqual([['sim-1', 0], ['sim-2', 0]]);

    // sim-2's /health fails (process-wide fault) for one probe; requests with `x-sim-fault: none` are unaffected.
    const fault = (value: string | null) => fetch(`${stack.sims.get('sim-2')!.url}/sim/fault`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ fault: value }) });
    const failures = async () => total(await scrape(stack.adminUrl), 'switchyard_control_plane_probe_failures_total', { scheduler: 'sim-2' });
    const before = await failures();
    expect((await fault('status:500')).status).toBe(200);
    try {
      await waitFor(async () => (await failures()) > before, 5_000, 50, 'a failed probe of sim-2 counted');
    } finally {
      await fault(null);
    }
    expect(total(await scrape(stack.adminUrl), 'switchyard_control_plane_probe_failures_total', { scheduler: 'sim-1' })).toBe(total(controlPlaneMetrics, 'switchyard_control_plane_probe_failures_total', { scheduler: 'sim-1' }));
  });
});
