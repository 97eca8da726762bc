import { createHash } from 'node:crypto';
import type Redis from 'ioredis';

/** What a script takes after its keys (ARGV); a Buffer goes out as it is (no UTF-8 encoding of a large string). */
export type ScriptArg = string | number | Buffer;

/** A Lua script run with EVALSHA, falling back to EVAL after a Redis restart emptied the script cache. */
export interface LuaScript {
  /** SHA-1 of the source, for EVALSHA inside a pipeline. */
  readonly sha: string;
  run(client: Redis, keys: readonly string[], args: readonly ScriptArg[]): Promise<unknown>;
}

/**
 * Defines a script once (module level is fine: it holds only the source and its
 * SHA-1). EVALSHA saves sending the source on every call; the one EVAL after a
 * NOSCRIPT loads it again, so a restarted or failed-over Redis needs no warm-up.
 */
export function luaScript(source: string): LuaScript {
  const sha = createHash('sha1').update(source).digest('hex');
  return {
    sha,
    async run(client, keys, args) {
      // One array, not spread into call(): a large patch of keys (tens of thousands of arguments) would overflow the stack.
      const argv: ScriptArg[] = [sha, keys.length, ...keys, ...args];
      try {
        return await client.call('EVALSHA', argv);
      } catch (err) {
        if (!(err instanceof Error) || !err.message.startsWith('NOSCRIPT')) throw err;
        argv[0] = source;
        return client.call('EVAL', argv);
      }
    },
  };
}
