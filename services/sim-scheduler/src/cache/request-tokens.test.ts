import { tokenize } from '../generation/tokenizer';
import { textOf } from '../generation/word-stream';
import { parseChatRequest } from '../requests/parse-chat';
import { parseCompletionRequest } from '../requests/parse-completion';
import type { ParseContext } from '../requests/request-fields';
import { createPrefixCache } from './prefix-cache';
import { cachedPromptTokens, requestTokens } from './request-tokens';

const context: ParseContext = { models: new Set(['m']), seed: 7, defaultMaxTokens: 16 };
const SYSTEM = 'You are a careful assistant for the billing team. '.repeat(8);

describe('requestTokens', () => {
  it('gives one cache token per prompt token, tagged by role at each message start', () => {
    const request = parseChatRequest({ model: 'm', messages: [{ role: 'system', content: 'Hi there' }, { role: 'user', content: 'Hi there' }], max_tokens: 3 }, context);
    const { prompt, answer } = requestTokens(request);
    expect(prompt).toHaveLength(request.promptTokens);
    expect(prompt[0]).toBe('system\u0002Hi');
    expect(prompt[2]).toBe('user\u0002Hi');
    expect(answer).toHaveLength(3);
    expect(answer[0]!.startsWith('assistant\u0002')).toBe(true);
  });

  it("makes the next chat turn's prefix (the answer sent back) hit the first turn's blocks", () => {
    const cache = createPrefixCache({ capacityBlocks: 1000, blockTokens: 16 });
    const turn1 = [{ role: 'system', content: SYSTEM }, { role: 'user', content: 'Why was I charged twice?' }];
    const first = parseChatRequest({ model: 'm', messages: turn1, max_tokens: 40, seed: 3 }, context);
    expect(cachedPromptTokens(cache, first)).toBe(0);
    const answerText = textOf(3, 0, 40, 'chat');
    const turn2 = [...turn1, { role: 'assistant', content: answerText }, { role: 'user', content: 'And the refund?' }];
    const second = parseChatRequest({ model: 'm', messages: turn2, max_tokens: 40, seed: 4 }, context);
    const hit = cachedPromptTokens(cache, second);
    const firstSequence = first.promptTokens + 40;
    expect(hit).toBe(Math.floor(firstSequence / 16) * 16);
  });

  it('continues a text completion prompt with its own answer', () => {
    const cache = createPrefixCache({ capacityBlocks: 1000, blockTokens: 4 });
    const prompt = 'Once upon a time in a land far away there lived';
    const first = parseCompletionRequest({ model: 'm', prompt, max_tokens: 12, seed: 9 }, context);
    cachedPromptTokens(cache, first);
    const next = parseCompletionRequest({ model: 'm', prompt: prompt + textOf(9, 0, 12, 'text'), max_tokens: 4, seed: 9 }, context);
    expect(next.promptTokens).toBe(tokenize(prompt).length + 12);
    expect(cachedPromptTokens(cache, next)).toBe(Math.floor((next.promptTokens - 1) / 4) * 4);
  });

  it('returns 0 and caches nothing when the cache is off', () => {
    const cache = createPrefixCache({ capacityBlocks: 0, blockTokens: 16 });
    const request = parseCompletionRequest({ model: 'm', prompt: SYSTEM }, context);
    expect(cachedPromptTokens(cache, request)).toBe(0);
    expect(cachedPromptTokens(cache, request)).toBe(0);
  });
});
