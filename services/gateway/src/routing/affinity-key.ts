import type { IncomingHttpHeaders } from 'node:http';
import { affinityKeyForPrefix, DEFAULT_PREFIX_KEY_OPTIONS } from '@switchyard/routing';
import type { AffinityKind } from './model-plan';

/** Characters of the prompt the prefix key covers: no more is ever read (the rest of a long prompt costs nothing). */
const PREFIX_CHARS = DEFAULT_PREFIX_KEY_OPTIONS.blockChars * DEFAULT_PREFIX_KEY_OPTIONS.blocks;
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
  return prefix === '' ? undefined : affinityKeyForPrefix(prefix);
}

function sessionKey(body: Readonly<Record<string, unknown>> | undefined, headers: IncomingHttpHeaders | undefined): string | undefined {
  const header = headers?.['x-session-id'];
  const fromHeader = Array.isArray(header) ? header[0] : header;
  const key = fromHeader !== undefined && fromHeader !== '' ? fromHeader : body?.user;
  if (typeof key !== 'string' || key === '') return undefined;
  return key.length > MAX_SESSION_KEY_CHARS ? key.slice(0, MAX_SESSION_KEY_CHARS) : key;
}

/**
 * The first `maxChars` characters of what the scheduler will see first: chat
 * messages in order as `role: text` lines (text parts only), else the `prompt`
 * (completions) or `input` (embeddings); for token arrays, the leading ids. Reads
 * only as far as it needs.
 */
export function promptPrefix(body: Readonly<Record<string, unknown>>, maxChars: number): string {
  const messages = body.messages;
  if (Array.isArray(messages)) return chatPrefix(messages, maxChars);
  const prompt = body.prompt ?? body.input;
  return clip(textOf(Array.isArray(prompt) && prompt.length > 0 && typeof prompt[0] !== 'number' ? prompt[0] : prompt, maxChars), maxChars);
}

function chatPrefix(messages: readonly unknown[], maxChars: number): string {
  let text = '';
  for (const message of messages) {
    if (text.length >= maxChars) break;
    if (typeof message !== 'object' || message === null) continue;
    const { role, content } = message as { role?: unknown; content?: unknown };
    text += `${typeof role === 'string' ? role : ''}: ${contentText(content, maxChars - text.length)}\n`;
  }
  return clip(text, maxChars);
}

function contentText(content: unknown, maxChars: number): string {
  if (typeof content === 'string') return clip(content, maxChars);
  if (!Array.isArray(content)) return '';
  let text = '';
  for (const part of content) {
    if (text.length >= maxChars) break;
    const value = typeof part === 'object' && part !== null ? (part as { text?: unknown }).text : undefined;
    if (typeof value === 'string') text += clip(value, maxChars - text.length);
  }
  return text;
}

/** A prompt string, or the leading token ids of a token array. */
function textOf(prompt: unknown, maxChars: number): string {
  if (typeof prompt === 'string') return prompt;
  if (!Array.isArray(prompt)) return '';
  let text = '';
  for (const id of prompt) {
    if (text.length >= maxChars) break;
    if (typeof id === 'number') text += `${id},`;
  }
  return text;
}

function clip(text: string, maxChars: number): string {
  return text.length > maxChars ? text.slice(0, maxChars) : text;
}
