import { setTimeout as delay } from 'node:timers/promises';

export interface WaitForServerOptions {
  /** Base URL of the inference server (vLLM, SGLang, the sim). */
  url: string;
  /** Sent to `/v1/models` (vLLM protects it with `--api-key`; `/health` is open). */
  apiKey?: string;
  pollIntervalMs: number;
  /** 0 = no limit. */
  timeoutMs: number;
  signal: AbortSignal;
  fetch?: typeof fetch;
  onWaiting?: (attempts: number) => void;
}

export type WaitOutcome = 'ready' | 'timeout' | 'aborted';

/**
 * Polls `GET /health`, then `GET /v1/models`, until one answers 2xx: registering a
 * server that is still loading its model would only make the control plane probe
 * (and report) a node that cannot serve yet.
 */
export async function waitForServer(options: WaitForServerOptions): Promise<WaitOutcome> {
  const fetchFn = options.fetch ?? globalThis.fetch;
  const base = options.url.replace(/\/+$/, '');
  const deadline = options.timeoutMs > 0 ? Date.now() + options.timeoutMs : Number.POSITIVE_INFINITY;
  const callTimeoutMs = Math.max(options.pollIntervalMs, 1_000);
  const models: RequestInit = options.apiKey ? { headers: { authorization: `Bearer ${options.apiKey}` } } : {};
  for (let attempts = 1; ; attempts++) {
    if (options.signal.aborted) return 'aborted';
    if (await answers(fetchFn, `${base}/health`, {}, callTimeoutMs, options.signal)) return 'ready';
    if (await answers(fetchFn, `${base}/v1/models`, models, callTimeoutMs, options.signal)) return 'ready';
    if (Date.now() + options.pollIntervalMs > deadline) return 'timeout';
    options.onWaiting?.(attempts);
    try {
      await delay(options.pollIntervalMs, undefined, { signal: options.signal });
    } catch {
      return 'aborted';
    }
  }
}

async function answers(fetchFn: typeof fetch, url: string, init: RequestInit, timeoutMs: number, signal: AbortSignal): Promise<boolean> {
  try {
    const response = await fetchFn(url, { ...init, signal: AbortSignal.any([signal, AbortSignal.timeout(timeoutMs)]) });
    await response.body?.cancel();
    return response.ok;
  } catch {
    return false;
  }
}
