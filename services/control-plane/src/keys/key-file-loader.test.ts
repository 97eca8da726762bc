import { mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { createLogger } from '@switchyard/observability';
import { waitFor } from '@switchyard/testing';
import { createMemoryStateStore } from '../state/memory-state-store';
import { createKeyFileLoader } from './key-file-loader';

const logger = createLogger({ service: 'control-plane', stream: new PassThrough(), level: 'error' });
const fileWith = (users: string[]) => JSON.stringify({ keys: users.map((user, i) => ({ key: `sk-poll-test-key-${i}`, user })) });

/**
 * Polls compare the file's stat and read it only when it changed (issue 16: at
 * 100,000 keys a read and hash per second was a tenth of a core); a change that
 * keeps the size (and even the mtime) is still seen, because the inode or ctime moves.
 */
describe('API_KEYS_FILE polling', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(path.join(os.tmpdir(), 'key-poll-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('picks up a same-size rewrite with the old mtime by polling', async () => {
    const file = path.join(dir, 'keys.json');
    writeFileSync(file, fileWith(['aaaa']));
    const store = createMemoryStateStore();
    // Polling only in effect: the debounce of fs.watch events is longer than the test.
    const loader = createKeyFileLoader({ path: file, store, logger, pollIntervalMs: 50, debounceMs: 60_000 });
    await loader.start();
    try {
      expect((await store.listApiKeys()).map((k) => k.user)).toEqual(['aaaa']);
      const past = new Date(Date.now() - 60_000);
      utimesSync(file, past, past);
      await new Promise((r) => setTimeout(r, 150));
      writeFileSync(file, fileWith(['bbbb']));
      utimesSync(file, past, past);
      await waitFor(async () => (await store.listApiKeys()).some((k) => k.user === 'bbbb'), 3_000, 20, 'the rewritten keys');
    } finally {
      await loader.stop();
    }
  });
});
