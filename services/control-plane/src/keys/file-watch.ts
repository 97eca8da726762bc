import { watch, type FSWatcher } from 'node:fs';
import path from 'node:path';

export interface FileWatch {
  close(): void;
}

/**
 * Calls `onCheck` when a file may have changed: on fs.watch events of its
 * directory (which also sees a Kubernetes Secret's `..data` symlink swap),
 * debounced, and every `pollMs` anyway (fs.watch misses events on network
 * volumes and is absent on some platforms). Timers are unref'd; close() stops all.
 */
export function watchFile(file: string, options: { pollMs: number; debounceMs: number }, onCheck: () => void): FileWatch {
  let watcher: FSWatcher | undefined;
  let debounce: NodeJS.Timeout | undefined;
  const schedule = () => {
    clearTimeout(debounce);
    debounce = setTimeout(onCheck, options.debounceMs);
    debounce.unref();
  };
  try {
    watcher = watch(path.dirname(file), { persistent: false }, schedule);
    watcher.on('error', () => undefined); // polling still covers the file
  } catch {
    watcher = undefined;
  }
  const poll = setInterval(onCheck, options.pollMs);
  poll.unref();
  return {
    close() {
      watcher?.close();
      clearInterval(poll);
      clearTimeout(debounce);
    },
  };
}
