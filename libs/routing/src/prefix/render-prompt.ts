/**
 * A template-free rendering of a request's prompt, for the prefix index (issue 18
 * item 1). It need not match what the engine's chat template produces, only be
 * deterministic and prefix-preserving: a request that repeats another's messages
 * and adds some renders to a string that starts with the other's rendering. Reads
 * only as far as the sink's budget; never throws on odd input.
 *
 * The rendering is written piece by piece into a PromptSink: the block hasher
 * (prompt-blocks.ts) hashes the pieces where they are, without joining them, and
 * renderPromptParts joins them (tests, tools).
 */

/** Separates messages; a control character no ordinary text carries. */
const MESSAGE_END = '\u001e';
/** Characters of a role or a part's type that are read. */
const NAME_CHARS = 32;
/** Characters of an image, audio or file reference that are read. */
const REFERENCE_CHARS = 512;

/** Where text goes: it keeps at most its budget of characters and drops the rest. */
export interface TextSink {
  /** The budget is used up: nothing more will be kept. */
  readonly full: boolean;
  /** Appends `text` (as much as the budget leaves). */
  write(text: string): void;
}

/** Where a rendering goes: text, and where messages begin and end. */
export interface PromptSink extends TextSink {
  /** A chat message starts; `instruction`: it and every message before it are system / developer messages. */
  beginMessage(instruction: boolean): void;
  /** The message begun last has been written. */
  endMessage(): void;
  /** The prompt is complete; `continued`: a chat carrying earlier turns (an assistant or tool message). */
  finish(continued: boolean): void;
}

/**
 * Writes the prompt of `body` into `sink`. Chat `messages`: every message as
 * `role:` then its text, in order (text parts as they are, other parts as their
 * type and, for images and files, their URL or id, so two different images do not
 * look alike). Completions `prompt` (a string, the first of a list of strings, or
 * token ids as `id,` text), embeddings `input`. Nothing when the body has no prompt.
 */
export function writePrompt(body: Readonly<Record<string, unknown>> | undefined, sink: PromptSink): void {
  if (body === undefined || body === null || typeof body !== 'object') return sink.finish(false);
  const messages = body.messages;
  if (Array.isArray(messages)) return writeMessages(messages, sink);
  writePlainPrompt(body, sink);
  sink.finish(false);
}

/** The completions `prompt` (a string, the first of a list of strings, or token ids as `id,` text) or the embeddings `input`. */
export function writePlainPrompt(body: Readonly<Record<string, unknown>>, sink: TextSink): void {
  const prompt = body.prompt ?? body.input;
  if (typeof prompt === 'string') return sink.write(prompt);
  if (!Array.isArray(prompt) || prompt.length === 0) return;
  const first: unknown = prompt[0];
  if (typeof first === 'number') return writeTokenIds(prompt, sink);
  if (typeof first === 'string') return sink.write(first);
  if (Array.isArray(first)) writeTokenIds(first, sink);
}

function writeMessages(messages: readonly unknown[], sink: PromptSink): void {
  let leading = true;
  let continued = false;
  for (const message of messages) {
    if (sink.full) break;
    if (typeof message !== 'object' || message === null) continue;
    const { role, content } = message as { role?: unknown; content?: unknown };
    leading &&= role === 'system' || role === 'developer';
    continued ||= role === 'assistant' || role === 'tool';
    sink.beginMessage(leading);
    if (typeof role === 'string') sink.write(clip(role, NAME_CHARS));
    sink.write(':');
    writeContent(content, sink);
    sink.write(MESSAGE_END);
    sink.endMessage();
  }
  sink.finish(continued);
}

/**
 * A message's content: a string, or its parts in order (text parts as they are,
 * others as their type and reference); `textOnly`: the text of `{text}` parts alone.
 */
export function writeContent(content: unknown, sink: TextSink, textOnly = false): void {
  if (typeof content === 'string') return sink.write(content);
  if (!Array.isArray(content)) return;
  for (const part of content) {
    if (sink.full) break;
    writePart(part, sink, textOnly);
  }
}

function writePart(part: unknown, sink: TextSink, textOnly: boolean): void {
  if (typeof part === 'string' && !textOnly) return sink.write(part);
  if (typeof part !== 'object' || part === null) return;
  const { type, text } = part as { type?: unknown; text?: unknown };
  if (typeof text === 'string') return sink.write(text);
  if (textOnly) return;
  const kind = typeof type === 'string' ? clip(type, NAME_CHARS) : 'part';
  const reference = referenceOf(part as Record<string, unknown>);
  sink.write(`\u001f${kind}${reference === undefined ? '' : ` ${clip(reference, REFERENCE_CHARS)}`}\u001f`);
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

function writeTokenIds(ids: readonly unknown[], sink: TextSink): void {
  for (const id of ids) {
    if (sink.full) break;
    if (typeof id === 'number') sink.write(`${id},`);
  }
}

function clip(text: string, maxChars: number): string {
  return text.length > maxChars ? text.slice(0, maxChars) : text;
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

/** A TextSink that joins what it is written into `text`, at most `maxChars` characters. */
export function createTextSink(maxChars: number): TextSink & { readonly text: string } {
  let text = '';
  return {
    get text() {
      return text;
    },
    get full() {
      return text.length >= maxChars;
    },
    write(piece) {
      if (text.length < maxChars) text += clip(piece, maxChars - text.length);
    },
  };
}

/** The rendering of `body` as one string of at most `maxChars` characters, with where its instructions and messages end. */
export function renderPromptParts(body: Readonly<Record<string, unknown>> | undefined, maxChars: number): RenderedPrompt {
  const joined = createTextSink(maxChars);
  let instructionChars = 0;
  let instruction = false;
  let continued = false;
  const messageEnds: number[] = [];
  const sink: PromptSink = {
    get full() {
      return joined.full;
    },
    write: (piece) => joined.write(piece),
    beginMessage(leading) {
      instruction = leading;
    },
    endMessage() {
      messageEnds.push(joined.text.length);
      if (instruction) instructionChars = joined.text.length;
    },
    finish(carried) {
      continued = carried;
    },
  };
  writePrompt(body, sink);
  return { text: joined.text, instructionChars, messageEnds, continued };
}

/** renderPromptParts' text alone. */
export function renderPrompt(body: Readonly<Record<string, unknown>> | undefined, maxChars: number): string {
  return renderPromptParts(body, maxChars).text;
}
