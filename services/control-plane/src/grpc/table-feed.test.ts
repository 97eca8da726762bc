import { PassThrough } from 'node:stream';
import { createLogger } from '@switchyard/observability';
import { diffTables, type RoutingTable } from '@switchyard/proto';
import { createMemoryStateStore } from '../state/memory-state-store';
import { createTableFeed } from './table-feed';

const logger = createLogger({ service: 'control-plane', stream: new PassThrough(), level: 'error' });
const table = (version: number, strategy = 'round-robin'): RoutingTable => ({ epoch: 1, version, generated_at_ms: version, default_strategy: strategy, schedulers: [], models: {}, api_keys: [], auth_required: false });

describe('table feed: resumes from the change log (issue 16)', () => {
  it('reads and parses the log once for every gateway resuming from the same version while the table stands', async () => {
    const store = createMemoryStateStore();
    let logReads = 0;
    const read = store.tableChangesSince.bind(store);
    store.tableChangesSince = (version) => {
      logReads += 1;
      return read(version);
    };
    const v = [table(1), table(2, 'least-latency'), table(3), table(4, 'least-latency')];
    await store.putTable(v[0]!);
    // The feed keeps one batch in memory: resuming from version 1 needs the log.
    const feed = createTableFeed({ store, logger, keep: 1 });
    await feed.refresh();
    for (let i = 1; i < 3; i++) await store.putTable(v[i]!, undefined, diffTables(v[i - 1]!, v[i]!));
    await feed.refresh();
    logReads = 0;

    const resumes = await Promise.all(Array.from({ length: 20 }, () => feed.changesSince({ epoch: 1, version: 1 })));
    expect(logReads).toBe(1);
    for (const batches of resumes) expect(batches!.map((b) => b.version)).toEqual([2, 3]);
    expect(resumes[0]![0]).toBe(resumes[19]![0]);

    await store.putTable(v[3]!, undefined, diffTables(v[2]!, v[3]!));
    await feed.refresh();
    logReads = 0;
    const after = await feed.changesSince({ epoch: 1, version: 1 });
    expect(after!.map((b) => b.version)).toEqual([2, 3, 4]);
    expect(logReads).toBe(1);
  });
});
