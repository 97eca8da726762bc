import { findUsage } from './response-observer';

const usageOf = (text: string) => findUsage(Buffer.from(text));

describe('findUsage', () => {
  it('reads the usage of a JSON answer', () => {
    const body = JSON.stringify({ id: 'x', choices: [{ message: { content: 'the "usage" word in text' } }], usage: { prompt_tokens: 12, completion_tokens: 8, total_tokens: 20 } });
    expect(usageOf(body)).toEqual({ promptTokens: 12, completionTokens: 8 });
  });

  it('reads vLLM usage whose details object comes before completion_tokens', () => {
    const body = '{"usage":{"prompt_tokens":5,"total_tokens":9,"prompt_tokens_details":{"cached_tokens":2},"completion_tokens":4}}';
    expect(usageOf(body)).toEqual({ promptTokens: 5, completionTokens: 4 });
  });

  it('reads the final usage event of a stream tail, past earlier "usage": null chunks', () => {
    const tail = [
      'data: {"choices":[{"delta":{"content":"a"}}],"usage":null}',
      'data: {"choices":[],"usage":{"prompt_tokens":3,"completion_tokens":16,"total_tokens":19}}',
      'data: [DONE]',
      '',
    ].join('\n\n');
    expect(usageOf(tail)).toEqual({ promptTokens: 3, completionTokens: 16 });
  });

  it('finds nothing without usage, or when the last one is null', () => {
    expect(usageOf('{"choices":[]}')).toBeUndefined();
    expect(usageOf('data: {"choices":[{"delta":{}}],"usage":null}\n\ndata: [DONE]\n\n')).toBeUndefined();
    expect(usageOf('{"usage":{"foo":1}}')).toBeUndefined();
  });
});
