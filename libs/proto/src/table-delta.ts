import { compareTableVersions, type ApiKeyRecord, type ModelRoute, type RoutingDelta, type RoutingTable, type SchedulerEntry } from './messages';
import { HEX_HASH, mergePackedKeys } from './packed-keys';

/**
 * Change batches of the routing-table stream (issue 16): both planes share this
 * pure code, the control plane to compute a batch from two tables and to keep its
 * own copy of the table current, the gateway to apply a batch it received.
 * Invariant (tested): applyDelta(a, diffTables(a, b)) reproduces b exactly.
 */

export type DeltaRejection = 'stale' | 'gap' | 'malformed';
export type DeltaResult = { ok: true; table: RoutingTable } | { ok: false; reason: DeltaRejection; detail: string };

/** A change-batch message: (epoch, version) of the table it produces, the rest empty. */
export function deltaMessage(next: Pick<RoutingTable, 'epoch' | 'version' | 'generated_at_ms'>, delta: RoutingDelta): RoutingTable {
  return { epoch: next.epoch, version: next.version, generated_at_ms: next.generated_at_ms, default_strategy: '', schedulers: [], models: {}, api_keys: [], auth_required: false, delta };
}

/** True when the message is a change batch rather than a snapshot. */
export function isDelta(message: RoutingTable): message is RoutingTable & { delta: RoutingDelta } {
  return message.delta !== undefined && message.delta !== null;
}

/** Key changes the caller already knows (the control plane's key events name them), so no list of every key is compared. */
export interface KnownKeyChanges {
  upserts: ApiKeyRecord[];
  removals: string[];
}

/**
 * The batch turning `base` into `next` (whole entries for anything that changed).
 * Lists that are the same array are not compared; with `keys` the key part of
 * the batch is taken as given (it must be what turns base's keys into next's).
 */
export function diffTables(base: RoutingTable, next: RoutingTable, keys?: KnownKeyChanges): RoutingTable {
  const schedulers = base.schedulers === next.schedulers ? { upserts: [], removals: [] } : diffById(base.schedulers, next.schedulers, (s) => s.id);
  keys ??= base.api_keys === next.api_keys ? { upserts: [], removals: [] } : diffKeys(base.api_keys, next.api_keys);
  const modelUpserts: Record<string, ModelRoute> = {};
  for (const [name, route] of Object.entries(next.models)) {
    const before = base.models[name];
    if (!before || JSON.stringify(before) !== JSON.stringify(route)) modelUpserts[name] = route;
  }
  const settingsChanged = base.default_strategy !== next.default_strategy || base.auth_required !== next.auth_required;
  return deltaMessage(next, {
    base_epoch: base.epoch,
    base_version: base.version,
    scheduler_upserts: schedulers.upserts,
    scheduler_removals: schedulers.removals,
    model_upserts: modelUpserts,
    model_removals: Object.keys(base.models).filter((name) => !Object.hasOwn(next.models, name)),
    key_upserts: keys.upserts,
    key_removals: keys.removals,
    settings: settingsChanged ? { default_strategy: next.default_strategy, auth_required: next.auth_required } : null,
  });
}

/** How many entries a batch changes (logs and metrics). */
export function deltaSize(delta: RoutingDelta): number {
  return delta.scheduler_upserts.length + delta.scheduler_removals.length + Object.keys(delta.model_upserts).length + delta.model_removals.length + delta.key_upserts.length + delta.key_removals.length + (delta.settings ? 1 : 0);
}

/**
 * Applies a batch to `base` without touching it: a new table, or why not. Stale
 * (the base already is that version or newer) is harmless; a gap (the batch is
 * for another base) or a malformed batch means the caller needs a snapshot.
 * Never partial: either every change applies or the result is a rejection.
 */
export function applyDelta(base: RoutingTable, message: RoutingTable): DeltaResult {
  const delta = message.delta;
  if (!delta || !isVersion(message.epoch) || !isVersion(message.version)) return reject('malformed', 'not a change batch');
  if (compareTableVersions(message, base) <= 0) return reject('stale', `has ${base.epoch}/${base.version}, batch is ${message.epoch}/${message.version}`);
  if (delta.base_epoch !== base.epoch || delta.base_version !== base.version) {
    return reject('gap', `has ${base.epoch}/${base.version}, batch applies on ${delta.base_epoch}/${delta.base_version}`);
  }
  const problem = findProblem(delta);
  if (problem) return reject('malformed', problem);
  const settings = delta.settings ?? { default_strategy: base.default_strategy, auth_required: base.auth_required };
  return {
    ok: true,
    table: {
      epoch: message.epoch,
      version: message.version,
      generated_at_ms: isVersion(message.generated_at_ms) ? message.generated_at_ms : base.generated_at_ms,
      default_strategy: settings.default_strategy,
      schedulers: mergeById(base.schedulers, delta.scheduler_upserts, delta.scheduler_removals, (s) => s.id),
      models: mergeModels(base.models, delta.model_upserts, delta.model_removals),
      ...mergeTableKeys(base, delta),
      auth_required: settings.auth_required,
    },
  };
}

/** A base that holds its keys packed (a gateway's) gets the key changes merged into them; else into api_keys. */
function mergeTableKeys(base: RoutingTable, delta: RoutingDelta): Pick<RoutingTable, 'api_keys' | 'packed_keys'> {
  if (base.packed_keys) return { api_keys: base.api_keys, packed_keys: mergePackedKeys(base.packed_keys, delta.key_upserts, delta.key_removals) };
  return { api_keys: mergeById(base.api_keys, delta.key_upserts, delta.key_removals, (k) => k.key_sha256) };
}

function reject(reason: DeltaRejection, detail: string): DeltaResult {
  return { ok: false, reason, detail };
}

function isVersion(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
}

/** The first reason the batch cannot be trusted, if any (types are checked too: a batch may come from anywhere). */
function findProblem(delta: RoutingDelta): string | undefined {
  if (!Array.isArray(delta.scheduler_upserts) || !Array.isArray(delta.scheduler_removals) || !Array.isArray(delta.key_upserts) || !Array.isArray(delta.key_removals) || !Array.isArray(delta.model_removals)) return 'missing lists';
  if (typeof delta.model_upserts !== 'object' || delta.model_upserts === null) return 'missing model_upserts';
  const badScheduler = delta.scheduler_upserts.find((s) => !isSchedulerEntry(s));
  if (badScheduler !== undefined) return 'a scheduler upsert without id, url or models';
  if (!delta.scheduler_removals.every(isName) || !delta.model_removals.every(isName)) return 'an empty removal';
  if (Object.entries(delta.model_upserts).some(([name, route]) => !isName(name) || !isModelRoute(route))) return 'a bad model route';
  if (delta.key_upserts.some((k) => !isKeyRecord(k)) || !delta.key_removals.every((h) => typeof h === 'string' && HEX_HASH.test(h))) return 'a bad key record';
  if (delta.settings && (typeof delta.settings.default_strategy !== 'string' || delta.settings.default_strategy === '')) return 'settings without a strategy';
  if (hasDuplicates(delta.scheduler_upserts.map((s) => s.id), delta.scheduler_removals)) return 'a scheduler listed twice';
  if (hasDuplicates(delta.key_upserts.map((k) => k.key_sha256), delta.key_removals)) return 'a key listed twice';
  return undefined;
}

function isName(value: unknown): value is string {
  return typeof value === 'string' && value !== '';
}

function isSchedulerEntry(s: SchedulerEntry): boolean {
  return typeof s === 'object' && s !== null && isName(s.id) && isName(s.url) && Array.isArray(s.models) && s.models.every(isName) && typeof s.effective_weight === 'number' && Number.isFinite(s.effective_weight);
}

function isModelRoute(route: ModelRoute): boolean {
  return typeof route === 'object' && route !== null && Array.isArray(route.served_names) && route.served_names.every(isName);
}

function isKeyRecord(k: ApiKeyRecord): boolean {
  return typeof k === 'object' && k !== null && typeof k.key_sha256 === 'string' && HEX_HASH.test(k.key_sha256) && Array.isArray(k.allowed_models);
}

function hasDuplicates(upserts: readonly string[], removals: readonly string[]): boolean {
  const all = [...upserts, ...removals];
  return new Set(all).size !== all.length;
}

/**
 * The key part of a batch: a walk over both lists in hash order comparing fields
 * (100,000 keys without a JSON string each, issue 16); lists out of order fall
 * back to the general diff.
 */
function diffKeys(before: readonly ApiKeyRecord[], after: readonly ApiKeyRecord[]): KnownKeyChanges {
  const hash = (k: ApiKeyRecord) => k.key_sha256;
  if (!isSortedById(before, hash) || !isSortedById(after, hash)) return diffById(before, after, hash);
  const changes: KnownKeyChanges = { upserts: [], removals: [] };
  let i = 0;
  let j = 0;
  while (i < before.length || j < after.length) {
    const a = before[i];
    const b = after[j];
    if (b === undefined || (a !== undefined && a.key_sha256 < b.key_sha256)) {
      changes.removals.push(a!.key_sha256);
      i++;
    } else if (a === undefined || b.key_sha256 < a.key_sha256) {
      changes.upserts.push(b);
      j++;
    } else {
      if (a !== b && !sameFields(a, b)) changes.upserts.push(b);
      i++;
      j++;
    }
  }
  return changes;
}

/** Field by field, arrays element by element (a key record's values are scalars and string lists). */
function sameFields(a: object, b: object): boolean {
  const left = a as Record<string, unknown>;
  const right = b as Record<string, unknown>;
  const names = Object.keys(left);
  if (names.length !== Object.keys(right).length) return false;
  return names.every((name) => {
    const x = left[name];
    const y = right[name];
    if (Array.isArray(x) && Array.isArray(y)) return x.length === y.length && x.every((v, i) => v === y[i]);
    return x === y || (typeof x === 'object' && typeof y === 'object' && x !== null && y !== null && JSON.stringify(x) === JSON.stringify(y));
  });
}

function diffById<T>(before: readonly T[], after: readonly T[], id: (item: T) => string): { upserts: T[]; removals: string[] } {
  const old = new Map(before.map((item) => [id(item), JSON.stringify(item)]));
  const upserts = after.filter((item) => old.get(id(item)) !== JSON.stringify(item));
  const kept = new Set(after.map(id));
  return { upserts, removals: [...old.keys()].filter((key) => !kept.has(key)) };
}

/** A table's keys with a batch's key changes applied (the control plane's publisher uses it for key-only changes). */
export function mergeKeys(base: readonly ApiKeyRecord[], upserts: readonly ApiKeyRecord[], removals: readonly string[]): ApiKeyRecord[] {
  return mergeById(base, upserts, removals, (k) => k.key_sha256);
}

/** Above this many changed entries a merge rebuilds the list instead of inserting into a copy. */
const SMALL_CHANGE = 64;

/**
 * The base list with removals and upserts applied, ordered by id as the control
 * plane builds tables. Unchanged lists are returned as they are (same array), so
 * a gateway can tell that, say, its key index needs no rebuild. A few changes to
 * a sorted list (one key of 100,000) cost a copy and a binary search each, not a
 * map and a sort of the whole list (issue 16).
 */
function mergeById<T>(base: readonly T[], upserts: readonly T[], removals: readonly string[], id: (item: T) => string): T[] {
  if (upserts.length === 0 && removals.length === 0) return base as T[];
  if (upserts.length + removals.length <= SMALL_CHANGE && isSortedById(base, id)) return patchSorted(base, upserts, removals, id);
  const byId = new Map(base.map((item) => [id(item), item]));
  for (const removed of removals) byId.delete(removed);
  let added = false;
  for (const item of upserts) {
    added ||= !byId.has(id(item));
    byId.set(id(item), item);
  }
  // A Map keeps insertion order through deletes and replacements: only new ids need a sort.
  if (!added) return [...byId.values()];
  return [...byId.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, item]) => item);
}

function mergeModels(base: Record<string, ModelRoute>, upserts: Record<string, ModelRoute>, removals: readonly string[]): Record<string, ModelRoute> {
  if (Object.keys(upserts).length === 0 && removals.length === 0) return base;
  const merged = new Map(Object.entries(base));
  for (const name of removals) merged.delete(name);
  for (const [name, route] of Object.entries(upserts)) merged.set(name, route);
  return Object.fromEntries([...merged.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

function isSortedById<T>(list: readonly T[], id: (item: T) => string): boolean {
  for (let i = 1; i < list.length; i++) if (!(id(list[i - 1]!) < id(list[i]!))) return false;
  return true;
}

/** The key with this hash in a list ordered by hash (as every table's api_keys is), by binary search. */
export function findSortedKey(keys: readonly ApiKeyRecord[], hash: string): ApiKeyRecord | undefined {
  const at = search(keys, hash, (k) => k.key_sha256);
  return at >= 0 ? keys[at] : undefined;
}

/** Index of `key` in the sorted list, or -(insertion point) - 1. */
function search<T>(list: readonly T[], key: string, id: (item: T) => string): number {
  let lo = 0;
  let hi = list.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    const at = id(list[mid]!);
    if (at === key) return mid;
    if (at < key) lo = mid + 1;
    else hi = mid - 1;
  }
  return -lo - 1;
}

function patchSorted<T>(base: readonly T[], upserts: readonly T[], removals: readonly string[], id: (item: T) => string): T[] {
  const out = [...base];
  for (const removed of removals) {
    const at = search(out, removed, id);
    if (at >= 0) out.splice(at, 1);
  }
  for (const item of upserts) {
    const at = search(out, id(item), id);
    if (at >= 0) out[at] = item;
    else out.splice(-at - 1, 0, item);
  }
  return out;
}
