import { EventEmitter } from 'node:events';
import type { RoutingTable } from '@switchyard/proto';
import { createTableStreamWriter, type TableSink } from './table-stream-writer';

/** A sink that reports "full" after `capacity` writes until drain() is called. */
class FakeSink extends EventEmitter implements TableSink {
  written: number[] = [];
  private buffered = 0;
  constructor(private readonly capacity: number) {
    super();
  }
  write(table: RoutingTable): boolean {
    this.written.push(table.version);
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

describe('createTableStreamWriter', () => {
  it('writes newer tables and ignores ones the stream already has', () => {
    const sink = new FakeSink(100);
    const writer = createTableStreamWriter(sink, { epoch: 1, version: 2 });
    for (const v of [1, 2, 3, 3, 2, 4]) writer.offer(table(v));
    expect(sink.written).toEqual([3, 4]);
    writer.offer(table(1, 2));
    expect(sink.written).toEqual([3, 4, 1]);
    expect(writer.lastSent()).toEqual({ epoch: 2, version: 1 });
  });

  it('waits for drain when the stream is full and then sends only the newest pending table', () => {
    const sink = new FakeSink(1);
    const writer = createTableStreamWriter(sink);
    writer.offer(table(1));
    for (const v of [2, 4, 3]) writer.offer(table(v));
    expect(sink.written).toEqual([1]);
    sink.drain();
    expect(sink.written).toEqual([1, 4]);
    sink.drain();
    writer.offer(table(5));
    expect(sink.written).toEqual([1, 4, 5]);
  });
});
