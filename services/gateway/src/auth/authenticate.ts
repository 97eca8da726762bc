import type { IncomingHttpHeaders } from 'node:http';
import { forbidden, unauthorized, type ApiError } from '@switchyard/contracts';
import type { ValidRequest } from '../pipeline/validate-request';
import { hashKey, type AuthKey, type KeyIndex } from './key-index';
import { presentedKey } from './presented-key';

/**
 * 401 for a missing, unknown or disabled key (OpenAI's `invalid_api_key`); the
 * key when it is valid. Messages never repeat the presented value. `hash` may
 * remember recent keys (createPresentedKeyHasher).
 */
export function authenticate(headers: IncomingHttpHeaders, index: KeyIndex, hash: (key: string) => string = hashKey): AuthKey | ApiError {
  const presented = presentedKey(headers);
  if (presented === undefined) return unauthorized('Missing API key: send Authorization: Bearer <key>.');
  const key = index.find(hash(presented));
  if (key === undefined) return unauthorized('Incorrect API key provided.');
  if (!key.record.enabled) return unauthorized('This API key is disabled.');
  return key;
}

/** 403 for a model outside `allowed_models` or a `backend` pin the key may not make; undefined when allowed. */
export function authorize(key: AuthKey, request: ValidRequest): ApiError | undefined {
  if (!key.mayUse(request.model)) return forbidden(`This API key may not use the model '${request.model}'.`, 'model_not_allowed', 'model');
  if (request.backend !== undefined && !key.record.allow_backend_pin) return forbidden("This API key may not pin requests to a backend ('backend').", 'backend_pin_not_allowed', 'backend');
  return undefined;
}
