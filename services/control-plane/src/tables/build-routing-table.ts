import type { ModelRoute, RoutingTable, SchedulerEntry } from '@switchyard/proto';
import type { StrategyName } from '@switchyard/routing';
import type { SchedulerRecord } from '../state/scheduler-record';
import { effectiveWeight, isRoutable } from './routable';

export interface TableOptions {
  epoch: number;
  version: number;
  defaultStrategy: StrategyName;
  nowMs: number;
}

/**
 * Builds the routing table gateways receive (proto `RoutingTable`) from the
 * stored schedulers. Pure, and deterministic in its output order (schedulers by
 * id, models by name) so equal inputs give equal tables and golden files stay
 * stable. Client API keys join the table with the keys issue; until then the
 * gateways serve without auth.
 */
export function buildRoutingTable(records: readonly SchedulerRecord[], options: TableOptions): RoutingTable {
  const routable = records.filter(isRoutable).sort((a, b) => compare(a.id, b.id));
  const schedulers = routable.map(toEntry);
  const modelNames = [...new Set(routable.flatMap((r) => r.models))].sort(compare);
  const models: Record<string, ModelRoute> = {};
  for (const name of modelNames) models[name] = { strategy: '', served_names: [name], resume_streams: false };
  return {
    epoch: options.epoch,
    version: options.version,
    generated_at_ms: options.nowMs,
    default_strategy: options.defaultStrategy,
    schedulers,
    models,
    api_keys: [],
    auth_required: false,
  };
}

/**
 * Whether two tables route identically (everything but version and timestamp),
 * so a change that does not affect routing (a heartbeat renewing a lease) does
 * not churn versions.
 */
export function sameRouting(a: RoutingTable, b: RoutingTable): boolean {
  const strip = (t: RoutingTable) => JSON.stringify({ ...t, epoch: 0, version: 0, generated_at_ms: 0 });
  return strip(a) === strip(b);
}

function toEntry(record: SchedulerRecord): SchedulerEntry {
  return {
    id: record.id,
    url: record.url,
    models: [...record.models],
    weight: record.weight,
    effective_weight: effectiveWeight(record),
    priority: record.priority,
    labels: sortedLabels(record.labels),
    state: record.state,
    api_key: record.api_key ?? '',
  };
}

function sortedLabels(labels: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(labels).sort(([a], [b]) => compare(a, b)));
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
