/** Minimal OpenAI-valid answers for the fake upstream (shapes of ../shared/spec/openai-schemas.json). */

const CREATED = 1_700_000_000;

export function chatCompletion(model: string, content = 'Hello from the fake upstream.') {
  return {
    id: 'chatcmpl-fake',
    object: 'chat.completion',
    created: CREATED,
    model,
    choices: [{ index: 0, message: { role: 'assistant', content, refusal: null }, finish_reason: 'stop', logprobs: null }],
    usage: { prompt_tokens: 5, completion_tokens: 6, total_tokens: 11 },
  };
}

/** One SSE `data:` event of a streamed chat completion. */
export function chatChunk(model: string, index: number, last: boolean): string {
  const chunk = {
    id: 'chatcmpl-fake',
    object: 'chat.completion.chunk',
    created: CREATED,
    model,
    choices: [{ index: 0, delta: index === 0 ? { role: 'assistant', content: `tok${index} ` } : { content: `tok${index} ` }, finish_reason: last ? 'stop' : null, logprobs: null }],
  };
  return `data: ${JSON.stringify(chunk)}\n\n`;
}

export function completion(model: string) {
  return {
    id: 'cmpl-fake',
    object: 'text_completion',
    created: CREATED,
    model,
    choices: [{ index: 0, text: 'a completion', finish_reason: 'stop', logprobs: null }],
    usage: { prompt_tokens: 2, completion_tokens: 2, total_tokens: 4 },
  };
}

export function embeddings(model: string, count: number) {
  return {
    object: 'list',
    model,
    data: Array.from({ length: count }, (_, index) => ({ object: 'embedding', index, embedding: [0.1, 0.2, 0.3] })),
    usage: { prompt_tokens: 3, total_tokens: 3 },
  };
}
