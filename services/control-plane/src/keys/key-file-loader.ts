import { createHash } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import { createSerialRunner, type Component } from '@switchyard/lifecycle';
import type { Logger } from '@switchyard/observability';
import type { StateStore } from '../state/state-store';
import type { StoredApiKey } from './api-key-record';
import { watchFile, type FileWatch } from './file-watch';
import { parseKeyFile } from './key-file';

export interface KeyFileLoaderDeps {
  /** API_KEYS_FILE. */
  path: string;
  store: StateStore;
  logger: Logger;
  /** How often the file is re-read when no change event came (fs.watch misses some, e.g. on network volumes). Default 1 s. */
  pollIntervalMs?: number;
  /** Change events arrive in bursts (an editor's save, a Kubernetes Secret's symlink swap); default 50 ms. */
  debounceMs?: number;
  /** Every this many polls, checks that the shared state still holds the file keys (Redis may have lost them). Default 10. */
  restoreEveryPolls?: number;
}

export type ReloadResult = { ok: true; keys: number; changed: boolean } | { ok: false; problems: string[] };

export interface KeyFileLoader extends Component {
  /** POST /admin/keys/reload: re-reads the file; a bad file changes nothing and answers with its problems. */
  reload(): Promise<ReloadResult>;
}

/**
 * Keeps the shared state's file keys equal to API_KEYS_FILE (issue 6): a bad file
 * at start-up fails the start (one line naming every problem); a bad file later
 * keeps the keys in force and is logged (once per content) and reported by
 * reload(). Changes are picked up by fs.watch on the file's directory (which also
 * sees a Kubernetes Secret's `..data` swap) plus polling, debounced. Every
 * replica loads the file; equal key sets are not written again (compare-and-set).
 */
export function createKeyFileLoader(deps: KeyFileLoaderDeps): KeyFileLoader {
  const log = deps.logger.child({ component: 'api-keys' });
  const pollMs = deps.pollIntervalMs ?? 1_000;
  let loaded: StoredApiKey[] = [];
  let lastDigest = '';
  /** The file's stat when it was last read: a poll that finds it unchanged reads nothing. */
  let lastStat = '';
  let unwritten = false;
  let polls = 0;
  let watching: FileWatch | undefined;

  const write = async (keys: StoredApiKey[]): Promise<boolean> => {
    unwritten = true;
    const changed = await deps.store.replaceFileKeys(keys);
    unwritten = false;
    return changed;
  };
  const writeQuietly = async (keys: StoredApiKey[]) => {
    await write(keys).catch((err: unknown) => log.warn('cannot store the API keys yet; retrying', { error: String(err) }));
  };

  const read = async () => {
    lastStat = await statSignature(deps.path);
    return readKeyFile(deps.path);
  };

  const checkOnce = async () => {
    // At 100,000 keys the file is ≈ 13 MB: reading and hashing it every second was a tenth of a core (issue 16).
    const unchanged = lastStat !== '' && (await statSignature(deps.path)) === lastStat;
    const file = unchanged ? undefined : await read();
    if (file?.ok && file.digest !== lastDigest) {
      lastDigest = file.digest;
      const parsed = parseKeyFile(file.text);
      if (!parsed.ok) {
        log.warn('API_KEYS_FILE changed but is invalid; the keys in force stay', { problems: parsed.problems });
      } else {
        loaded = parsed.keys;
        await writeQuietly(loaded);
        log.info('API_KEYS_FILE reloaded', { keys: loaded.length });
      }
    } else if (unwritten) {
      await writeQuietly(loaded);
    }
    polls += 1;
    if (polls % (deps.restoreEveryPolls ?? 10) === 0 && loaded.length > 0) await restoreIfLost();
  };
  const restoreIfLost = async () => {
    const stored = await deps.store.listApiKeys().catch(() => undefined);
    if (stored && !stored.some((key) => key.source === 'file')) {
      log.warn('the shared state lost the file keys; writing them again');
      await writeQuietly(loaded);
    }
  };
  const check = createSerialRunner(async () => {
    await checkOnce().catch((err: unknown) => {
      log.error('API_KEYS_FILE check failed', { error: String(err) });
    });
  });

  return {
    name: 'api-key-file',
    async start() {
      const file = await read();
      if (!file.ok) throw new Error(`API_KEYS_FILE: ${file.problem}`);
      const parsed = parseKeyFile(file.text);
      if (!parsed.ok) throw new Error(`API_KEYS_FILE ${deps.path}: ${parsed.problems.join('; ')}`);
      loaded = parsed.keys;
      lastDigest = file.digest;
      await writeQuietly(loaded);
      log.info('API_KEYS_FILE loaded', { keys: loaded.length });
      watching = watchFile(deps.path, { pollMs, debounceMs: deps.debounceMs ?? 50 }, () => void check.run());
    },
    async stop() {
      watching?.close();
      await check.idle();
    },
    async reload() {
      const file = await read();
      const parsed = file.ok ? parseKeyFile(file.text) : { ok: false as const, problems: [file.problem] };
      if (!parsed.ok) {
        log.warn('API_KEYS_FILE reload refused; the keys in force stay', { problems: parsed.problems });
        return parsed;
      }
      if (file.ok) lastDigest = file.digest;
      loaded = parsed.keys;
      const changed = await write(loaded);
      log.info('API_KEYS_FILE reloaded', { keys: loaded.length, changed });
      return { ok: true, keys: loaded.length, changed };
    },
  };
}

/** What changes when the file's content (or the file a Kubernetes Secret's symlink points to) changes; '' when it cannot be read. */
async function statSignature(file: string): Promise<string> {
  try {
    const s = await stat(file);
    return `${s.dev}:${s.ino}:${s.size}:${s.mtimeMs}:${s.ctimeMs}`;
  } catch {
    return '';
  }
}

/** The file's text and content hash, or why it cannot be read (the error code only). */
async function readKeyFile(file: string): Promise<{ ok: true; text: string; digest: string } | { ok: false; problem: string }> {
  try {
    const text = await readFile(file, 'utf8');
    return { ok: true, text, digest: createHash('sha256').update(text).digest('hex') };
  } catch (err) {
    return { ok: false, problem: `cannot read ${file} (${(err as NodeJS.ErrnoException).code ?? String(err)})` };
  }
}
