import { Router, type Response } from 'express';
import { STATUS_PAGE_HTML } from './status-page-html';
import { STATUS_PAGE_SCRIPT } from './status-page-script';
import { STATUS_PAGE_STYLE } from './status-page-style';

/** Paths of the status page, for the HTTP metrics' route label. */
export const STATUS_PAGE_ROUTES = ['/status', '/status/app.js', '/status/style.css'];

/**
 * The page may only load its own script and style and talk to this origin: the
 * data it shows (scheduler ids, URLs, labels) comes from registrations and is
 * always inserted as text, and the CSP is the second line of defence.
 */
const SECURITY_HEADERS: Record<string, string> = {
  'content-security-policy':
    "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'cache-control': 'no-cache',
};

/**
 * `GET /status` (issue 7): the live status page, plain HTML/CSS/JS with no
 * external resources, so it works offline and behind any proxy. It holds no
 * data, so it is served without auth; its script asks for the admin token once
 * (kept in sessionStorage) and polls the admin JSON APIs with it.
 */
export function statusPageRoutes(): Router {
  const router = Router();
  const send = (res: Response, type: string, body: string) => {
    res.set(SECURITY_HEADERS).type(type).send(body);
  };
  router.get('/status', (_req, res) => send(res, 'html', STATUS_PAGE_HTML));
  router.get('/status/app.js', (_req, res) => send(res, 'text/javascript', STATUS_PAGE_SCRIPT));
  router.get('/status/style.css', (_req, res) => send(res, 'text/css', STATUS_PAGE_STYLE));
  return router;
}
