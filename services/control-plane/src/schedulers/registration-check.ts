import { invalidRequest, type ApiError } from '@switchyard/contracts';
import type { DiscoveryResult } from '../probing/model-discovery';

/** What a registration learns from calling the scheduler the way the gateway will (issue 21). */
export interface RegistrationCheck {
  /** The registration is refused: the scheduler cannot serve anything routed to it. */
  refusal?: ApiError;
  /** Accepted, but the operator should look (listed in the add answer). */
  warnings: string[];
}

/**
 * Judges the scheduler's answer to `GET {url}/v1/models` with its `api_key`: a
 * 401/403 refuses the registration naming `api_key` (every routed request would
 * be refused the same way); a 404 or a model list that does not contain the
 * registered models is reported; an unreachable scheduler is accepted as
 * before (an operator may register a node before it is up).
 */
export function judgeRegistration(result: DiscoveryResult, requestedModels: readonly string[] | undefined, hadApiKey: boolean): RegistrationCheck {
  if (!result.ok) {
    if (result.status === 401 || result.status === 403) {
      const fix = hadApiKey ? 'the api_key given is not the one its server was started with' : 'its server requires a key: register it with api_key';
      return { refusal: invalidRequest(`The scheduler refused GET /v1/models with HTTP ${result.status}: ${fix}.`, 'api_key', 'scheduler_auth_failed'), warnings: [] };
    }
    if (result.status === 404) return { warnings: ['GET /v1/models answered 404: url must be the server root that serves /v1/... (e.g. http://host:8000), not a path below it'] };
    return { warnings: [`not checked: ${result.error.replace(/^model discovery failed: /, '')}`] };
  }
  const missing = (requestedModels ?? []).filter((model) => !result.models.includes(model));
  if (missing.length === 0) return { warnings: [] };
  return { warnings: [`models not listed by the scheduler's GET /v1/models: ${missing.join(', ')} (it lists: ${result.models.slice(0, 20).join(', ')})`] };
}
