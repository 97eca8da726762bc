import type { SchedulerRecord } from './scheduler-record';
import type { StateChange } from './state-store';

/**
 * What travels on the Redis events channel: every StateChange (a scheduler event
 * carries the stored record, so every replica can keep its memory of the
 * registrations without another read), plus a new state generation after a
 * re-seed.
 */
export type StateEvent =
  | { kind: 'scheduler'; id: string; removed: boolean; record?: SchedulerRecord }
  | { kind: 'table'; epoch: number; version: number }
  | { kind: 'keys'; hashes?: string[] }
  | { kind: 'generation'; generation: string };

export function encodeEvent(event: StateEvent): string {
  return JSON.stringify(event);
}

/** The event in a channel message, or undefined for anything malformed. */
export function decodeEvent(message: string): StateEvent | undefined {
  let value: unknown;
  try {
    value = JSON.parse(message);
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null) return undefined;
  const event = value as Partial<Record<string, unknown>>;
  if (event.kind === 'scheduler' && typeof event.id === 'string' && typeof event.removed === 'boolean') return value as StateEvent;
  if (event.kind === 'table' && typeof event.epoch === 'number' && typeof event.version === 'number') return value as StateEvent;
  if (event.kind === 'generation' && typeof event.generation === 'string') return value as StateEvent;
  if (event.kind === 'keys') return Array.isArray(event.hashes) && event.hashes.every((h) => typeof h === 'string') ? { kind: 'keys', hashes: event.hashes as string[] } : { kind: 'keys' };
  return undefined;
}

/** The change listeners hear of (the record stays internal). */
export function toChange(event: Exclude<StateEvent, { kind: 'generation' }>): StateChange {
  if (event.kind === 'keys') return event.hashes ? { kind: 'keys', hashes: event.hashes } : { kind: 'keys' };
  return event.kind === 'scheduler' ? { kind: 'scheduler', id: event.id, removed: event.removed } : { kind: 'table', epoch: event.epoch, version: event.version };
}
