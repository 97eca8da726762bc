import { continuationOf, lengthFinishEvent, notResumable } from './continuation-request';
import { newStreamProgress } from './stream-progress';

const progress = (text: string, tokens: number) => ({ ...newStreamProgress(), text, tokens, identity: { id: 'x', created: 5, model: 'm', object: 'chat.completion.chunk' } });

describe('notResumable', () => {
  it.each([
    [{ n: 2 }, 'n'],
    [{ logprobs: true }, 'logprobs'],
    [{ top_logprobs: 2 }, 'logprobs'],
    [{ continue_final_message: true }, 'continue_final_message'],
  ])('refuses chat %p', (fields, reason) => {
    expect(notResumable('chat_completions', { messages: [], ...fields })).toBe(reason);
  });

  it('accepts a plain chat or string-prompt completion', () => {
    expect(notResumable('chat_completions', { messages: [], n: 1, logprobs: false })).toBeUndefined();
    expect(notResumable('completions', { prompt: 'p' })).toBeUndefined();
    expect(notResumable('completions', { prompt: ['p'] })).toBe('prompt');
    expect(notResumable('embeddings', { input: 'p' })).toBe('endpoint');
  });
});

describe('continuationOf', () => {
  it('continues a chat with the partial assistant message and fewer tokens', () => {
    const next = continuationOf('chat_completions', { model: 'pub', backend: 'b', messages: [{ role: 'user', content: 'q' }], max_tokens: 10 }, 'served', progress('Hi there', 2));
    expect(next).toEqual({
      kind: 'request',
      body: { model: 'served', messages: [{ role: 'user', content: 'q' }, { role: 'assistant', content: 'Hi there' }], max_tokens: 8, continue_final_message: true, add_generation_prompt: false },
    });
  });

  it('continues a completion with the prompt plus the text so far', () => {
    const next = continuationOf('completions', { model: 'm', prompt: 'Once', max_completion_tokens: 5 }, 'm', progress(' upon a', 2));
    expect(next).toEqual({ kind: 'request', body: { model: 'm', prompt: 'Once upon a', max_completion_tokens: 3 } });
  });

  it('is exhausted when every allowed token was delivered', () => {
    expect(continuationOf('chat_completions', { messages: [], max_tokens: 2 }, 'm', progress('a b', 2))).toEqual({ kind: 'exhausted' });
    expect(lengthFinishEvent('chat_completions', progress('a b', 2))).toBe(
      'data: {"id":"x","object":"chat.completion.chunk","created":5,"model":"m","choices":[{"index":0,"delta":{},"finish_reason":"length"}]}\n\ndata: [DONE]\n\n',
    );
  });
});
