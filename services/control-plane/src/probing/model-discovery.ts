/**
 * Model discovery: when a scheduler registers without `models`, the control
 * plane asks the scheduler itself (`GET {url}/v1/models`, OpenAI's list shape).
 * Expected failures are values, never throws, so callers can store the reason as
 * the scheduler's `last_error`.
 */
/** `status`: the HTTP status of an answer that was not a model list (401 means the api_key is wrong). */
export type DiscoveryResult = { ok: true; models: string[] } | { ok: false; error: string; status?: number };

export interface DiscoveryRequest {
  /** Normalized scheduler URL (no trailing slash). */
  url: string;
  /** Sent as `Authorization: Bearer …` when set; never part of an error message. */
  apiKey?: string;
  /** The caller's signal (e.g. the admin request); the timeout applies in any case. */
  signal?: AbortSignal;
}

export type DiscoverModels = (request: DiscoveryRequest) => Promise<DiscoveryResult>;

/** A listing is a few KB; anything much larger is not a model list. */
const MAX_BODY_BYTES = 1024 * 1024;

/** Creates the discovery function with its timeout (PROBE_TIMEOUT_MS). */
export function createModelDiscovery(timeoutMs: number): DiscoverModels {
  return async ({ url, apiKey, signal }) => {
    const timeout = AbortSignal.timeout(timeoutMs);
    try {
      const response = await fetch(`${url}/v1/models`, {
        // Rare calls: a kept-alive idle socket would hold one of the few HTTP threads of an engine like llama.cpp.
        headers: { accept: 'application/json', connection: 'close', ...(apiKey ? { authorization: `Bearer ${apiKey}` } : {}) },
        // A redirect could lead anywhere, including addresses the URL policy refuses.
        redirect: 'error',
        signal: signal ? AbortSignal.any([timeout, signal]) : timeout,
      });
      if (!response.ok) {
        await response.body?.cancel();
        return { ...failed(`GET /v1/models answered HTTP ${response.status}`), status: response.status };
      }
      return parseModelList(await readCapped(response));
    } catch (err) {
      if (timeout.aborted) return failed(`GET /v1/models timed out after ${timeoutMs} ms`);
      return failed(describeFetchError(err));
    }
  };
}

/** Extracts model ids from an OpenAI `ListModelsResponse` body. */
export function parseModelList(body: string): DiscoveryResult {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    return failed('GET /v1/models did not answer JSON');
  }
  const data = (parsed as { data?: unknown } | null)?.data;
  if (!Array.isArray(data)) return failed('GET /v1/models answer has no data array');
  const ids = data.map((m: unknown) => (m as { id?: unknown } | null)?.id).filter((id): id is string => typeof id === 'string' && id.length > 0 && id.length <= 256);
  if (ids.length === 0) return failed('GET /v1/models listed no models');
  return { ok: true, models: [...new Set(ids)].slice(0, 256) };
}

async function readCapped(response: Response): Promise<string> {
  if (!response.body) return '';
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > MAX_BODY_BYTES) {
      await reader.cancel();
      throw new Error(`answer larger than ${MAX_BODY_BYTES} bytes`);
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function describeFetchError(err: unknown): string {
  // undici puts the socket error (ECONNREFUSED …) in `cause`.
  const cause = (err as { cause?: { code?: string; message?: string } } | null)?.cause;
  if (cause?.code) return `GET /v1/models failed: ${cause.code}`;
  if (err instanceof Error && err.name === 'AbortError') return 'GET /v1/models was cancelled';
  return `GET /v1/models failed: ${cause?.message ?? (err instanceof Error ? err.message : String(err))}`;
}

function failed(reason: string): DiscoveryResult {
  return { ok: false, error: `model discovery failed: ${reason}` };
}
