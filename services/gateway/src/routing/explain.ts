import type { IncomingHttpHeaders } from 'node:http';
import type { Candidate, Pick } from '@switchyard/routing';
import type { ModelTarget } from './routing-table-store';

/** Request header asking for a route receipt (ARCHITECTURE.md "Gateway HTTP API"). */
export const EXPLAIN_HEADER = 'x-switchyard-explain';
/** Response header carrying the receipt. */
export const ROUTE_HEADER = 'x-switchyard-route';

/** Receipts stay well under common 8 KB header limits of proxies in front of the gateway. */
export const MAX_RECEIPT_CHARS = 2048;
const MAX_LISTED = 16;
const MAX_TEXT_CHARS = 128;
const MAX_REASON_CHARS = 300;

/**
 * True when the client asked for a receipt. When keys are configured, the request
 * guard removes the header for keys without `allow_explain` (issue 6), so reading
 * it after admission is the permission check.
 */
export function wantsExplain(headers: IncomingHttpHeaders | undefined): boolean {
  const value = headers?.[EXPLAIN_HEADER];
  return value === '1' || value === 'true';
}

/** Why a scheduler of the model was not a candidate of this pick. */
export type ExclusionReason = 'tried' | 'unavailable' | 'draining' | 'unhealthy' | 'weight_0';

export interface ReceiptInput {
  strategy: string;
  model: string;
  servedModel: string;
  tableVersion: number;
  pool: readonly Candidate[];
  pick: Pick;
  panic: boolean;
  /** Every scheduler serving the model, to say why the ones outside `pool` were left out. */
  targets: readonly ModelTarget[];
  exclusionOf(target: ModelTarget): ExclusionReason;
}

interface CandidateLine {
  id: string;
  weight: number;
  in_flight: number;
  ewma_ms?: number;
  score?: number;
  /** Leading prompt blocks the prefix index says this candidate holds (cache-aware). */
  matched_blocks?: number;
}

/**
 * The route receipt: compact JSON, ASCII only (non-ASCII escaped as \uXXXX, so
 * it is a valid header value and still parses as the same JSON), at most
 * MAX_RECEIPT_CHARS: long lists are cut (the chosen candidate always stays) and
 * `candidates_total` / `excluded_total` give the full counts. Built only when
 * asked for, so it costs nothing otherwise.
 */
export function buildRouteReceipt(input: ReceiptInput): string {
  const inPool = new Set(input.pool.map((c) => c.id));
  const candidates = input.pool.map((c) => candidateLine(c, input.pick.scores?.[c.id], input.pick.matchedBlocks?.[c.id]));
  const excluded = input.targets.filter((t) => !inPool.has(t.entry.id)).map((t) => ({ id: clip(t.entry.id, MAX_TEXT_CHARS), why: input.exclusionOf(t) }));
  for (let limit = MAX_LISTED; ; limit = Math.floor(limit / 2)) {
    const text = asciiJson({
      strategy: input.strategy,
      model: clip(input.model, MAX_TEXT_CHARS),
      served_model: clip(input.servedModel, MAX_TEXT_CHARS),
      table_version: input.tableVersion,
      ...(input.panic ? { panic: true } : {}),
      chosen: clip(input.pick.id, MAX_TEXT_CHARS),
      reason: clip(input.pick.reason, MAX_REASON_CHARS),
      candidates: keepChosen(candidates, clip(input.pick.id, MAX_TEXT_CHARS), limit),
      ...(candidates.length > limit ? { candidates_total: candidates.length } : {}),
      ...(excluded.length > 0 ? { excluded: excluded.slice(0, limit) } : {}),
      ...(excluded.length > limit ? { excluded_total: excluded.length } : {}),
    });
    if (text.length <= MAX_RECEIPT_CHARS || limit <= 1) return text;
  }
}

function candidateLine(c: Candidate, score: number | undefined, matchedBlocks: number | undefined): CandidateLine {
  const line: CandidateLine = { id: clip(c.id, MAX_TEXT_CHARS), weight: round(c.weight, 4), in_flight: c.inFlight };
  const ewma = c.latencyEwmaMs;
  if (ewma !== undefined) line.ewma_ms = round(ewma, 1);
  if (score !== undefined && Number.isFinite(score)) line.score = round(score, 4);
  if (matchedBlocks !== undefined) line.matched_blocks = matchedBlocks;
  return line;
}

/** The first `limit` lines, with the chosen one swapped in last if it was cut. */
function keepChosen(lines: readonly CandidateLine[], chosen: string, limit: number): CandidateLine[] {
  const kept = lines.slice(0, limit);
  if (lines.length <= limit || kept.some((l) => l.id === chosen)) return kept;
  const line = lines.find((l) => l.id === chosen);
  if (line) kept[kept.length - 1] = line;
  return kept;
}

function asciiJson(value: unknown): string {
  return JSON.stringify(value).replace(/[\u007f-\uffff]/g, (ch) => `\\u${ch.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

function clip(text: string, maxChars: number): string {
  return text.length > maxChars ? `${text.slice(0, maxChars - 3)}...` : text;
}

function round(value: number, digits: number): number {
  const scale = 10 ** digits;
  return Math.round(value * scale) / scale;
}
