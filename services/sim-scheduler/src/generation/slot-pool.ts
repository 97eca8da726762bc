/**
 * Simulated batch capacity: up to `maxRunning` generations at once; the rest wait
 * in FIFO order (vLLM's running / waiting queues). Running requests hold their
 * tokens in a simulated KV cache, reported as a usage ratio.
 */
export interface SlotPool {
  /** Queues a request; `onGranted` runs (synchronously when a slot is free) once it may generate. */
  acquire(tokens: number, onGranted: () => void): Ticket;
  load(): Load;
}

export interface Ticket {
  /** Frees the slot, or leaves the queue if still waiting. Idempotent. */
  release(): void;
}

export interface Load {
  running: number;
  waiting: number;
  kv_cache_usage: number;
}

interface Entry {
  tokens: number;
  onGranted: () => void;
  state: 'waiting' | 'running' | 'released';
}

export function createSlotPool(maxRunning: number, kvCacheTokens: number): SlotPool {
  const queue: Entry[] = [];
  let running = 0;
  let tokensInUse = 0;

  function grant(entry: Entry): void {
    entry.state = 'running';
    running += 1;
    tokensInUse += entry.tokens;
    entry.onGranted();
  }

  function drain(): void {
    while (running < maxRunning && queue.length > 0) grant(queue.shift()!);
  }

  return {
    acquire(tokens, onGranted) {
      const entry: Entry = { tokens, onGranted, state: 'waiting' };
      if (running < maxRunning && queue.length === 0) grant(entry);
      else queue.push(entry);
      return {
        release() {
          if (entry.state === 'waiting') queue.splice(queue.indexOf(entry), 1);
          if (entry.state === 'running') {
            running -= 1;
            tokensInUse -= entry.tokens;
          }
          entry.state = 'released';
          drain();
        },
      };
    },
    load: () => ({ running, waiting: queue.length, kv_cache_usage: Math.min(1, tokensInUse / kvCacheTokens) }),
  };
}
