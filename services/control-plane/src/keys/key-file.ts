import { z } from 'zod';
import { PRIORITY_CLASSES } from '@switchyard/proto';
import { apiKeyPrefix, hashApiKey, type StoredApiKey } from './api-key-record';

/**
 * The settings of one key, shared by the key file and `POST /admin/keys/create`.
 * 0 means unlimited for rpm, tpm and max_concurrency; `allowed_models` defaults to
 * every model. Messages never echo a value, so problems can be logged and answered.
 */
export const keySettingsShape = {
  user: z.string().min(1).max(128),
  enabled: z.boolean().default(true),
  allowed_models: z.array(z.string().min(1).max(256)).max(1_000).default(['*']),
  rpm: z.number().int().min(0).max(100_000_000).default(0),
  tpm: z.number().int().min(0).max(1e15).default(0),
  max_concurrency: z.number().int().min(0).max(1_000_000).default(0),
  allow_backend_pin: z.boolean().default(false),
  allow_explain: z.boolean().default(false),
  resume_streams: z.boolean().default(false),
  /** Order when the fleet is saturated (issue 19); an unknown class stops the load, naming the three. */
  priority: z.enum(PRIORITY_CLASSES, { error: `must be one of ${PRIORITY_CLASSES.map((c) => `"${c}"`).join(', ')}` }).default('standard'),
};

const KEY = z.string().min(8, 'must be at least 8 characters').max(512).regex(/^[\x21-\x7e]+$/, 'must be printable ASCII without spaces');
const KEY_SHA256 = z.string().regex(/^[0-9a-fA-F]{64}$/, 'must be 64 hex characters (SHA-256)');

const fileEntrySchema = z
  .object({ key: KEY.optional(), key_sha256: KEY_SHA256.optional(), ...keySettingsShape })
  .strict()
  .superRefine((entry, ctx) => {
    if ((entry.key === undefined) === (entry.key_sha256 === undefined)) ctx.addIssue({ code: 'custom', path: ['key'], message: 'exactly one of key and key_sha256 is required' });
  });

const keyFileSchema = z.object({ keys: z.array(fileEntrySchema).max(100_000) }).strict();

export type KeyFileResult = { ok: true; keys: StoredApiKey[] } | { ok: false; problems: string[] };

/**
 * Parses the text of API_KEYS_FILE (ARCHITECTURE.md "API keys file"). Pure. On
 * failure, every problem, each naming its entry and field (`keys[2].rpm: ...`);
 * nothing in a problem repeats the file's content, so keys never reach a log.
 */
export function parseKeyFile(text: string): KeyFileResult {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    // V8's message quotes the text around the error, which may hold a key: keep only the position.
    const position = /position (\d+)/.exec(String(err))?.[1];
    return { ok: false, problems: [`not valid JSON${position === undefined ? '' : ` (at character ${position})`}`] };
  }
  const parsed = keyFileSchema.safeParse(json);
  if (!parsed.success) return { ok: false, problems: parsed.error.issues.map((issue) => `${pathOf(issue.path)}: ${messageOf(issue)}`) };
  const keys = parsed.data.keys.map(({ key, key_sha256, ...settings }): StoredApiKey => ({
    ...settings,
    key_sha256: key === undefined ? key_sha256!.toLowerCase() : hashApiKey(key),
    source: 'file',
    ...(key === undefined ? {} : { prefix: apiKeyPrefix(key) }),
  }));
  const duplicates = duplicateEntries(keys);
  return duplicates.length > 0 ? { ok: false, problems: duplicates } : { ok: true, keys };
}

function duplicateEntries(keys: readonly StoredApiKey[]): string[] {
  const firstIndex = new Map<string, number>();
  return keys.flatMap((key, i) => {
    const first = firstIndex.get(key.key_sha256);
    if (first === undefined) {
      firstIndex.set(key.key_sha256, i);
      return [];
    }
    return [`keys[${i}]: the same key as keys[${first}]`];
  });
}

/** zod's own message, except that unknown field names are only repeated when they look like field names (a key pasted as a name must not be echoed). */
export function messageOf(issue: z.core.$ZodIssue): string {
  if (issue.code !== 'unrecognized_keys') return issue.message;
  const names = issue.keys.map((name) => (/^[a-z_]{1,32}$/.test(name) ? `"${name}"` : '(a name that is not a field name)'));
  return `unknown field${names.length > 1 ? 's' : ''} ${names.join(', ')}`;
}

function pathOf(path: readonly PropertyKey[]): string {
  if (path.length === 0) return 'file';
  return path.reduce<string>((text, part) => (typeof part === 'number' ? `${text}[${part}]` : text === '' ? String(part) : `${text}.${String(part)}`), '');
}
