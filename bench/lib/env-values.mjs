/**
 * Parsing of the harness's environment knobs, shared by the default scenarios
 * (options.mjs) and the routing benchmark (routing/options.mjs).
 */

/**
 * A non-negative number from `env[name]`, or `fallback` when unset or empty.
 * @param {NodeJS.ProcessEnv} env
 * @param {string} name
 * @param {number} fallback
 */
export function num(env, name, fallback) {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value < 0) throw new Error(`${name} must be a non-negative number, got "${raw}"`);
  return value;
}

/**
 * `K=V,K2=V2` into an object (extra environment for a process, for experiments).
 * @param {string} text
 * @param {string} name the variable it came from, for the error message
 * @returns {Record<string, string>}
 */
export function keyValues(text, name) {
  /** @type {Record<string, string>} */
  const out = {};
  for (const pair of text.split(',').filter(Boolean)) {
    const at = pair.indexOf('=');
    if (at <= 0) throw new Error(`${name} entries must be K=V, got "${pair}"`);
    out[pair.slice(0, at)] = pair.slice(at + 1);
  }
  return out;
}
