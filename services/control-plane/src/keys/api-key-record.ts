import { createHash } from 'node:crypto';
import type { ApiKeyRecord } from '@switchyard/proto';

/** Where a key comes from: API_KEYS_FILE, or the admin API (`POST /admin/keys/create`). */
export type ApiKeySource = 'file' | 'admin';

/**
 * A client API key as the control plane stores it: the proto record gateways get
 * (hash, user, limits, allowed models) plus where it came from. The key itself is
 * never stored; `prefix` (its first few characters, when known) only helps people
 * recognize a key in a listing.
 */
export interface StoredApiKey extends ApiKeyRecord {
  source: ApiKeySource;
  prefix?: string;
  /** Admin keys only: when the key was created. */
  created_at_ms?: number;
}

/**
 * What `GET /admin/keys/list` shows of a key: no secret, no full hash; the
 * limits and permissions are the record's own fields, so a field added to the
 * proto record is listed too.
 */
export interface ApiKeyView extends Omit<ApiKeyRecord, 'key_sha256'> {
  id: string;
  source: ApiKeySource;
  prefix: string | null;
  key_sha256_prefix: string;
  created_at: string | null;
}

/** Hex SHA-256 of a key, the only form in which keys leave the process that saw them. */
export function hashApiKey(key: string): string {
  return createHash('sha256').update(key, 'utf8').digest('hex');
}

/** A key's id in the admin API: the first 16 hex characters of its hash (unique enough, reveals nothing). */
export function apiKeyId(keySha256: string): string {
  return keySha256.slice(0, 16);
}

/** The start of a key shown in listings: at most 10 characters and never more than a third of the key. */
export function apiKeyPrefix(key: string): string {
  return key.slice(0, Math.min(10, Math.floor(key.length / 3)));
}

/** The listing of a key (fields in the order of the answer: who first, then limits, then when). */
export function toApiKeyView(key: StoredApiKey): ApiKeyView {
  const { key_sha256, user, ...limits } = toApiKeyRecord(key);
  return {
    id: apiKeyId(key_sha256),
    user,
    source: key.source,
    prefix: key.prefix ?? null,
    key_sha256_prefix: key_sha256.slice(0, 12),
    ...limits,
    created_at: key.created_at_ms === undefined ? null : new Date(key.created_at_ms).toISOString(),
  };
}

/** The proto record alone (what gateways get), without the control plane's bookkeeping (source, prefix, created_at_ms). */
export function toApiKeyRecord(key: StoredApiKey): ApiKeyRecord {
  return {
    key_sha256: key.key_sha256,
    user: key.user,
    enabled: key.enabled,
    allowed_models: [...key.allowed_models],
    rpm: key.rpm,
    tpm: key.tpm,
    max_concurrency: key.max_concurrency,
    allow_backend_pin: key.allow_backend_pin,
    allow_explain: key.allow_explain,
    resume_streams: key.resume_streams,
    // Keys stored by an older release have no class: standard.
    priority: key.priority || 'standard',
  };
}

/**
 * The keys gateways receive in a routing table: file keys win over admin keys
 * with the same hash (the file is the operator's declared state), ordered by
 * hash so equal key sets give equal tables.
 */
export function tableApiKeys(keys: readonly StoredApiKey[]): ApiKeyRecord[] {
  const byHash = new Map<string, StoredApiKey>();
  for (const key of keys) {
    const current = byHash.get(key.key_sha256);
    if (!current || (current.source === 'admin' && key.source === 'file')) byHash.set(key.key_sha256, key);
  }
  return [...byHash.values()]
    .sort((a, b) => (a.key_sha256 < b.key_sha256 ? -1 : a.key_sha256 > b.key_sha256 ? 1 : 0))
    .map(toApiKeyRecord);
}
