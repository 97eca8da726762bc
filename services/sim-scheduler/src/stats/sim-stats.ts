/**
 * What the sim saw, for tests to assert on (`GET /sim/stats`): counters, the last
 * request body (e.g. "the gateway stripped `backend`"), and per-request records
 * with the moment a client disconnect was noticed.
 */
export type Outcome = 'in_flight' | 'completed' | 'aborted' | 'fault' | 'error';

export interface RequestRecord {
  /** The sim's id for the request, also sent as the `x-sim-request-id` response header. */
  id: string;
  /** The client's `x-request-id`, if any. */
  request_id: string | null;
  method: string;
  path: string;
  model: string | null;
  stream: boolean;
  fault: string | null;
  received_at_ms: number;
  first_token_at_ms: number | null;
  finished_at_ms: number | null;
  aborted_at_ms: number | null;
  outcome: Outcome;
  status: number | null;
  tokens_sent: number;
  /** Prompt tokens, once the request got its slot and was looked up in the prefix cache. */
  prompt_tokens: number | null;
  /** Of those, the tokens served from the prefix cache (0 with the cache off). */
  cached_prompt_tokens: number | null;
}

export interface StatsCounters {
  requests_received: number;
  requests_completed: number;
  requests_aborted: number;
  requests_failed: number;
  requests_faulted: number;
  tokens_generated: number;
}

export interface SimStatsSnapshot extends StatsCounters {
  last_request_body: unknown;
  last_request_headers: Record<string, string | string[] | undefined> | null;
  records: RequestRecord[];
}

export interface SimStats {
  begin(fields: Pick<RequestRecord, 'request_id' | 'method' | 'path'>): RequestRecord;
  /** Moves a record out of `in_flight` once; later calls are ignored (first outcome wins). */
  settle(record: RequestRecord, outcome: Exclude<Outcome, 'in_flight'>, status?: number | null): void;
  /** `count` tokens reached the client (default 1). */
  tokenSent(record: RequestRecord, count?: number): void;
  recordBody(body: unknown, headers: SimStatsSnapshot['last_request_headers']): void;
  snapshot(): SimStatsSnapshot;
  reset(): void;
}

const COUNTER_OF = {
  completed: 'requests_completed',
  aborted: 'requests_aborted',
  fault: 'requests_faulted',
  error: 'requests_failed',
} as const satisfies Record<Exclude<Outcome, 'in_flight'>, keyof StatsCounters>;

/** `maxRecords` bounds memory: the oldest records go first. */
export function createSimStats(maxRecords: number, now: () => number = Date.now): SimStats {
  let counters = zeroCounters();
  let records: RequestRecord[] = [];
  let sequence = 0;
  let lastBody: unknown = null;
  let lastHeaders: SimStatsSnapshot['last_request_headers'] = null;

  return {
    begin(fields) {
      counters.requests_received += 1;
      sequence += 1;
      const record: RequestRecord = {
        id: `simreq-${sequence}`,
        ...fields,
        model: null,
        stream: false,
        fault: null,
        received_at_ms: now(),
        first_token_at_ms: null,
        finished_at_ms: null,
        aborted_at_ms: null,
        outcome: 'in_flight',
        status: null,
        tokens_sent: 0,
        prompt_tokens: null,
        cached_prompt_tokens: null,
      };
      records.push(record);
      if (records.length > maxRecords) records.shift();
      return record;
    },
    settle(record, outcome, status = null) {
      if (record.outcome !== 'in_flight') return;
      record.outcome = outcome;
      record.status = status;
      record.finished_at_ms = now();
      if (outcome === 'aborted') record.aborted_at_ms = record.finished_at_ms;
      counters[COUNTER_OF[outcome]] += 1;
    },
    tokenSent(record, count = 1) {
      if (record.tokens_sent === 0) record.first_token_at_ms = now();
      record.tokens_sent += count;
      counters.tokens_generated += count;
    },
    recordBody(body, headers) {
      lastBody = body;
      lastHeaders = headers;
    },
    snapshot: () => ({ ...counters, last_request_body: lastBody, last_request_headers: lastHeaders, records: records.map((r) => ({ ...r })) }),
    reset() {
      counters = zeroCounters();
      records = [];
      lastBody = null;
      lastHeaders = null;
    },
  };
}

function zeroCounters(): StatsCounters {
  return { requests_received: 0, requests_completed: 0, requests_aborted: 0, requests_failed: 0, requests_faulted: 0, tokens_generated: 0 };
}
