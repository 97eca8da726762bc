import type { ModelRoute } from '@switchyard/proto';
import { isStrategyName, STRATEGY_NAMES, type StrategyName } from '@switchyard/routing';
import { saturationFor, type ModelSaturations } from './model-saturation';

/** Public model name → the names schedulers serve it under (MODEL_ALIASES). */
export type ModelAliases = Record<string, string[]>;
/** Public model name → strategy overriding the table default (MODEL_STRATEGIES). */
export type ModelStrategies = Record<string, StrategyName>;
/** Public model names whose streams gateways resume mid-way, `*` = all (MODEL_RESUME_STREAMS, issue 10). */
export type ModelResumeStreams = readonly string[];

export type ParseResult<T> = { ok: true; value: T } | { ok: false; reason: string };

/** Model names: anything but the separators of the two formats below and whitespace. */
const MODEL_NAME = /^[^\s=,|]{1,256}$/;

/**
 * MODEL_ALIASES: `public=served1|served2,public2=served3`. A client asking for
 * `public` is routed to any scheduler serving one of the served names (the
 * gateway rewrites the model upstream). Chosen over JSON because it fits one
 * line of a Helm value or compose file, like every other list variable here.
 */
export function parseModelAliases(text: string): ParseResult<ModelAliases> {
  const entries = parseEntries(text);
  if (!entries.ok) return entries;
  const aliases: ModelAliases = {};
  for (const [name, value] of entries.value) {
    const served = value.split('|').map((s) => s.trim());
    const bad = served.find((s) => !MODEL_NAME.test(s));
    if (bad !== undefined) return { ok: false, reason: `alias '${name}': bad served name '${bad}' (expected public=served1|served2,...)` };
    aliases[name] = [...new Set(served)];
  }
  return { ok: true, value: aliases };
}

/** MODEL_RESUME_STREAMS: `model1,model2` (public names) or `*` for every model. */
export function parseModelResumeStreams(text: string): ParseResult<ModelResumeStreams> {
  const names = text.split(',').map((n) => n.trim()).filter((n) => n !== '');
  const bad = names.find((n) => n !== '*' && !MODEL_NAME.test(n));
  return bad === undefined ? { ok: true, value: [...new Set(names)] } : { ok: false, reason: `bad model name '${bad.slice(0, 64)}' (expected model1,model2 or *)` };
}

/** MODEL_STRATEGIES: `model=strategy,...`, strategies as in ROUTING_STRATEGY. */
export function parseModelStrategies(text: string): ParseResult<ModelStrategies> {
  const entries = parseEntries(text);
  if (!entries.ok) return entries;
  const strategies: ModelStrategies = {};
  for (const [name, value] of entries.value) {
    if (!isStrategyName(value)) return { ok: false, reason: `model '${name}': unknown strategy '${value}' (one of ${STRATEGY_NAMES.join(', ')})` };
    strategies[name] = value;
  }
  return { ok: true, value: strategies };
}

/** `name=value` pairs separated by commas; names valid and unique. */
function parseEntries(text: string): ParseResult<Array<[string, string]>> {
  const entries: Array<[string, string]> = [];
  for (const part of text.split(',').map((p) => p.trim()).filter((p) => p !== '')) {
    const eq = part.indexOf('=');
    const name = part.slice(0, eq).trim();
    const value = part.slice(eq + 1).trim();
    if (eq < 0 || !MODEL_NAME.test(name) || value === '') return { ok: false, reason: `bad entry '${part.slice(0, 64)}' (expected name=value,...)` };
    if (entries.some(([n]) => n === name)) return { ok: false, reason: `'${name}' is listed twice` };
    entries.push([name, value]);
  }
  return { ok: true, value: entries };
}

/**
 * The table's models map (pure, sorted by name): every served model under its
 * own name, then each alias whose served names some scheduler in the table
 * serves (an alias shadows a served model of the same name), each with its
 * strategy override ('' = the table default) and whether its streams are resumed.
 */
export function buildModelRoutes(servedModels: readonly string[], aliases: ModelAliases = {}, strategies: ModelStrategies = {}, resumeStreams: ModelResumeStreams = [], saturations?: ModelSaturations): Record<string, ModelRoute> {
  const resumeAll = resumeStreams.includes('*');
  const served = new Set(servedModels);
  const routes = new Map<string, string[]>(servedModels.map((name) => [name, [name]]));
  for (const [name, targets] of Object.entries(aliases)) {
    if (targets.some((t) => served.has(t))) routes.set(name, [...targets]);
  }
  const models: Record<string, ModelRoute> = {};
  for (const name of [...routes.keys()].sort(compare)) {
    const route: ModelRoute = { strategy: strategies[name] ?? '', served_names: routes.get(name)!, resume_streams: resumeAll || resumeStreams.includes(name) };
    // Only set when configured: tables (and golden files) without MODEL_SATURATION stay as they were.
    const saturation = saturationFor(name, saturations);
    models[name] = saturation === null ? route : { ...route, saturation };
  }
  return models;
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
