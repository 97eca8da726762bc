import { affinityKeyForPrefix } from '@switchyard/routing';
import { affinityKeyFor, promptPrefix } from './affinity-key';

describe('promptPrefix', () => {
  it('concatenates chat messages in order as role: text lines, text parts only', () => {
    const body = {
      messages: [
        { role: 'system', content: 'Be brief.' },
        { role: 'user', content: [{ type: 'text', text: 'Hello ' }, { type: 'image_url', image_url: { url: 'x' } }, { type: 'text', text: 'there' }] },
      ],
    };
    expect(promptPrefix(body, 1000)).toBe('system: Be brief.\nuser: Hello there\n');
  });

  it('covers the instructions up to maxChars, then the opening of the first turn only', () => {
    const long = 'x'.repeat(10_000);
    expect(promptPrefix({ messages: [{ role: 'system', content: long }, { role: 'user', content: 'q' }] }, 100)).toBe(`system: ${'x'.repeat(100)}\nuser: q\n`);
    const turns = [{ role: 'user', content: 'y'.repeat(1000) }, { role: 'assistant', content: 'a' }, { role: 'user', content: 'b' }];
    expect(promptPrefix({ messages: turns }, 512)).toBe(`user: ${'y'.repeat(256)}\n`);
  });

  it('reads no further than maxChars', () => {
    const long = 'x'.repeat(10_000);
    expect(promptPrefix({ prompt: long }, 64)).toHaveLength(64);
  });

  it('takes the completions prompt, the first of a prompt list, token ids, or the embeddings input', () => {
    expect(promptPrefix({ prompt: 'Once upon' }, 100)).toBe('Once upon');
    expect(promptPrefix({ prompt: ['first', 'second'] }, 100)).toBe('first');
    expect(promptPrefix({ prompt: [1, 2, 3] }, 100)).toBe('1,2,3,');
    expect(promptPrefix({ prompt: [[4, 5], [6]] }, 100)).toBe('4,5,');
    expect(promptPrefix({ input: 'embed me' }, 100)).toBe('embed me');
    expect(promptPrefix({ prompt: 42 }, 100)).toBe('');
  });
});

describe('affinityKeyFor', () => {
  const chat = (question: string) => ({ messages: [{ role: 'system', content: 'You are a helpful assistant. '.repeat(30) }, { role: 'user', content: question }] });

  it('prefix: one key per conversation — later turns keep it, another conversation or system prompt gets another', () => {
    const one = affinityKeyFor('prefix', chat('one?'), undefined);
    expect(one).toMatch(/^[0-9a-f]{16}$/);
    const laterTurn = { messages: [...chat('one?').messages, { role: 'assistant', content: 'An answer.' }, { role: 'user', content: 'And then?' }] };
    expect(affinityKeyFor('prefix', laterTurn, undefined)).toBe(one);
    expect(affinityKeyFor('prefix', chat('two?'), undefined)).not.toBe(one);
    expect(affinityKeyFor('prefix', { messages: [{ role: 'system', content: 'Other.' }] }, undefined)).not.toBe(one);
    expect(affinityKeyFor('prefix', { prompt: 'abc' }, undefined)).toBe(affinityKeyForPrefix('abc'));
    expect(affinityKeyFor('prefix', { messages: [] }, undefined)).toBeUndefined();
    expect(affinityKeyFor('prefix', undefined, undefined)).toBeUndefined();
  });

  it('session: the x-session-id header first, else the user field', () => {
    expect(affinityKeyFor('session', { user: 'u1' }, { 'x-session-id': 's9' })).toBe('s9');
    expect(affinityKeyFor('session', { user: 'u1' }, { 'x-session-id': '' })).toBe('u1');
    expect(affinityKeyFor('session', { user: 'u1' }, {})).toBe('u1');
    expect(affinityKeyFor('session', { user: 7 }, {})).toBeUndefined();
    expect(affinityKeyFor('session', {}, undefined)).toBeUndefined();
    expect(affinityKeyFor('session', {}, { 'x-session-id': 'y'.repeat(5000) })).toHaveLength(1024);
  });
});
