import { Registry } from 'prom-client';
import { createGatewayMetrics } from './metrics';

const valueOf = async (registry: Registry, name: string, labels: Record<string, string> = {}) => {
  const metric = await registry.getSingleMetric(name)!.get();
  const match = metric.values.find((v) => Object.entries(labels).every(([k, value]) => v.labels[k] === value));
  return match?.value;
};

describe('gateway metrics: per-request counts reach prom-client at collection', () => {
  it('adds each count once, however often it is scraped, and shows the requests in flight', async () => {
    const registry = new Registry();
    const metrics = createGatewayMetrics(registry, { version: () => 1, ageSeconds: () => 0 });
    metrics.requestStarted();
    metrics.requestStarted();
    metrics.requestEnded();
    metrics.requestFinished('m', 's1', 200, 0.01);
    metrics.requestFinished('m', 's1', 201, 0.01);
    metrics.tokens('m', 7, 3);
    metrics.usage('team', 'm', 7, 3);
    expect(await valueOf(registry, 'switchyard_gateway_active_requests')).toBe(1);
    expect(await valueOf(registry, 'switchyard_gateway_requests_total', { model: 'm', status_class: '2xx' })).toBe(2);
    await registry.metrics();
    metrics.requestFinished('m', 's1', 200, 0.01);
    expect(await valueOf(registry, 'switchyard_gateway_requests_total', { model: 'm', status_class: '2xx' })).toBe(3);
    expect(await valueOf(registry, 'switchyard_gateway_tokens_total', { type: 'prompt' })).toBe(7);
    expect(await valueOf(registry, 'switchyard_gateway_usage_tokens_total', { user: 'team', type: 'completion' })).toBe(3);
    expect(await valueOf(registry, 'switchyard_gateway_usage_requests_total', { user: 'team' })).toBe(1);
  });

  it('counts cache-aware picks: the blocks sent and those the prefix index expected the scheduler to hold', async () => {
    const registry = new Registry();
    const metrics = createGatewayMetrics(registry, { version: () => 1, ageSeconds: () => 0 });
    metrics.prefixPick('s1', 20, 24);
    metrics.prefixPick('s1', 0, 3);
    metrics.prefixPick('s2', 5, 5);
    expect(await valueOf(registry, 'switchyard_gateway_prefix_query_blocks_total', { scheduler: 's1' })).toBe(27);
    expect(await valueOf(registry, 'switchyard_gateway_prefix_expected_hit_blocks_total', { scheduler: 's1' })).toBe(20);
    expect(await valueOf(registry, 'switchyard_gateway_prefix_expected_hit_blocks_total', { scheduler: 's2' })).toBe(5);
    await registry.metrics();
    metrics.prefixPick('s2', 1, 2);
    expect(await valueOf(registry, 'switchyard_gateway_prefix_query_blocks_total', { scheduler: 's2' })).toBe(7);
  });

  it('counts requests per endpoint and status class', async () => {
    const registry = new Registry();
    const metrics = createGatewayMetrics(registry, { version: () => 1, ageSeconds: () => 0 });
    metrics.endpointRequest('responses', 200);
    metrics.endpointRequest('responses', 201);
    metrics.endpointRequest('responses', 503);
    metrics.endpointRequest('rerank', 200);
    expect(await valueOf(registry, 'switchyard_gateway_endpoint_requests_total', { endpoint: 'responses', status_class: '2xx' })).toBe(2);
    expect(await valueOf(registry, 'switchyard_gateway_endpoint_requests_total', { endpoint: 'responses', status_class: '5xx' })).toBe(1);
    expect(await valueOf(registry, 'switchyard_gateway_endpoint_requests_total', { endpoint: 'rerank', status_class: '2xx' })).toBe(1);
  });

  it('drops a negative token count instead of failing the scrape', async () => {
    const registry = new Registry();
    const metrics = createGatewayMetrics(registry, { version: () => 1, ageSeconds: () => 0 });
    metrics.tokens('m', -5, 0);
    metrics.tokens('m', 2, 1);
    await expect(registry.metrics()).resolves.toContain('switchyard_gateway_tokens_total{model="m",type="prompt"} 2');
  });
});
