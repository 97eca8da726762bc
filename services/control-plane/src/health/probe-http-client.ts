import http from 'node:http';
import https from 'node:https';

/** An answer read in full (body capped), or why there is none. Expected failures are values. */
export type ProbeResponse = { ok: true; status: number; body: string } | { ok: false; error: string; timedOut?: true };

export interface ProbeGet {
  url: string;
  headers: Record<string, string>;
  /** Deadline for the whole exchange, body included. */
  timeoutMs: number;
  /** Read the body (for /metrics); otherwise it is discarded. */
  readBody: boolean;
}

export interface ProbeHttpClient {
  get(request: ProbeGet): Promise<ProbeResponse>;
  /** Aborts requests in flight and closes kept-alive sockets. */
  close(): void;
}

/** A vLLM exposition with many models is a few hundred KB; more is not a metrics page. */
const MAX_BODY_BYTES = 4 * 1024 * 1024;

/**
 * A probe's requests are sequential, so one kept socket per scheduler; a few more
 * per host:port only for schedulers that share one (path-prefixed URLs).
 */
const AGENT_OPTIONS = { keepAlive: true, maxSockets: 8, maxFreeSockets: 8, scheduling: 'lifo' } as const;

/**
 * GETs over node:http with keep-alive agents: one kept socket per scheduler
 * serves both probe requests every interval, so 200 schedulers cost no
 * connection setup per probe and no fetch/WHATWG-stream allocations. Redirects
 * are not followed (a redirect could lead past the URL policy).
 */
export function createProbeHttpClient(): ProbeHttpClient {
  const agents = { http: new http.Agent(AGENT_OPTIONS), https: new https.Agent(AGENT_OPTIONS) };
  let closed = new AbortController();
  const get = async (request: ProbeGet): Promise<ProbeResponse> => {
    const first = await getOnce(request, agents, closed.signal);
    // A kept-alive socket the server closed just as we reused it: the request never reached it.
    return 'retry' in first ? getOnce(request, agents, closed.signal).then((r) => ('retry' in r ? { ok: false, error: r.error } : r)) : first;
  };
  return {
    get,
    close() {
      closed.abort();
      closed = new AbortController();
      agents.http.destroy();
      agents.https.destroy();
    },
  };
}

type Attempt = ProbeResponse | { retry: true; error: string };

function getOnce(request: ProbeGet, agents: { http: http.Agent; https: https.Agent }, signal: AbortSignal): Promise<Attempt> {
  return new Promise((resolve) => {
    const isHttps = request.url.startsWith('https:');
    const started = (isHttps ? https : http).get(request.url, { agent: isHttps ? agents.https : agents.http, headers: request.headers, signal });
    let settled = false;
    const finish = (attempt: Attempt) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(attempt);
    };
    const timer = setTimeout(() => {
      finish({ ok: false, error: 'timed out', timedOut: true });
      started.destroy();
    }, request.timeoutMs);
    timer.unref();
    started.on('error', (err: NodeJS.ErrnoException) => {
      const error = describeError(err);
      finish(started.reusedSocket && err.code === 'ECONNRESET' ? { retry: true, error } : { ok: false, error });
    });
    started.on('response', (res) => {
      if (!request.readBody) {
        res.resume();
        res.on('end', () => finish({ ok: true, status: res.statusCode ?? 0, body: '' }));
        res.on('error', (err) => finish({ ok: false, error: describeError(err) }));
        return;
      }
      readBody(res, (body) => finish(body === undefined ? { ok: false, error: `body larger than ${MAX_BODY_BYTES} bytes` } : { ok: true, status: res.statusCode ?? 0, body }), (err) =>
        finish({ ok: false, error: describeError(err) }),
      );
    });
  });
}

function readBody(res: http.IncomingMessage, done: (body: string | undefined) => void, failed: (err: Error) => void): void {
  const chunks: Buffer[] = [];
  let size = 0;
  res.on('data', (chunk: Buffer) => {
    size += chunk.length;
    if (size > MAX_BODY_BYTES) {
      res.destroy();
      done(undefined);
      return;
    }
    chunks.push(chunk);
  });
  res.on('end', () => done(Buffer.concat(chunks, size).toString('utf8')));
  res.on('error', failed);
}

function describeError(err: NodeJS.ErrnoException): string {
  if (err.name === 'AbortError') return 'cancelled';
  return err.code ?? err.message;
}
