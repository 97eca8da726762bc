import { Gauge, type Registry } from 'prom-client';
import { SCHEDULER_STATES } from '@switchyard/contracts';
import type { GatewayTracker } from './grpc/gateway-tracker';
import type { StateStore } from './state/state-store';

export const METRIC_PREFIX = 'switchyard_control_plane';

/**
 * Every control-plane metric beyond HTTP, on the service's registry. Gauges are
 * read at scrape time from the state itself, so they can never drift from it.
 */
export function registerControlPlaneMetrics(registry: Registry, store: StateStore, gateways: GatewayTracker): void {
  new Gauge({
    name: `${METRIC_PREFIX}_schedulers`,
    help: 'Registered schedulers by state.',
    labelNames: ['state'],
    registers: [registry],
    async collect() {
      const counts = Object.fromEntries(SCHEDULER_STATES.map((s) => [s, 0])) as Record<string, number>;
      for (const record of await store.listSchedulers()) counts[record.state] = (counts[record.state] ?? 0) + 1;
      for (const state of SCHEDULER_STATES) this.set({ state }, counts[state] ?? 0);
    },
  });
  new Gauge({
    name: `${METRIC_PREFIX}_table_version`,
    help: 'Version of the current routing table (0 before the first).',
    registers: [registry],
    async collect() {
      this.set((await store.getTable())?.version ?? 0);
    },
  });
  new Gauge({
    name: `${METRIC_PREFIX}_table_epoch`,
    help: 'Epoch of the current routing table (0 before the first).',
    registers: [registry],
    async collect() {
      this.set((await store.getTable())?.epoch ?? 0);
    },
  });
  new Gauge({
    name: `${METRIC_PREFIX}_connected_gateways`,
    help: 'Gateways with an open stream to this replica.',
    registers: [registry],
    collect() {
      this.set(gateways.count());
    },
  });
}
