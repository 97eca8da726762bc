/**
 * A template-free rendering of a request's prompt, for the prefix index (issue 18
 * item 1). It need not match what the engine's chat template produces, only be
 * deterministic and prefix-preserving: a request that repeats another's messages
 * and adds some renders to a string that starts with the other's rendering. Reads
 * only as far as `maxChars`; never throws on odd input.
 */

/** Separates messages; a control character no ordinary text carries. */
const MESSAGE_END = '\u001e';

/**
 * Chat `messages`: every message as `role:` then its text, in order (text parts as
 * they are, other parts as their type and, for images and files, their URL or id,
 * so two different images do not look alike). Completions `prompt` (a string, the
 * first of a list of strings, or token ids as `id,` text), embeddings `input`.
 * Empty when the body has no prompt.
 */
export function renderPrompt(body: Readonly<Record<string, unknown>> | undefined, maxChars: number): string {
  return renderPromptParts(body, maxChars).text;
}

/** A rendered prompt and how much of it is instructions. */
export interface RenderedPrompt {
  readonly text: string;
  /**
   * Characters of `text` taken by the leading system / developer messages: the
   * part a tenant's conversations share. 0 for prompts without them.
   */
  readonly instructionChars: number;
  /** Where each chat message ends in `text` (ascending); empty for other prompts. */
  readonly messageEnds: readonly number[];
  /** A chat that carries earlier turns (an assistant or tool message after the instructions): a conversation under way. */
  readonly continued: boolean;
}

/** renderPrompt, also saying where the leading instructions end. */
export function renderPromptParts(body: Readonly<Record<string, unknown>> | undefined, maxChars: number): RenderedPrompt {
  if (body === undefined || body === null || typeof body !== 'object') return { text: '', instructionChars: 0, messageEnds: [], continued: false };
  const messages = body.messages;
  if (Array.isArray(messages)) return renderMessages(messages, maxChars);
  return { text: renderPlain(body, maxChars), instructionChars: 0, messageEnds: [], continued: false };
}

function renderPlain(body: Readonly<Record<string, unknown>>, maxChars: number): string {
  const prompt = body.prompt ?? body.input;
  if (typeof prompt === 'string') return clip(prompt, maxChars);
  if (!Array.isArray(prompt) || prompt.length === 0) return '';
  const first: unknown = prompt[0];
  if (typeof first === 'number') return tokenIds(prompt, maxChars);
  if (typeof first === 'string') return clip(first, maxChars);
  return Array.isArray(first) ? tokenIds(first, maxChars) : '';
}

function renderMessages(messages: readonly unknown[], maxChars: number): RenderedPrompt {
  let text = '';
  let instructionChars = 0;
  let leading = true;
  const messageEnds: number[] = [];
  let continued = false;
  for (const message of messages) {
    if (text.length >= maxChars) break;
    if (typeof message !== 'object' || message === null) continue;
    const { role, content } = message as { role?: unknown; content?: unknown };
    text += `${typeof role === 'string' ? clip(role, 32) : ''}:`;
    text += contentText(content, maxChars - text.length);
    text += MESSAGE_END;
    messageEnds.push(Math.min(text.length, maxChars));
    leading &&= role === 'system' || role === 'developer';
    continued ||= role === 'assistant' || role === 'tool';
    if (leading) instructionChars = text.length;
  }
  const clipped = clip(text, maxChars);
  return { text: clipped, instructionChars: Math.min(instructionChars, clipped.length), messageEnds, continued };
}

function contentText(content: unknown, budget: number): string {
  if (budget <= 0) return '';
  if (typeof content === 'string') return clip(content, budget);
  if (!Array.isArray(content)) return '';
  let text = '';
  for (const part of content) {
    if (text.length >= budget) break;
    text += partText(part, budget - text.length);
  }
  return text;
}

function partText(part: unknown, budget: number): string {
  if (typeof part === 'string') return clip(part, budget);
  if (typeof part !== 'object' || part === null) return '';
  const { type, text } = part as { type?: unknown; text?: unknown };
  if (typeof text === 'string') return clip(text, budget);
  const kind = typeof type === 'string' ? clip(type, 32) : 'part';
  const reference = referenceOf(part as Record<string, unknown>);
  return clip(`\u001f${kind}${reference === undefined ? '' : ` ${clip(reference, 512)}`}\u001f`, budget);
}

/** The URL or id naming an image, audio or file part, if it has one. */
function referenceOf(part: Readonly<Record<string, unknown>>): string | undefined {
  for (const key of ['image_url', 'input_audio', 'file', 'video_url']) {
    const value = part[key];
    if (typeof value === 'string') return value;
    if (typeof value === 'object' && value !== null) {
      const inner = value as { url?: unknown; file_id?: unknown; data?: unknown };
      for (const candidate of [inner.url, inner.file_id, inner.data]) if (typeof candidate === 'string') return candidate;
    }
  }
  return undefined;
}

function tokenIds(ids: readonly unknown[], maxChars: number): string {
  let text = '';
  for (const id of ids) {
    if (text.length >= maxChars) break;
    if (typeof id === 'number') text += `${id},`;
  }
  return clip(text, maxChars);
}

function clip(text: string, maxChars: number): string {
  return text.length > maxChars ? text.slice(0, Math.max(0, maxChars)) : text;
}
