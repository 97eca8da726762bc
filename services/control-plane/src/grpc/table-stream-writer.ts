import { compareTableVersions, isDelta, type RoutingTable } from '@switchyard/proto';
import type { TableVersion } from './table-feed';

/** The part of a grpc-js server stream the writer needs (a Node Writable in object mode). */
export interface TableSink {
  /** `done` runs once the message left (grpc-js: handed to HTTP/2), or failed. */
  write(table: RoutingTable, done?: (err?: Error | null) => void): boolean;
  once(event: 'drain', listener: () => void): unknown;
}

/** Where the writer takes what to send (the replica's TableFeed). */
export interface TableSource {
  current(): RoutingTable | undefined;
  /** Batches from `have` to the current table, or undefined when they are not all held. */
  recentSince(have: TableVersion): RoutingTable[] | undefined;
}

export interface TableStreamWriter {
  /** Something newer may be available: sends what the stream lacks, unless it is waiting for 'drain'. */
  notify(): void;
  /** Sends `batches` (the catch-up of a resuming gateway) first, then whatever is newer. */
  resume(batches: readonly RoutingTable[]): void;
  /** The (epoch, version) the stream has once everything written arrives. */
  lastSent(): TableVersion | undefined;
  /** The stream ended: nothing more is written. */
  close(): void;
}

export interface StreamWriterOptions {
  /** The gateway said supports_deltas: send change batches when the source holds them. */
  deltas: boolean;
  /** What the gateway has (its WatchRequest), if anything. */
  have?: TableVersion;
  /** Shared by every stream of the server: how many snapshots are on their way at once. */
  snapshots?: SnapshotGate;
  /** The form a snapshot takes on this stream (packed keys for gateways that read them); as it is without. */
  snapshotForm?: (table: RoutingTable) => RoutingTable;
}

/**
 * Bounds the snapshots being written at once across all streams (issue 16): each
 * write of a 10 MB snapshot (100,000 keys) makes grpc-js copy it into its own
 * frame, so 200 gateways connecting at once would hold 2 GB until their sockets
 * drain; with a gate the rest wait their turn, and the first table still reaches
 * all of them within seconds.
 */
export interface SnapshotGate {
  tryAcquire(): boolean;
  release(): void;
  /** Called once, the next time a slot frees. */
  onFree(listener: () => void): void;
}

/** Longest a snapshot write may hold its slot (a stream cancelled mid-write may never report back). */
const SNAPSHOT_SLOT_MAX_MS = 10_000;

export function createSnapshotGate(limit: number): SnapshotGate {
  let active = 0;
  const waiting: Array<() => void> = [];
  return {
    tryAcquire() {
      if (active >= limit) return false;
      active += 1;
      return true;
    },
    release() {
      active = Math.max(0, active - 1);
      // Every waiter tries again (those that lose re-register): one that stopped meanwhile cannot hold the others up.
      for (const listener of waiting.splice(0)) listener();
    },
    onFree: (listener) => waiting.push(listener),
  };
}

/** A release that happens once: when the write is done, or after SNAPSHOT_SLOT_MAX_MS. */
function slotRelease(gate: SnapshotGate): () => void {
  let held = true;
  const release = () => {
    if (!held) return;
    held = false;
    clearTimeout(timer);
    gate.release();
  };
  const timer = setTimeout(release, SNAPSHOT_SLOT_MAX_MS);
  timer.unref();
  return release;
}

/**
 * Back-pressure for one WatchRoutingTable stream (grpc-node's advice): when
 * write() returns false, nothing more is written until 'drain', and then only
 * what the stream still lacks. A snapshot-only stream (a gateway of the previous
 * release) gets the newest table and skips intermediate ones; a delta stream
 * gets the batches from its last version to the current one, or one snapshot
 * when the source no longer holds them all.
 */
export function createTableStreamWriter(sink: TableSink, source: TableSource, options: StreamWriterOptions): TableStreamWriter {
  let sent = options.have;
  let waitingForDrain = false;
  let waitingForSlot = false;
  let closed = false;
  const gate = options.snapshots;

  const pending = (): readonly RoutingTable[] => {
    const current = source.current();
    if (!current || (sent && compareTableVersions(current, sent) <= 0)) return [];
    return (options.deltas && sent && source.recentSince(sent)) || [current];
  };
  const send = (messages: readonly RoutingTable[]) => {
    for (const message of messages) {
      if (sent && compareTableVersions(message, sent) <= 0) continue;
      let done: (() => void) | undefined;
      if (gate && !isDelta(message)) {
        if (!gate.tryAcquire()) {
          waitingForSlot = true;
          gate.onFree(() => {
            waitingForSlot = false;
            notify();
          });
          return;
        }
        done = slotRelease(gate);
      }
      sent = { epoch: message.epoch, version: message.version };
      const outgoing = options.snapshotForm && !isDelta(message) ? options.snapshotForm(message) : message;
      if (sink.write(outgoing, done)) continue;
      waitingForDrain = true;
      sink.once('drain', () => {
        waitingForDrain = false;
        notify();
      });
      return;
    }
  };
  const notify = () => {
    if (!closed && !waitingForDrain && !waitingForSlot) send(pending());
  };
  return {
    notify,
    close() {
      closed = true;
    },
    resume(batches) {
      if (closed || waitingForDrain || waitingForSlot) return;
      send(batches);
      notify();
    },
    lastSent: () => sent,
  };
}
