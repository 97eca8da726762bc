import { Registry } from 'prom-client';
import type { SchedulerView } from '@switchyard/contracts';
import { createGatewayTracker } from './grpc/gateway-tracker';
import { createSingleReplicaLeadership } from './leader/leadership';
import { createControlPlaneMetrics } from './metrics';
import { createMemoryStateStore } from './state/memory-state-store';

describe('control-plane metrics', () => {
  it('lists the fleet once per scrape, for both gauges that need it (issue 16), and again on the next scrape', async () => {
    const registry = new Registry();
    let listings = 0;
    const fleet = [{ id: 's-1', state: 'healthy', load: { prefix_cache: { hit_rate: 0.5 } } }, { id: 's-2', state: 'unhealthy' }] as unknown as SchedulerView[];
    const schedulers = async () => {
      listings += 1;
      await new Promise((resolve) => setTimeout(resolve, 5));
      return fleet;
    };
    createControlPlaneMetrics({ registry, store: createMemoryStateStore(), gateways: createGatewayTracker(Date.now), leadership: createSingleReplicaLeadership('r'), schedulers });
    const text = await registry.metrics();
    expect(listings).toBe(1);
    expect(text).toMatch(/^switchyard_control_plane_schedulers\{state="unhealthy"\} 1$/m);
    expect(text).toMatch(/^switchyard_control_plane_scheduler_prefix_cache_hit_ratio\{scheduler="s-1"\} 0.5$/m);
    await registry.metrics();
    expect(listings).toBe(2);
  });
});
