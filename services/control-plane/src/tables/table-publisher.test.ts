import { PassThrough } from 'node:stream';
import { createLogger } from '@switchyard/observability';
import { createSingleReplicaLeadership } from '../leader/leadership';
import { createMemoryStateStore } from '../state/memory-state-store';
import { record } from '../state/state-store.contract';
import { createTablePublisher } from './table-publisher';

const logger = createLogger({ service: 'control-plane', stream: new PassThrough(), level: 'error' });

describe('createTablePublisher', () => {
  it('publishes an empty table at start, a new version per routing change, none for no-op changes', async () => {
    const store = createMemoryStateStore({ versionSeed: 100 });
    const publisher = createTablePublisher({ store, leadership: createSingleReplicaLeadership('r1'), defaultStrategy: 'weighted-random', now: () => 5, logger });
    await publisher.start();
    expect(await store.getTable()).toMatchObject({ epoch: 1, version: 101, default_strategy: 'weighted-random', schedulers: [] });

    await store.upsertScheduler(record('a'));
    await publisher.rebuild();
    expect((await store.getTable())!.version).toBe(102);

    await store.upsertScheduler(record('a', { updated_at_ms: 99, lease_expires_at_ms: 999 }));
    await publisher.rebuild();
    expect((await store.getTable())!.version).toBe(102);
    await publisher.stop();
  });

  it('coalesces a burst of changes into few rebuilds that end on the latest state', async () => {
    const store = createMemoryStateStore();
    const publisher = createTablePublisher({ store, leadership: createSingleReplicaLeadership('r1'), defaultStrategy: 'round-robin', now: () => 5, logger });
    await publisher.start();
    for (let i = 0; i < 50; i++) await store.upsertScheduler(record(`s${i}`));
    await new Promise((resolve) => setTimeout(resolve, 20));
    await publisher.rebuild();
    const table = (await store.getTable())!;
    expect(table.schedulers).toHaveLength(50);
    expect(table.version).toBeLessThan(50);
    await publisher.stop();
  });
});
