import { findUsage } from '../pipeline/sse-reader';
import { createTailKeeper } from './response-observer';

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

  it("reads the Responses API's and Anthropic's input_tokens / output_tokens (issue 17)", () => {
    const completed = 'event: response.completed\ndata: {"type":"response.completed","response":{"id":"resp_1","usage":{"input_tokens":7,"input_tokens_details":{"cached_tokens":0},"output_tokens":5,"total_tokens":12}}}\n\n';
    expect(usageOf(completed)).toEqual({ promptTokens: 7, completionTokens: 5 });
    expect(usageOf('{"type":"message","usage":{"input_tokens":4,"output_tokens":2}}')).toEqual({ promptTokens: 4, completionTokens: 2 });
    // An Anthropic stream's message_delta names only the output tokens.
    expect(usageOf('event: message_delta\ndata: {"type":"message_delta","usage":{"output_tokens":9}}\n\n')).toEqual({ promptTokens: 0, completionTokens: 9, promptMissing: true });
  });

  it('finds nothing without usage, or when the last one is null', () => {
    expect(usageOf('{"choices":[]}')).toBeUndefined();
    expect(usageOf('data: {"choices":[{"delta":{}}],"usage":null}\n\ndata: [DONE]\n\n')).toBeUndefined();
    expect(usageOf('{"usage":{"foo":1}}')).toBeUndefined();
  });
});

describe('createTailKeeper', () => {
  const keepAll = (limit: number, chunks: string[]) => {
    const keeper = createTailKeeper(limit);
    for (const chunk of chunks) keeper.add(Buffer.from(chunk));
    return keeper.body().toString();
  };

  it('keeps everything while the stream is shorter than the limit', () => {
    expect(keepAll(16, [])).toBe('');
    expect(keepAll(16, ['abc', 'defg'])).toBe('abcdefg');
    expect(keepAll(7, ['abc', 'defg'])).toBe('abcdefg');
  });

  it('keeps the last bytes in order when the ring wraps, and of a chunk longer than the limit', () => {
    expect(keepAll(5, ['abc', 'defg', 'h'])).toBe('defgh');
    expect(keepAll(4, ['ab', '0123456789'])).toBe('6789');
    expect(keepAll(4, ['0123456789', 'xy'])).toBe('89xy');
  });

  it('matches the tail of the concatenated stream for any chunking', () => {
    const text = Array.from({ length: 300 }, (_, i) => String.fromCharCode(97 + (i % 26))).join('');
    for (let seed = 1; seed <= 50; seed += 1) {
      const chunks: string[] = [];
      for (let at = 0, size = seed; at < text.length; at += size, size = ((size * 7 + seed) % 23) + 1) chunks.push(text.slice(at, at + size));
      expect(keepAll(64, chunks)).toBe(text.slice(-64));
    }
  });
});
