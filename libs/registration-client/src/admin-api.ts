/**
 * The two control-plane admin calls a scheduler makes about itself
 * (ARCHITECTURE.md, "Control plane admin HTTP API", calls marked R). Expected
 * failures (control plane down, timeout, non-2xx) are values, never throws.
 */

/** What a scheduler tells the control plane about itself (body of `POST /admin/scheduler/add`). */
export interface SchedulerRegistration {
  /** Omitted: the control plane assigns one, and the client keeps using it. */
  id?: string;
  url: string;
  /** Omitted: the control plane discovers them from the scheduler's `GET /v1/models`. */
  models?: string[];
  weight?: number;
  priority?: number;
  labels?: Record<string, string>;
  /** The scheduler's own key (e.g. vLLM `--api-key`); never logged. */
  api_key?: string;
}

export type CallResult = { ok: true; status: number; schedulerId: string | undefined } | { ok: false; status: number | null; error: string };

export interface AdminApi {
  add(registration: SchedulerRegistration, ttlSeconds: number, signal: AbortSignal): Promise<CallResult>;
  remove(id: string, signal: AbortSignal): Promise<CallResult>;
}

export interface AdminApiOptions {
  controlPlaneUrl: string;
  token?: string;
  fetch: typeof fetch;
}

/** Binds the admin calls to one control plane base URL (a path prefix is kept). */
export function createAdminApi(options: AdminApiOptions): AdminApi {
  const base = options.controlPlaneUrl.replace(/\/+$/, '');
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (options.token) headers.authorization = `Bearer ${options.token}`;
  return {
    add: (registration, ttlSeconds, signal) =>
      call(options.fetch, `${base}/admin/scheduler/add`, { method: 'POST', headers, body: JSON.stringify({ ...registration, ttl_seconds: ttlSeconds }), signal }),
    remove: (id, signal) => call(options.fetch, `${base}/admin/scheduler/remove?id=${encodeURIComponent(id)}`, { method: 'DELETE', headers, signal }),
  };
}

async function call(fetchFn: typeof fetch, url: string, init: RequestInit): Promise<CallResult> {
  let response: Response;
  try {
    response = await fetchFn(url, init);
  } catch (err) {
    return { ok: false, status: null, error: describeFetchError(err) };
  }
  const body = await readJson(response);
  if (response.ok) return { ok: true, status: response.status, schedulerId: schedulerIdOf(body) };
  return { ok: false, status: response.status, error: errorMessageOf(body) ?? `HTTP ${response.status}` };
}

async function readJson(response: Response): Promise<unknown> {
  try {
    return JSON.parse(await response.text()) as unknown;
  } catch {
    return undefined;
  }
}

function schedulerIdOf(body: unknown): string | undefined {
  const id = field(field(body, 'scheduler'), 'id');
  return typeof id === 'string' ? id : undefined;
}

function errorMessageOf(body: unknown): string | undefined {
  const message = field(field(body, 'error'), 'message');
  return typeof message === 'string' ? message : undefined;
}

function field(value: unknown, name: string): unknown {
  return typeof value === 'object' && value !== null ? (value as Record<string, unknown>)[name] : undefined;
}

/** Short reason for a failed call (`ECONNREFUSED`, `timeout`). Duck-typed: fetch errors may come from another realm. */
function describeFetchError(err: unknown): string {
  const name = field(err, 'name');
  if (name === 'TimeoutError') return 'timeout';
  if (name === 'AbortError') return 'aborted';
  const cause = field(err, 'cause');
  const detail = field(cause, 'code') ?? field(cause, 'message') ?? field(err, 'message');
  return typeof detail === 'string' ? detail : String(err);
}
