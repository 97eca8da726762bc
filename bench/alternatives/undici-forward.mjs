/**
 * Alternative B: lean handler + undici Pool.stream(), which writes the upstream
 * body straight into our response without an intermediate Readable.
 */
import { Pool } from 'undici';
import { endToEndHeaders, failUpstream, readJsonBody, serveFromFlags } from './lean-handler.mjs';

await serveFromFlags((upstream) => {
  const pool = new Pool(upstream.origin, { connections: 1024, keepAliveTimeout: 60_000 });
  return async (req, res) => {
    try {
      const { raw } = await readJsonBody(req);
      await pool.stream(
        { path: req.url ?? '/', method: /** @type {'POST'} */ (req.method ?? 'POST'), headers: { 'content-type': 'application/json' }, body: raw },
        ({ statusCode, headers }) => {
          res.writeHead(statusCode, endToEndHeaders(/** @type {Record<string, string | string[]>} */ (headers)));
          return res;
        },
      );
    } catch (err) {
      failUpstream(res, err);
    }
  };
});
