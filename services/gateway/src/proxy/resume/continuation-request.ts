import type { EndpointKind } from '../../pipeline/validate-request';
import type { StreamProgress } from './stream-progress';

/**
 * Why a stream cannot be resumed, or undefined when it can (issue 10): a single
 * choice, no logprobs (the client would get a seam in them), a string prompt, and
 * not already a continuation of the client's own.
 */
export function notResumable(endpoint: EndpointKind, body: Readonly<Record<string, unknown>>): string | undefined {
  // Only chat and text completion streams can be continued (issue 10); the Responses and Messages streams cannot.
  if (endpoint !== 'chat_completions' && endpoint !== 'completions') return 'endpoint';
  if (body.n !== undefined && body.n !== null && body.n !== 1) return 'n';
  if (body.logprobs !== undefined && body.logprobs !== null && body.logprobs !== false) return 'logprobs';
  if (body.top_logprobs !== undefined && body.top_logprobs !== null) return 'logprobs';
  if (endpoint === 'completions' && typeof body.prompt !== 'string') return 'prompt';
  if (endpoint === 'chat_completions' && (body.continue_final_message === true || !Array.isArray(body.messages))) return 'continue_final_message';
  return undefined;
}

export type Continuation = { kind: 'request'; body: Record<string, unknown> } | { kind: 'exhausted' };

/**
 * The request that continues `progress` on another scheduler: chat gets the partial
 * answer as a final assistant message with `continue_final_message: true` and
 * `add_generation_prompt: false` (vLLM/SGLang); completions get it appended to the
 * prompt. The token limit shrinks by what was delivered; nothing left = 'exhausted'.
 */
export function continuationOf(endpoint: EndpointKind, body: Readonly<Record<string, unknown>>, servedModel: string, progress: StreamProgress): Continuation {
  const { backend: _pin, ...rest } = body;
  const next: Record<string, unknown> = { ...rest, model: servedModel };
  for (const field of ['max_completion_tokens', 'max_tokens'] as const) {
    const limit = body[field];
    if (typeof limit !== 'number') continue;
    const remaining = limit - progress.tokens;
    if (remaining <= 0) return { kind: 'exhausted' };
    next[field] = remaining;
  }
  if (endpoint === 'completions') {
    next.prompt = `${String(body.prompt)}${progress.text}`;
  } else {
    next.messages = [...(body.messages as unknown[]), { role: 'assistant', content: progress.text }];
    next.continue_final_message = true;
    next.add_generation_prompt = false;
  }
  return { kind: 'request', body: next };
}

/** The closing chunk of a stream whose token limit was used up by the time it was lost. */
export function lengthFinishEvent(endpoint: EndpointKind, progress: StreamProgress): string {
  const identity = progress.identity ?? { id: undefined, created: undefined, model: undefined, object: undefined };
  const chat = endpoint === 'chat_completions';
  const choice = chat ? { index: 0, delta: {}, finish_reason: 'length' } : { index: 0, text: '', finish_reason: 'length' };
  const chunk = { id: identity.id, object: identity.object ?? (chat ? 'chat.completion.chunk' : 'text_completion'), created: identity.created, model: identity.model, choices: [choice] };
  return `data: ${JSON.stringify(chunk)}\n\ndata: [DONE]\n\n`;
}
