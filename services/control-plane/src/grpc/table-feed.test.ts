import { PassThrough } from 'node:stream';
import { createLogger } from '@switchyard/observability';
import { diffTables, type RoutingTable } from '@switchyard/proto';
import { createSingleReplicaLeadership } from '../leader/leadership';
import { createMemoryStateStore } from '../state/memory-state-store';
import { record } from '../state/state-store.contract';
import type { StateStore } from '../state/state-store';
import { createTablePublisher } from '../tables/table-publisher';
import { createTableFeed } from './table-feed';

/**
 * The feed reads what the leader's publisher stored (real tables and change
 * batches from a memory store); the store is wrapped to count full reads and to
 * fail on demand.
 */
function setup(options: { keep?: number; changeLogSize?: number } = {}) {
  const store = createMemoryStateStore({ versionSeed: 0, changeLogSize: options.changeLogSize });
  const calls = { getTable: 0, tableChangesSince: 0 };
  const failures: { getTable?: Error; tableChangesSince?: Error } = {};
  const watched: StateStore = {
    ...store,
    getTable: () => (calls.getTable++, failures.getTable ? Promise.reject(failures.getTable) : store.getTable()),
    tableChangesSince: (version) => (calls.tableChangesSince++, failures.tableChangesSince ? Promise.reject(failures.tableChangesSince) : store.tableChangesSince(version)),
  };
  let logs = '';
  const logger = createLogger({ service: 'control-plane', stream: new PassThrough().on('data', (chunk: Buffer) => (logs += chunk.toString())), level: 'warn' });
  const publisher = createTablePublisher({ store, leadership: createSingleReplicaLeadership('r1'), defaultStrategy: 'round-robin', now: () => 5, logger, coalesceMs: 0 });
  const feed = createTableFeed({ store: watched, logger, keep: options.keep });
  let next = 0;
  /** Registers one more scheduler and publishes the next table version (with its batch after the first). */
  const publish = async (): Promise<RoutingTable> => {
    await store.upsertScheduler(record(`s${next++}`));
    await publisher.rebuild();
    return (await store.getTable())!;
  };
  return { store, feed, calls, failures, publish, logs: () => logs };
}

const at = (version: number) => ({ epoch: 1, version });
const versions = (batches: RoutingTable[] | undefined) => batches?.map((b) => b.version);

describe('createTableFeed', () => {
  it('has no table before its first refresh, then reads the stored one in full', async () => {
    const { feed, publish, calls } = setup();
    expect(feed.current()).toBeUndefined();
    expect(feed.recentSince(at(1))).toBeUndefined();
    expect(await feed.changesSince(at(1))).toBeUndefined();

    await publish();
    await feed.refresh();
    expect(feed.current()).toMatchObject({ epoch: 1, version: 1, schedulers: [{ id: 's0' }] });
    expect(calls.getTable).toBe(1);
    expect(feed.recentSince(at(1))).toEqual([]);
  });

  it('catches up by applying the change log in order, without reading the whole table again', async () => {
    const { feed, publish, calls } = setup();
    await publish();
    await feed.refresh();
    await publish();
    const v3 = await publish();
    await feed.refresh();

    expect(calls.getTable).toBe(1);
    expect(feed.current()!.version).toBe(3);
    expect(feed.current()!.schedulers.map((s) => s.id)).toEqual(v3.schedulers.map((s) => s.id));
    // A refresh with nothing new changes nothing and reads nothing in full.
    await feed.refresh();
    expect(calls.getTable).toBe(1);
  });

  it('gives a gateway behind it exactly the batches it lacks, and undefined for a base it does not hold', async () => {
    const { feed, publish } = setup();
    await publish();
    await feed.refresh();
    for (let i = 0; i < 3; i++) await publish();
    await feed.refresh();

    expect(versions(feed.recentSince(at(1)))).toEqual([2, 3, 4]);
    expect(versions(feed.recentSince(at(3)))).toEqual([4]);
    expect(feed.recentSince(at(4))).toEqual([]);
    expect(feed.recentSince(at(9))).toBeUndefined();
    expect(feed.recentSince({ epoch: 2, version: 1 })).toBeUndefined();
    for (const batch of feed.recentSince(at(1))!) expect(batch.delta).toMatchObject({ base_epoch: 1, base_version: batch.version - 1 });
  });

  it('holds only `keep` batches in memory and asks the store change log for older bases', async () => {
    const { feed, publish, calls } = setup({ keep: 2 });
    await publish();
    await feed.refresh();
    for (let i = 0; i < 4; i++) await publish();
    await feed.refresh();

    expect(versions(feed.recentSince(at(3)))).toEqual([4, 5]);
    expect(feed.recentSince(at(1))).toBeUndefined();
    const asked = calls.tableChangesSince;
    expect(versions(await feed.changesSince(at(1)))).toEqual([2, 3, 4, 5]);
    expect(calls.tableChangesSince).toBe(asked + 1);
    // Held in memory: the store is not asked.
    expect(versions(await feed.changesSince(at(4)))).toEqual([5]);
    expect(calls.tableChangesSince).toBe(asked + 1);
  });

  it('answers a gateway with no table (version 0) with undefined, a snapshot, without asking the store', async () => {
    const { feed, publish, calls } = setup();
    await publish();
    await feed.refresh();
    const asked = calls.tableChangesSince;
    expect(await feed.changesSince(at(0))).toBeUndefined();
    expect(calls.tableChangesSince).toBe(asked);
  });

  it('reads the table in full when a newer one was stored without a batch (the change log was emptied)', async () => {
    const { feed, publish, store, calls } = setup();
    const v1 = await publish();
    await feed.refresh();
    expect(await store.putTable({ ...v1, version: 7, schedulers: [] })).toBe(true);
    await feed.refresh();

    expect(feed.current()).toMatchObject({ version: 7, schedulers: [] });
    expect(calls.getTable).toBe(2);
    expect(feed.recentSince(at(1))).toBeUndefined();
  });

  it('reads the table in full when the change log was trimmed past its version (a gap)', async () => {
    const { feed, publish, calls } = setup({ changeLogSize: 2 });
    await publish();
    await feed.refresh();
    for (let i = 0; i < 4; i++) await publish();
    await feed.refresh();

    expect(feed.current()).toMatchObject({ version: 5 });
    expect(feed.current()!.schedulers).toHaveLength(5);
    expect(calls.getTable).toBe(2);
    // The batches before the full read do not chain to it: none are offered.
    expect(feed.recentSince(at(4))).toBeUndefined();
  });

  it('a failed refresh rejects, keeps the last table, and does not wedge the next refresh', async () => {
    const { feed, publish, failures } = setup();
    await publish();
    await feed.refresh();
    await publish();
    failures.tableChangesSince = new Error('redis down');
    await expect(feed.refresh()).rejects.toThrow('redis down');
    expect(feed.current()!.version).toBe(1);

    delete failures.tableChangesSince;
    await feed.refresh();
    expect(feed.current()!.version).toBe(2);
  });

  it('a change log it cannot read for a resuming gateway means a snapshot (undefined) and a warning, not an error', async () => {
    const { feed, publish, failures, logs } = setup({ keep: 1 });
    await publish();
    await feed.refresh();
    await publish();
    await publish();
    await feed.refresh();
    failures.tableChangesSince = new Error('redis down');

    expect(await feed.changesSince(at(1))).toBeUndefined();
    const warning = logs().split('\n').filter(Boolean).map((line) => JSON.parse(line) as Record<string, unknown>).find((line) => line.component === 'table-feed');
    expect(warning).toMatchObject({ level: 'warn', error: 'Error: redis down' });

    // The failed read is not kept: once the log can be read again, the next resume gets its batches.
    delete failures.tableChangesSince;
    expect(versions(await feed.changesSince(at(1)))).toEqual([2, 3]);
  });
});

const quietLogger = createLogger({ service: 'control-plane', stream: new PassThrough(), level: 'error' });
const bareTable = (version: number, strategy = 'round-robin'): RoutingTable => ({ epoch: 1, version, generated_at_ms: version, default_strategy: strategy, schedulers: [], models: {}, api_keys: [], auth_required: false });

describe('table feed: resumes from the change log (issue 16)', () => {
  it('reads and parses the log once for every gateway resuming from the same version while the table stands', async () => {
    const store = createMemoryStateStore();
    let logReads = 0;
    const read = store.tableChangesSince.bind(store);
    store.tableChangesSince = (version) => {
      logReads += 1;
      return read(version);
    };
    const v = [bareTable(1), bareTable(2, 'least-latency'), bareTable(3), bareTable(4, 'least-latency')];
    await store.putTable(v[0]!);
    // The feed keeps one batch in memory: resuming from version 1 needs the log.
    const feed = createTableFeed({ store, logger: quietLogger, keep: 1 });
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
