import type Redis from 'ioredis';
import type { LuaScript, ScriptArg } from '@switchyard/redis';

/** One queued script call. */
interface Call {
  keys: readonly string[];
  args: readonly ScriptArg[];
  resolve(): void;
  reject(err: unknown): void;
}

export interface ScriptBatch {
  /** Queues one call; it is sent with every other call of this event-loop turn. */
  run(keys: readonly string[], args: readonly ScriptArg[]): Promise<void>;
  /** Sends what is queued now (stop()). */
  flush(): Promise<void>;
}

/**
 * Calls of one Lua script collected per event-loop turn and sent as one
 * pipeline: the limiter's releases are not on the request's critical path, and
 * under load one write for many releases instead of one each cut the hot path's
 * Redis cost (issue 9: at most one round trip per request, the acquire). A
 * NOSCRIPT reply (Redis restarted) retries that call with the script's own
 * EVALSHA-then-EVAL.
 */
export function createScriptBatch(client: Redis, script: LuaScript): ScriptBatch {
  let queue: Call[] = [];
  let scheduled = false;
  const flush = async () => {
    scheduled = false;
    if (queue.length === 0) return;
    const calls = queue;
    queue = [];
    const pipeline = client.pipeline();
    for (const call of calls) pipeline.evalsha(script.sha, call.keys.length, ...call.keys, ...call.args);
    const results = await pipeline.exec().catch((err: unknown) => calls.map(() => [err, null] as [unknown, unknown]));
    calls.forEach((call, i) => {
      const err = results?.[i]?.[0];
      if (!err) return call.resolve();
      if (err instanceof Error && err.message.startsWith('NOSCRIPT')) return void script.run(client, call.keys, call.args).then(() => call.resolve(), call.reject);
      call.reject(err);
    });
  };
  return {
    run(keys, args) {
      return new Promise((resolve, reject) => {
        queue.push({ keys, args, resolve, reject });
        if (scheduled) return;
        scheduled = true;
        setImmediate(() => void flush());
      });
    },
    flush,
  };
}
