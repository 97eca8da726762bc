import { renderPrompt, renderPromptParts } from './render-prompt';

describe('render prompt', () => {
  it('renders chat messages in order so a longer conversation starts with the shorter one', () => {
    const turn1 = [{ role: 'system', content: 'Be brief.' }, { role: 'user', content: 'Hi' }];
    const turn2 = [...turn1, { role: 'assistant', content: 'Hello!' }, { role: 'user', content: 'Bye' }];
    const one = renderPrompt({ messages: turn1 }, 1000);
    expect(renderPrompt({ messages: turn2 }, 1000).startsWith(one)).toBe(true);
    expect(renderPrompt({ messages: [{ role: 'user', content: 'Hi' }] }, 1000)).not.toBe(renderPrompt({ messages: [{ role: 'system', content: 'Hi' }] }, 1000));
    // Where the instructions and each message end, and whether earlier turns ride along.
    const first = renderPromptParts({ messages: turn1 }, 1000);
    const second = renderPromptParts({ messages: turn2 }, 1000);
    expect(first.instructionChars).toBe('system:Be brief.\u001e'.length);
    expect(first.messageEnds).toEqual([first.instructionChars, first.text.length]);
    expect([first.continued, second.continued]).toEqual([false, true]);
  });

  it('reads text parts, names other parts by type and URL, and skips junk', () => {
    const text = renderPrompt({
      messages: [
        null, 7, 'x',
        { role: 'user', content: [{ type: 'text', text: 'look' }, { type: 'image_url', image_url: { url: 'https://img/1.png' } }, { type: 'input_audio', input_audio: { data: 'AAAA' } }, 3, null] },
        { role: 5, content: { weird: true } },
      ],
    }, 1000);
    expect(text).toContain('look');
    expect(text).toContain('image_url https://img/1.png');
    expect(text).toContain('input_audio AAAA');
    const other = renderPrompt({ messages: [{ role: 'user', content: [{ type: 'text', text: 'look' }, { type: 'image_url', image_url: { url: 'https://img/2.png' } }] }] }, 1000);
    expect(other).not.toBe(text);
  });

  it('renders completion prompts, token ids and embeddings input; empty without a prompt', () => {
    expect(renderPrompt({ prompt: 'once upon' }, 100)).toBe('once upon');
    expect(renderPrompt({ prompt: ['first', 'second'] }, 100)).toBe('first');
    expect(renderPrompt({ prompt: [1, 2, 3] }, 100)).toBe('1,2,3,');
    expect(renderPrompt({ prompt: [[4, 5], [6]] }, 100)).toBe('4,5,');
    expect(renderPrompt({ input: 'embed me' }, 100)).toBe('embed me');
    for (const body of [{}, { messages: [] }, { prompt: [] }, { prompt: 5 }, { messages: 'no' }, { prompt: [{}] }, undefined]) {
      expect(renderPrompt(body as Record<string, unknown> | undefined, 100)).toBe('');
    }
  });

  it('stays within maxChars however large the body', () => {
    const huge = 'w'.repeat(2_000_000);
    expect(renderPrompt({ messages: [{ role: 'system', content: huge }, { role: 'user', content: huge }] }, 4096)).toHaveLength(4096);
    expect(renderPrompt({ prompt: Array.from({ length: 100_000 }, (_, i) => i) }, 64).length).toBeLessThanOrEqual(64);
    expect(renderPrompt({ messages: [{ role: 'user', content: [{ type: 'image_url', image_url: { url: `data:image/png;base64,${huge}` } }] }] }, 4096).length).toBeLessThanOrEqual(4096);
  });
});
