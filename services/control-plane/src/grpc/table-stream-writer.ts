import { compareTableVersions, type RoutingTable } from '@switchyard/proto';

/** The part of a grpc-js server stream the writer needs (a Node Writable in object mode). */
export interface TableSink {
  write(table: RoutingTable): boolean;
  once(event: 'drain', listener: () => void): unknown;
}

export interface TableStreamWriter {
  /** Sends `table` unless the stream already has it or something newer; while the stream is full, keeps only the newest. */
  offer(table: RoutingTable): void;
  /** The (epoch, version) last written, if any. */
  lastSent(): Pick<RoutingTable, 'epoch' | 'version'> | undefined;
}

/**
 * Back-pressure for one WatchRoutingTable stream (grpc-node's advice): when
 * write() returns false, nothing more is written until 'drain'; tables offered
 * meanwhile replace each other, so a slow gateway receives only the newest
 * snapshot instead of a queue of stale ones. Every table is a full snapshot, so
 * skipping intermediate versions loses nothing.
 */
export function createTableStreamWriter(sink: TableSink, initial?: Pick<RoutingTable, 'epoch' | 'version'>): TableStreamWriter {
  let sent = initial;
  let pending: RoutingTable | undefined;
  let waitingForDrain = false;

  const isNew = (table: RoutingTable) => sent === undefined || compareTableVersions(table, sent) > 0;

  const write = (table: RoutingTable) => {
    sent = { epoch: table.epoch, version: table.version };
    if (sink.write(table)) return;
    waitingForDrain = true;
    sink.once('drain', () => {
      waitingForDrain = false;
      const next = pending;
      pending = undefined;
      if (next && isNew(next)) write(next);
    });
  };

  return {
    offer(table) {
      if (!isNew(table)) return;
      if (waitingForDrain) {
        if (!pending || compareTableVersions(table, pending) > 0) pending = table;
        return;
      }
      write(table);
    },
    lastSent: () => sent,
  };
}
