import { createHash } from 'node:crypto';

/**
 * Keys of a token sequence's full blocks, as vLLM's automatic prefix caching forms
 * them: block i's key = hash(key of block i-1, tokens of block i). A key therefore
 * names the whole prefix up to the end of its block, so two prompts share block i's
 * KV only if they agree on every token before it. A trailing partial block has no
 * key: only full blocks are cached.
 *
 * https://docs.vllm.ai/en/latest/design/prefix_caching.html
 */
export function blockKeys(tokens: readonly string[], blockTokens: number): string[] {
  if (!Number.isInteger(blockTokens) || blockTokens < 1) throw new RangeError(`blockTokens must be a positive integer, got ${blockTokens}`);
  const keys: string[] = [];
  let parent = '';
  for (let end = blockTokens; end <= tokens.length; end += blockTokens) {
    // \u0001 after the parent and \u0000 between tokens keep (parent, tokens) apart;
    // only a prompt with those control characters in it could blur them (a sim may accept that).
    parent = createHash('sha1')
      .update(parent)
      .update('\u0001')
      .update(tokens.slice(end - blockTokens, end).join('\u0000'))
      .digest('base64url');
    keys.push(parent);
  }
  return keys;
}
