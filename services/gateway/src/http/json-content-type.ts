import type { IncomingHttpHeaders } from 'node:http';
import { unsupportedMediaType, type ApiError } from '@switchyard/contracts';

const JSON_TYPE = 'application/json';

/**
 * The 415 for a body a JSON endpoint must not read (issue 21), or undefined.
 *
 * Accepted: `application/json` with any parameters (`; charset=utf-8`), any
 * letter case, and `application/<anything>+json` (RFC 6839 structured suffix).
 * Refused: every other type. `text/plain`, form encodings and multipart are what a
 * web page can POST cross-origin without a CORS preflight, so accepting them would
 * let any page make a visitor's browser call the gateway.
 *
 * A missing content-type is accepted from non-browser clients: the OpenAI SDKs
 * and the README's curl always send `application/json`, but scripts posting with
 * Python requests' `data=` or a bare `http.request` send none, and refusing them
 * would break them for no safety gain. A browser, though, also posts a Blob or
 * ArrayBuffer body without a type and without a preflight, and browsers send
 * `Origin` on every POST: a missing type with an `Origin` is refused too.
 */
export function jsonBodyRefusal(headers: IncomingHttpHeaders): ApiError | undefined {
  const value = headers['content-type'];
  // The SDKs' exact value: one compare on the hot path.
  if (value === JSON_TYPE) return undefined;
  if (value === undefined || value === '') {
    return headers.origin === undefined ? undefined : refusal('no content-type, from a browser (the request has an Origin)');
  }
  return isJsonMediaType(value) ? undefined : refusal(`content-type ${JSON.stringify(value.slice(0, ECHO_CHARS))}`);
}

/** `application/json` or `application/*+json`, parameters and letter case aside. */
export function isJsonMediaType(value: string): boolean {
  const semicolon = value.indexOf(';');
  const type = (semicolon === -1 ? value : value.slice(0, semicolon)).trim().toLowerCase();
  if (type === JSON_TYPE) return true;
  return type.startsWith('application/') && type.endsWith('+json') && type.length > 'application/+json'.length;
}

/** Longest client-sent content-type echoed in the message. */
const ECHO_CHARS = 100;

function refusal(got: string): ApiError {
  return unsupportedMediaType(`Request body must be JSON sent with 'content-type: application/json'; got ${got}.`);
}
