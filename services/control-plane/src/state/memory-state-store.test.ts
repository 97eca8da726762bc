import { createMemoryStateStore } from './memory-state-store';
import { describeStateStoreContract } from './state-store.contract';

describeStateStoreContract('memory', async () => createMemoryStateStore());
