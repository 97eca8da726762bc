import type { SchedulerRecord } from '../state/scheduler-record';

/**
 * Whether a scheduler belongs in the routing table: it serves models and model
 * discovery did not fail. Draining and probe-unhealthy schedulers stay (with
 * their state and weight 0) so gateways stop sending new requests to them while
 * in-flight ones finish, and can fall back to them in panic mode.
 */
export function isRoutable(record: SchedulerRecord): boolean {
  return !record.discovery_pending && record.models.length > 0 && record.state !== 'unhealthy';
}
