import { EventEmitter } from 'node:events';
import type { RoutingTable } from '@switchyard/proto';
import { createSnapshotGate, createTableStreamWriter, type TableSink } from './table-stream-writer';

/** A sink that reports "full" after `capacity` writes until drain() is called. */
class FakeSink extends EventEmitter implements TableSink {
  written: number[] = [];
  done: Array<() => void> = [];
  private buffered = 0;
  constructor(private readonly capacity: number) {
    super();
  }
  write(table: RoutingTable, done?: () => void): boolean {
    this.written.push(table.version);
    if (done) this.done.push(done);
    this.buffered += 1;
    return this.buffered < this.capacity;
  }
  drain(): void {
    this.buffered = 0;
    this.emit('drain');
  }
}

const table = (version: number, epoch = 1): RoutingTable => ({
  epoch, version, generated_at_ms: 0, default_strategy: 'round-robin', schedulers: [], models: {}, api_keys: [], auth_required: false,
});

/** A source over a list of tables, each a batch on the previous one. */
function source(tables: RoutingTable[], heldFrom = 0) {
  let upTo = 0;
  return {
    publish(version: number) {
      upTo = version;
    },
    current: () => tables.find((t) => t.version === upTo),
    recentSince(have: { epoch: number; version: number }) {
      if (have.version < heldFrom) return undefined;
      return tables.filter((t) => t.version > have.version && t.version <= upTo).map((t) => ({ ...t, delta: { base_epoch: 1, base_version: t.version - 1 } as RoutingTable['delta'] }));
    },
  };
}

describe('createTableStreamWriter', () => {
  const tables = [1, 2, 3, 4, 5].map((v) => table(v));

  it('snapshot-only stream: writes the newest table, nothing it already has', () => {
    const sink = new FakeSink(100);
    const feed = source(tables);
    const writer = createTableStreamWriter(sink, feed, { deltas: false, have: { epoch: 1, version: 2 } });
    feed.publish(2);
    writer.resume([]);
    expect(sink.written).toEqual([]);
    feed.publish(4);
    writer.notify();
    writer.notify();
    expect(sink.written).toEqual([4]);
    expect(writer.lastSent()).toEqual({ epoch: 1, version: 4 });
  });

  it('snapshot-only stream: waits for drain when full, then sends only the newest', () => {
    const sink = new FakeSink(1);
    const feed = source(tables);
    const writer = createTableStreamWriter(sink, feed, { deltas: false });
    feed.publish(1);
    writer.notify();
    for (const v of [2, 3, 4]) {
      feed.publish(v);
      writer.notify();
    }
    expect(sink.written).toEqual([1]);
    sink.drain();
    expect(sink.written).toEqual([1, 4]);
  });

  it('delta stream: every batch since the last one sent, also after a drain; a snapshot when they are not held', () => {
    const sink = new FakeSink(2);
    const feed = source(tables, 2);
    const writer = createTableStreamWriter(sink, feed, { deltas: true, have: { epoch: 1, version: 2 } });
    feed.publish(5);
    writer.notify();
    expect(sink.written).toEqual([3, 4]);
    sink.drain();
    expect(sink.written).toEqual([3, 4, 5]);
    const fresh = new FakeSink(10);
    createTableStreamWriter(fresh, feed, { deltas: true }).notify();
    const behind = new FakeSink(10);
    createTableStreamWriter(behind, feed, { deltas: true, have: { epoch: 1, version: 1 } }).notify();
    expect([fresh.written, behind.written]).toEqual([[5], [5]]);
  });

  it('snapshots share a gate across streams: the next one is written when one before it is done; batches never wait (issue 16)', () => {
    const feed = source(tables);
    feed.publish(3);
    const gate = createSnapshotGate(1);
    const [a, b, c] = [new FakeSink(100), new FakeSink(100), new FakeSink(100)];
    const writers = [a, b, c].map((sink) => createTableStreamWriter(sink, feed, { deltas: true, snapshots: gate }));
    for (const w of writers) w.resume([]);
    expect([a.written, b.written, c.written]).toEqual([[3], [], []]);
    writers[2]!.close();
    a.done.shift()!();
    expect([a.written, b.written, c.written]).toEqual([[3], [3], []]);
    // A batch for a stream that has a table does not take a slot, even while b's snapshot holds it.
    feed.publish(4);
    writers[0]!.notify();
    expect(a.written).toEqual([3, 4]);
    expect(a.done).toHaveLength(0);
    b.done.shift()!();
    expect(c.written).toEqual([]);
  });
});
