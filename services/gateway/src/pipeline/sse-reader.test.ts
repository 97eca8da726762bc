import { eventData, eventJson, findInputTokens, findUsage, isEventStreamType, rewriteEvents, SseEventBuffer, withData } from './sse-reader';

const text = (b: Buffer) => b.toString('utf8');

describe('SseEventBuffer', () => {
  it('passes a chunk that ends on an event boundary as it is, without a copy', () => {
    const events = new SseEventBuffer();
    const chunk = Buffer.from('data: {"a":1}\n\ndata: {"b":2}\n\n');
    expect(events.push(chunk)).toBe(chunk);
    expect(events.end()).toHaveLength(0);
  });

  it('holds a partial event until its blank line arrives, LF or CRLF', () => {
    const events = new SseEventBuffer();
    expect(text(events.push(Buffer.from('data: {"a":1}\n\ndata: {"b"')))).toBe('data: {"a":1}\n\n');
    expect(events.push(Buffer.from(':2}'))).toHaveLength(0);
    expect(text(events.push(Buffer.from('\r\n\r\nevent: x')))).toBe('data: {"b":2}\r\n\r\n');
    expect(text(events.end())).toBe('event: x');
    expect(events.end()).toHaveLength(0);
  });

  it('passes on an event that never ends once it outgrows the limit', () => {
    const events = new SseEventBuffer(8);
    expect(events.push(Buffer.from('data: 12'))).toHaveLength(0);
    expect(text(events.push(Buffer.from('345')))).toBe('data: 12345');
    expect(events.end()).toHaveLength(0);
  });
});

describe('rewriteEvents', () => {
  it('keeps, replaces or drops each event with its blank line, a last one without it too', () => {
    const out = rewriteEvents('data: keep\n\ndata: drop\r\n\r\ndata: change\n\ndata: tail', (event) => (event.endsWith('drop') ? undefined : event.replace('change', 'changed')));
    expect(out).toBe('data: keep\n\ndata: changed\n\ndata: tail');
  });
});

describe('event data', () => {
  it("reads an event's data line after its event line, and rewrites it", () => {
    const event = 'event: response.created\ndata: {"type":"response.created"}';
    const data = eventData(event)!;
    expect(data).toEqual({ line: 'data: {"type":"response.created"}', payload: '{"type":"response.created"}' });
    expect(eventJson(data)).toEqual({ type: 'response.created' });
    expect(withData(event, data, { type: 'x' })).toBe('event: response.created\ndata: {"type":"x"}');
  });

  it('has no JSON object for [DONE], a broken payload or a non-object, and no data for a comment', () => {
    expect(eventJson(eventData('data: [DONE]')!)).toBeUndefined();
    expect(eventJson(eventData('data: {"cut')!)).toBeUndefined();
    expect(eventJson(eventData('data: [1,2]')!)).toBeUndefined();
    expect(eventData(': ping')).toBeUndefined();
  });

  it('knows an event stream by its content type, parameters allowed', () => {
    expect(isEventStreamType('text/event-stream; charset=utf-8')).toBe(true);
    expect(isEventStreamType('application/json')).toBe(false);
    expect(isEventStreamType(undefined)).toBe(false);
  });
});

describe('findInputTokens', () => {
  it("reads an Anthropic message_start's input tokens from a stream's head", () => {
    expect(findInputTokens('event: message_start\ndata: {"type":"message_start","message":{"usage":{"input_tokens":11,"output_tokens":1}}}\n\n')).toBe(11);
    expect(findInputTokens('event: ping\ndata: {"type":"ping"}\n\n')).toBeUndefined();
  });
});

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

