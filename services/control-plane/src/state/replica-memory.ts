import type { SchedulerRecord } from './scheduler-record';
import { createSchedulerMirror } from './scheduler-mirror';
import { toChange, type StateEvent } from './state-event';
import type { StateChange } from './state-store';

/** What a full read of Redis returned (resync). */
export interface StateSnapshot {
  generation: string | null;
  records: SchedulerRecord[];
  table: { epoch: number; version: number } | undefined;
}

/**
 * What one replica knows of the shared state without asking Redis: every
 * registration (to re-seed an empty Redis), the state generation it works in,
 * and the highest epoch it has seen. Pure bookkeeping; each method returns the
 * changes listeners must hear of.
 */
export interface ReplicaMemory {
  onEvent(event: StateEvent): StateChange[];
  /** Takes in a full read; keeps the registrations when Redis has lost its generation. */
  onSnapshot(snapshot: StateSnapshot): StateChange[];
  adoptGeneration(generation: string): void;
  noteEpoch(epoch: number): void;
  generation(): string | undefined;
  highestEpoch(): number;
  records(): SchedulerRecord[];
}

export function createReplicaMemory(): ReplicaMemory {
  const mirror = createSchedulerMirror();
  let generation: string | undefined;
  let highestEpoch = 0;
  return {
    onEvent(event) {
      if (event.kind === 'generation') {
        generation = event.generation;
        return [];
      }
      if (event.kind === 'scheduler') mirror.apply(event);
      else if (event.kind === 'table') highestEpoch = Math.max(highestEpoch, event.epoch);
      return [toChange(event)];
    },
    onSnapshot(snapshot) {
      const changes = snapshot.generation === null ? [] : mirror.replace(snapshot.records);
      if (snapshot.generation !== null) generation = snapshot.generation;
      if (snapshot.table) {
        highestEpoch = Math.max(highestEpoch, snapshot.table.epoch);
        changes.push({ kind: 'table', ...snapshot.table });
      }
      // Key changes published while this replica was not subscribed are not tracked: re-read them.
      changes.push({ kind: 'keys' });
      return changes;
    },
    adoptGeneration(next) {
      generation = next;
    },
    noteEpoch(epoch) {
      highestEpoch = Math.max(highestEpoch, epoch);
    },
    generation: () => generation,
    highestEpoch: () => highestEpoch,
    records: () => mirror.records(),
  };
}
