import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startStack, type Stack, type StackOptions } from './stack';

/** One entry of the API keys file (ARCHITECTURE.md "API keys file"). */
export interface KeyEntry {
  key?: string;
  key_sha256?: string;
  user: string;
  enabled?: boolean;
  allowed_models?: string[];
  rpm?: number;
  tpm?: number;
  max_concurrency?: number;
  allow_backend_pin?: boolean;
  priority?: string;
}

/** A local stack whose control plane reads an API keys file in a temp dir (issue 6 end-to-end tests). */
export interface KeysStack extends Stack {
  keysFile: string;
  writeKeys(keys: KeyEntry[]): void;
}

/** Fast sims: the tests measure the gateway's limits, not generation time. */
export const FAST_SIM = { SIM_TTFT_MS: '2', SIM_ITL_MS: '1' };

export async function startKeysStack(keys: KeyEntry[], options: StackOptions = {}): Promise<KeysStack> {
  const dir = mkdtempSync(path.join(tmpdir(), 'switchyard-e2e-keys-'));
  const keysFile = path.join(dir, 'api-keys.json');
  const writeKeys = (entries: KeyEntry[]) => writeFileSync(keysFile, JSON.stringify({ keys: entries }));
  writeKeys(keys);
  let stack: Stack;
  try {
    stack = await startStack({ ...options, simEnv: { ...FAST_SIM, ...options.simEnv }, controlPlaneEnv: { API_KEYS_FILE: keysFile, ...options.controlPlaneEnv } });
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
  return {
    ...stack,
    keysFile,
    writeKeys,
    async stop() {
      await stack.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** POST /v1/chat/completions with a key (Bearer). */
export function chat(gatewayUrl: string, key: string | undefined, body: Record<string, unknown> = {}): Promise<Response> {
  return fetch(`${gatewayUrl}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(key === undefined ? {} : { authorization: `Bearer ${key}` }) },
    body: JSON.stringify({ model: 'sim-model', messages: [{ role: 'user', content: 'hello there' }], max_tokens: 4, ...body }),
    signal: AbortSignal.timeout(10_000),
  });
}

/** Runs `count` calls with at most `concurrency` in flight; results in call order. */
export async function inParallel<T>(count: number, concurrency: number, call: (i: number) => Promise<T>): Promise<T[]> {
  const results: T[] = new Array<T>(count);
  let next = 0;
  const worker = async () => {
    while (next < count) {
      const i = next++;
      results[i] = await call(i);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return results;
}

/** Keys matching `pattern`, with redis-cli (the e2e tests need no Redis client library). */
function scanKeys(url: string, pattern: string): string[] {
  return execFileSync('redis-cli', ['-u', url, '--scan', '--pattern', pattern], { encoding: 'utf8', timeout: 5_000 }).split('\n').filter(Boolean);
}

/** Deletes every key under `prefix`. */
export function deleteRedisKeys(url: string, prefix: string): void {
  const keys = scanKeys(url, `${prefix}*`);
  for (let i = 0; i < keys.length; i += 500) execFileSync('redis-cli', ['-u', url, 'DEL', ...keys.slice(i, i + 500)], { timeout: 5_000 });
}

/** Tokens the rate limiter has counted in Redis under `prefix`, summed over every key and minute. */
export function countedTokens(url: string, prefix: string): number {
  return scanKeys(url, `${prefix}ratelimit:*:tokens`).reduce((sum, key) => {
    const values = execFileSync('redis-cli', ['-u', url, 'HVALS', key], { encoding: 'utf8', timeout: 5_000 }).split('\n').filter(Boolean);
    return sum + values.reduce((s, v) => s + Number(v), 0);
  }, 0);
}
