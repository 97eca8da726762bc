import type { SchedulerRecord } from './scheduler-record';
import type { StateEvent } from './state-event';
import type { StateChange } from './state-store';

/**
 * This replica's memory of every registration, kept from the change events and
 * from full reads while the state generation is unchanged. When Redis comes back
 * empty, the replica that leads next re-seeds Redis from it (issue 3: "no
 * scheduler silently disappears"), so it is never replaced by a read of a Redis
 * that lost its state.
 */
export interface SchedulerMirror {
  apply(event: Extract<StateEvent, { kind: 'scheduler' }>): void;
  /** Replaces everything; resolves the changes it made, for listeners that missed them. */
  replace(records: readonly SchedulerRecord[]): StateChange[];
  records(): SchedulerRecord[];
}

export function createSchedulerMirror(): SchedulerMirror {
  const byId = new Map<string, { record: SchedulerRecord; json: string }>();
  return {
    apply(event) {
      if (event.removed) byId.delete(event.id);
      else if (event.record) byId.set(event.id, { record: event.record, json: JSON.stringify(event.record) });
    },
    replace(records) {
      const changes: StateChange[] = [];
      const next = new Map(records.map((record) => [record.id, { record, json: JSON.stringify(record) }]));
      for (const id of byId.keys()) if (!next.has(id)) changes.push({ kind: 'scheduler', id, removed: true });
      for (const [id, entry] of next) if (byId.get(id)?.json !== entry.json) changes.push({ kind: 'scheduler', id, removed: false });
      byId.clear();
      for (const [id, entry] of next) byId.set(id, entry);
      return changes;
    },
    records: () => [...byId.values()].map(({ record }) => structuredClone(record)),
  };
}
