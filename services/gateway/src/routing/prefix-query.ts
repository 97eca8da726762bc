import { chainSeed, DEFAULT_PROMPT_BLOCK_OPTIONS, prefixQueryOf, type PrefixQuery } from '@switchyard/routing';

/**
 * The chained block hashes of a request's prompt for cache-aware routing (issue 18
 * item 1): the body rendered template-free (libs/routing render-prompt.ts) and
 * hashed piece by piece, at most `maxChars` of it, in 256-character blocks, the
 * chain seeded by the model (the same prompt for two models shares no KV).
 * Undefined without a prompt. Reads no more of the body than `maxChars`, whatever its size.
 */
export function prefixQueryFor(body: Readonly<Record<string, unknown>> | undefined, model: string, maxChars: number): PrefixQuery | undefined {
  return prefixQueryOf(body, chainSeed(model), { blockChars: DEFAULT_PROMPT_BLOCK_OPTIONS.blockChars, maxChars });
}
