import type { RoutingTable, SchedulerEntry } from '@switchyard/proto';

/** A table entry with every proto field filled, as proto-loader delivers it. */
export function schedulerEntry(fields: Pick<SchedulerEntry, 'id' | 'url' | 'models'> & Partial<SchedulerEntry>): SchedulerEntry {
  return { weight: 1, effective_weight: 1, priority: 0, labels: {}, state: 'healthy', api_key: '', ...fields };
}

/** A routing table with defaults for every field but the schedulers and version. */
export function routingTable(fields: Pick<RoutingTable, 'version' | 'schedulers'> & Partial<RoutingTable>): RoutingTable {
  return { epoch: 1, generated_at_ms: Date.now(), default_strategy: 'round-robin', models: {}, api_keys: [], auth_required: false, ...fields };
}
