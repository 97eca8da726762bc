import type { SchedulerView } from '@switchyard/contracts';
import type { SchedulerRecord } from '../state/scheduler-record';
import type { SchedulerAssessment } from '../weights/assess-schedulers';

/**
 * The contract's `Scheduler` as `list` and `add` answer it: the record plus what
 * health probing concluded (state, effective weight, last probe, load). Built
 * field by field (never by spreading the record) so `api_key` and internal
 * lease fields cannot leak into an answer.
 */
export function toSchedulerView(record: SchedulerRecord, assessment: SchedulerAssessment): SchedulerView {
  const probe = assessment.probe;
  const lastProbeAtMs = probe?.last_probe_at_ms ?? record.last_probe_at_ms;
  const view: SchedulerView = {
    id: record.id,
    url: record.url,
    models: [...record.models],
    weight: record.weight,
    priority: record.priority,
    labels: { ...record.labels },
    source: record.source,
    state: assessment.state,
    effective_weight: assessment.effective_weight,
    registered_at: new Date(record.registered_at_ms).toISOString(),
    last_probe_at: lastProbeAtMs === null ? null : new Date(lastProbeAtMs).toISOString(),
  };
  const lastError = record.discovery_pending ? record.last_error : (assessment.misconfigured ?? probe?.last_error ?? record.last_error);
  if (lastError !== undefined) view.last_error = lastError;
  if (record.max_concurrency !== undefined) view.max_concurrency = record.max_concurrency;
  if (probe?.load) view.load = { ...probe.load, ...(probe.load.metrics ? { metrics: [...probe.load.metrics] } : {}) };
  return view;
}
