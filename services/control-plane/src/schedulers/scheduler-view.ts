import type { SchedulerView } from '@switchyard/contracts';
import type { SchedulerRecord } from '../state/scheduler-record';
import { effectiveWeight } from '../tables/routable';

/**
 * The contract's `Scheduler` as `list` and `add` answer it. Built field by field
 * (never by spreading the record) so `api_key` and internal lease fields cannot
 * leak into an answer.
 */
export function toSchedulerView(record: SchedulerRecord): SchedulerView {
  const view: SchedulerView = {
    id: record.id,
    url: record.url,
    models: [...record.models],
    weight: record.weight,
    priority: record.priority,
    labels: { ...record.labels },
    source: record.source,
    state: record.state,
    effective_weight: effectiveWeight(record),
    registered_at: new Date(record.registered_at_ms).toISOString(),
    last_probe_at: record.last_probe_at_ms === null ? null : new Date(record.last_probe_at_ms).toISOString(),
  };
  if (record.last_error !== undefined) view.last_error = record.last_error;
  return view;
}
