/**
 * The sim's tokenizer, deterministic and simple on purpose (README, "Tokens"): a
 * token is a run of letters/digits or a single other visible character, each with
 * the whitespace before it. Concatenating the tokens gives the text back (minus
 * trailing whitespace), so "how many tokens of my own output are in this text"
 * has one answer, which continuation relies on.
 */
const TOKEN = /\s*[\p{L}\p{N}]+|\s*[^\s\p{L}\p{N}]/gu;

/** Number of tokens in `text`. */
export function countTokens(text: string): number {
  let count = 0;
  const re = new RegExp(TOKEN);
  while (re.exec(text) !== null) count += 1;
  return count;
}

/** The tokens of `text`, each with its leading whitespace. */
export function tokenize(text: string): string[] {
  return text.match(TOKEN) ?? [];
}
