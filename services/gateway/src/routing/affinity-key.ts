import type { IncomingHttpHeaders } from 'node:http';
import { affinityKeyForPrefix, createTextSink, DEFAULT_PREFIX_KEY_OPTIONS, writeContent, writePlainPrompt } from '@switchyard/routing';
import type { AffinityKind } from './model-plan';

/** Characters of the prompt the prefix key covers: no more is ever read (the rest of a long prompt costs nothing). */
const PREFIX_CHARS = DEFAULT_PREFIX_KEY_OPTIONS.blockChars * DEFAULT_PREFIX_KEY_OPTIONS.blocks;
/** Characters of the first conversation turn added to the key after the instructions. */
const FIRST_TURN_CHARS = 256;
/** Session keys are hashed; this only bounds the work for an absurd header. */
const MAX_SESSION_KEY_CHARS = 1024;

/**
 * The affinity key of a request for strategies that hash one (ARCHITECTURE.md
 * "Routing"): prefix-affinity hashes the leading prompt, session-affinity the
 * `x-session-id` header, else the `user` field. Undefined when the request has
 * none (the strategy then spreads by weight).
 */
export function affinityKeyFor(kind: AffinityKind, body: Readonly<Record<string, unknown>> | undefined, headers: IncomingHttpHeaders | undefined): string | undefined {
  if (kind === 'session') return sessionKey(body, headers);
  const prefix = body === undefined ? '' : promptPrefix(body, PREFIX_CHARS);
  // promptPrefix already bounded what it read; hash all of it (the first-turn part included).
  return prefix === '' ? undefined : affinityKeyForPrefix(prefix, { blockChars: prefix.length, blocks: 1 });
}

function sessionKey(body: Readonly<Record<string, unknown>> | undefined, headers: IncomingHttpHeaders | undefined): string | undefined {
  const header = headers?.['x-session-id'];
  const fromHeader = Array.isArray(header) ? header[0] : header;
  const key = fromHeader !== undefined && fromHeader !== '' ? fromHeader : body?.user;
  if (typeof key !== 'string' || key === '') return undefined;
  return key.length > MAX_SESSION_KEY_CHARS ? key.slice(0, MAX_SESSION_KEY_CHARS) : key;
}

/**
 * What the prefix key covers. Chat: the instructions (system/developer messages,
 * up to `maxChars`) then the opening of the first conversation turn (up to 256
 * characters), as `role: text` lines, text parts only. Every later turn of a
 * conversation repeats both, so a conversation keeps one home whose KV cache holds
 * its growing history, while conversations sharing a system prompt still spread
 * (a key of the system prompt alone would send a whole tenant to one scheduler).
 * Completions: the `prompt`; embeddings: the `input`; token arrays: the leading
 * ids. Reads only as far as it needs.
 */
export function promptPrefix(body: Readonly<Record<string, unknown>>, maxChars: number): string {
  const messages = body.messages;
  if (Array.isArray(messages)) return chatPrefix(messages, maxChars);
  const sink = createTextSink(maxChars);
  writePlainPrompt(body, sink);
  return sink.text;
}

function chatPrefix(messages: readonly unknown[], maxChars: number): string {
  let text = '';
  for (const message of messages) {
    if (typeof message !== 'object' || message === null) continue;
    const { role, content } = message as { role?: unknown; content?: unknown };
    const instruction = role === 'system' || role === 'developer';
    const budget = instruction ? maxChars - text.length : FIRST_TURN_CHARS;
    if (budget <= 0) continue;
    const sink = createTextSink(budget);
    writeContent(content, sink, true);
    text += `${typeof role === 'string' ? role : ''}: ${sink.text}\n`;
    if (!instruction) break;
  }
  return text;
}
