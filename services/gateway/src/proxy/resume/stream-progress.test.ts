import { createUsageChunkFilter } from '../../usage/usage-chunk-filter';
import { createProgressFilter, newStreamProgress } from './stream-progress';

const event = (chunk: unknown) => `data: ${JSON.stringify(chunk)}\n\n`;
const chat = (id: string, delta: Record<string, unknown>, finish: string | null = null) => ({ id, object: 'chat.completion.chunk', created: 1, model: 'm', choices: [{ index: 0, delta, finish_reason: finish }] });
const dataOf = (out: Buffer) => out.toString('utf8').split('\n\n').filter((e) => e.startsWith('data: {')).map((e) => JSON.parse(e.slice(6)) as Record<string, unknown>);

describe('createProgressFilter', () => {
  it('tracks the delivered text and tokens, holding a half-written event back', () => {
    const progress = newStreamProgress();
    const filter = createProgressFilter(progress, undefined);
    const whole = event(chat('a', { role: 'assistant', content: '' })) + event(chat('a', { content: 'Hello' })) + event(chat('a', { content: ' world' }));
    const cut = whole.length - 5;
    const first = filter.push(Buffer.from(whole.slice(0, cut)));
    expect(first.toString()).toBe(whole.slice(0, whole.lastIndexOf('data:')));
    expect(progress).toMatchObject({ text: 'Hello', tokens: 1, done: false, identity: { id: 'a', created: 1, model: 'm' } });
    filter.push(Buffer.from(whole.slice(cut) + 'data: [DONE]\n\n'));
    expect(progress).toMatchObject({ text: 'Hello world', tokens: 2, done: true });
  });

  it('gives a continuation the first id, drops its role-only chunk and sums its usage', () => {
    const progress = { ...newStreamProgress(), text: 'Hello', tokens: 3, identity: { id: 'a', created: 1, model: 'm', object: 'chat.completion.chunk' } };
    const filter = createProgressFilter(progress, undefined, { deliveredBefore: 3 });
    const out = filter.push(Buffer.from(event(chat('b', { role: 'assistant', content: '' })) + event({ ...chat('b', { content: '!' }, 'length'), created: 9, model: 'served' }) + event({ id: 'b', created: 9, model: 'x', choices: [], usage: { prompt_tokens: 13, completion_tokens: 2, total_tokens: 15 } })));
    const chunks = dataOf(out);
    expect(chunks).toHaveLength(2);
    expect(chunks.every((c) => c.id === 'a' && c.created === 1 && c.model === 'm')).toBe(true);
    expect(chunks[1]!.usage).toEqual({ prompt_tokens: 10, completion_tokens: 5, total_tokens: 15 });
    expect(progress).toMatchObject({ text: 'Hello!', tokens: 4, finished: true, usage: { promptTokens: 10, completionTokens: 5 } });
  });

  it('notes tool calls and passes complete events through the usage filter', () => {
    const progress = newStreamProgress();
    const filter = createProgressFilter(progress, createUsageChunkFilter());
    const out = filter.push(Buffer.from(event(chat('a', { tool_calls: [{ index: 0 }] })) + event({ id: 'a', choices: [], usage: { prompt_tokens: 1, completion_tokens: 1 } })));
    expect(progress.toolCalls).toBe(true);
    expect(dataOf(out)).toHaveLength(1);
  });

  it('reads completions text', () => {
    const progress = newStreamProgress();
    createProgressFilter(progress, undefined).push(Buffer.from(event({ id: 'c', object: 'text_completion', choices: [{ index: 0, text: ' amber', finish_reason: null }] })));
    expect(progress).toMatchObject({ text: ' amber', tokens: 1 });
  });
});
