import { Router, type Request } from 'express';
import { invalidRequest } from '@switchyard/contracts';
import { paginate, queryFilter } from '../http/admin/pagination';
import { validateBody } from '../http/admin/validate-body';
import { createKeySchema, type AdminKeys } from './admin-keys';
import type { KeyFileLoader } from './key-file-loader';

/** The routes below, for the HTTP metrics' route label. */
export const KEYS_ROUTES = ['/admin/keys/create', '/admin/keys/list', '/admin/keys/enable', '/admin/keys/disable', '/admin/keys/remove', '/admin/keys/reload'];

/**
 * `/admin/keys/*` (issue 6). Thin: parse, call, answer. `fileLoader` is absent
 * when API_KEYS_FILE is not set.
 */
export function keysRoutes(keys: AdminKeys, fileLoader: KeyFileLoader | undefined): Router {
  const router = Router();

  router.post('/admin/keys/create', async (req, res) => {
    const { key, view } = await keys.create(validateBody(createKeySchema, req.body));
    res.status(201).json({ api_key: { ...view, key } });
  });

  // Filters and pages (issue 16): ?user=team-a&enabled=false&limit=100&after=<last id>; without limit, every match.
  router.get('/admin/keys/list', async (req, res) => {
    const query = req.query as Record<string, unknown>;
    const user = queryFilter(query, 'user');
    const enabled = queryFilter(query, 'enabled', ['true', 'false']);
    const matching = await keys.list((k) => (user === undefined || k.user === user) && (enabled === undefined || String(k.enabled) === enabled));
    const page = paginate(matching, query, (k) => k.id);
    res.json({ api_keys: page.items, next_after: page.next_after, total: page.total });
  });

  router.post('/admin/keys/enable', async (req, res) => {
    res.json({ api_key: await keys.setEnabled(keyIdFrom(req), true) });
  });

  router.post('/admin/keys/disable', async (req, res) => {
    res.json({ api_key: await keys.setEnabled(keyIdFrom(req), false) });
  });

  router.delete('/admin/keys/remove', async (req, res) => {
    res.json({ removed: (await keys.remove(keyIdFrom(req))).id });
  });

  router.post('/admin/keys/reload', async (_req, res) => {
    if (!fileLoader) throw invalidRequest('API_KEYS_FILE is not set; there is no key file to reload.', null, 'no_keys_file');
    const result = await fileLoader.reload();
    if (!result.ok) throw invalidRequest(`API_KEYS_FILE is invalid; the keys in force stay: ${result.problems.join('; ')}`, null, 'invalid_keys_file');
    res.json({ reloaded: true, keys: result.keys, changed: result.changed });
  });

  return router;
}

/** `?id=` or a JSON body `{id}`: a key's id as listed (16 hex characters of its hash). */
function keyIdFrom(req: Request): string {
  const body: unknown = req.body;
  const id: unknown = req.query.id ?? (typeof body === 'object' && body !== null ? (body as { id?: unknown }).id : undefined);
  if (typeof id !== 'string' || !/^[0-9a-f]{16}$/.test(id)) throw invalidRequest('id is required: the 16 hex characters listed by GET /admin/keys/list.', 'id', 'invalid_key_id');
  return id;
}
