import type { SchedulerRecord } from '../state/scheduler-record';

/**
 * Whether a scheduler belongs in the routing table: it serves models and model
 * discovery did not fail. Draining schedulers stay (with their state) so gateways
 * stop sending new requests to them while in-flight ones finish.
 */
export function isRoutable(record: SchedulerRecord): boolean {
  return !record.discovery_pending && record.models.length > 0 && record.state !== 'unhealthy';
}

/**
 * Effective weight pushed to gateways. For now the base weight of a routable
 * scheduler (issue 4 multiplies in health and load factors), 0 otherwise.
 */
export function effectiveWeight(record: SchedulerRecord): number {
  return isRoutable(record) ? record.weight : 0;
}
