import { compareTableVersions, type RoutingTable } from '@switchyard/proto';
import type { TableVersion } from './table-feed';

/** The part of a grpc-js server stream the writer needs (a Node Writable in object mode). */
export interface TableSink {
  write(table: RoutingTable): boolean;
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
}

export interface StreamWriterOptions {
  /** The gateway said supports_deltas: send change batches when the source holds them. */
  deltas: boolean;
  /** What the gateway has (its WatchRequest), if anything. */
  have?: TableVersion;
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

  const pending = (): readonly RoutingTable[] => {
    const current = source.current();
    if (!current || (sent && compareTableVersions(current, sent) <= 0)) return [];
    return (options.deltas && sent && source.recentSince(sent)) || [current];
  };
  const send = (messages: readonly RoutingTable[]) => {
    for (const message of messages) {
      if (sent && compareTableVersions(message, sent) <= 0) continue;
      sent = { epoch: message.epoch, version: message.version };
      if (sink.write(message)) continue;
      waitingForDrain = true;
      sink.once('drain', () => {
        waitingForDrain = false;
        notify();
      });
      return;
    }
  };
  const notify = () => {
    if (!waitingForDrain) send(pending());
  };
  return {
    notify,
    resume(batches) {
      if (waitingForDrain) return;
      send(batches);
      notify();
    },
    lastSent: () => sent,
  };
}
