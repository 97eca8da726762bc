/**
 * Fault injection (issue 5, last bullet): what the sim does wrong on purpose, per
 * request (`x-sim-fault` header) or process-wide (`SIM_FAULT`, `POST /sim/fault`).
 */
export type Fault =
  /** Behave normally (a header value that overrides a process-wide fault). */
  | { kind: 'none' }
  /** Never answer; the socket stays open until the client gives up. */
  | { kind: 'hang' }
  /** Destroy the socket with a TCP RST as soon as the request is read. */
  | { kind: 'reset' }
  /** Send this many stream chunks (or generate this many tokens), then destroy the socket. */
  | { kind: 'die-after'; chunks: number }
  /** Time to first token of this many ms instead of SIM_TTFT_MS. */
  | { kind: 'slow-first-token'; ms: number }
  /** Answer this status with an OpenAI error body (`retry-after: 1` on 429). */
  | { kind: 'status'; status: number };

export type FaultParse = { ok: true; fault: Fault } | { ok: false; reason: string };

export const FAULT_SYNTAX = 'none, hang, reset, die-after:N, slow-first-token:MS, status:CODE';

/** Parses `hang`, `die-after:3`, `status:503`, ... (case-insensitive, surrounding spaces ignored). */
export function parseFault(text: string): FaultParse {
  const [name = '', arg, ...rest] = text.trim().toLowerCase().split(':');
  if (rest.length > 0) return invalid(text);
  if (arg === undefined) {
    if (name === 'none' || name === 'hang' || name === 'reset') return { ok: true, fault: { kind: name } };
    return invalid(text);
  }
  const value = /^\d{1,9}$/.test(arg) ? Number(arg) : Number.NaN;
  if (name === 'die-after' && value >= 0) return { ok: true, fault: { kind: 'die-after', chunks: value } };
  if (name === 'slow-first-token' && value >= 0 && value <= 3_600_000) return { ok: true, fault: { kind: 'slow-first-token', ms: value } };
  if (name === 'status' && value >= 400 && value <= 599) return { ok: true, fault: { kind: 'status', status: value } };
  return invalid(text);
}

/** The canonical text of a fault, as `GET /sim/stats` reports it. */
export function formatFault(fault: Fault): string {
  switch (fault.kind) {
    case 'die-after':
      return `die-after:${fault.chunks}`;
    case 'slow-first-token':
      return `slow-first-token:${fault.ms}`;
    case 'status':
      return `status:${fault.status}`;
    default:
      return fault.kind;
  }
}

function invalid(text: string): FaultParse {
  return { ok: false, reason: `unknown fault '${text.slice(0, 64)}' (expected one of ${FAULT_SYNTAX}; CODE 400-599)` };
}
