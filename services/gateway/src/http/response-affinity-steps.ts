import { ApiError, invalidRequest, notFound, serviceUnavailable } from '@switchyard/contracts';
import { readAnswerHead } from '../proxy/answer-head';
import { findInputTokens } from '../pipeline/sse-reader';
import type { UpstreamExchange } from '../proxy/forward';
import { findResponseId, type ResponseAffinity, type ResponseOrigin } from '../routing/response-affinity';
import { pathOf } from './route-path';
import type { RequestRecord } from '../pipeline/request-record';
import { RESPONSE_BY_ID_PREFIX, type ValidRequest } from '../pipeline/validate-request';

/**
 * The steps the Responses and Messages APIs add to the shared pipeline (issue 17):
 * response-id affinity before routing, and reading what the answer's head says
 * (the new response's id; an Anthropic stream's input tokens) while it is relayed.
 */

/** A `previous_response_id` pins the request to the response's creator; an unknown id is a 404 (never a guess). */
export async function pinToPreviousResponse(affinity: ResponseAffinity | undefined, request: ValidRequest): Promise<ApiError | undefined> {
  const previous = request.body.previous_response_id;
  if (previous === undefined || previous === null) return undefined;
  if (typeof previous !== 'string' || previous === '') return invalidRequest("'previous_response_id' must be a non-empty string.", 'previous_response_id', 'invalid_type');
  const found = await originOf(affinity, previous, 'previous_response_id');
  if (!found.ok) return found.error;
  request.affinity = found.origin.scheduler;
  return undefined;
}

/** The creator of response `id`, or the error to answer: 404 when unknown, 503 when it cannot be looked up now. */
export async function originOf(affinity: ResponseAffinity | undefined, id: string, param: string | null = null): Promise<{ ok: true; origin: ResponseOrigin } | { ok: false; error: ApiError }> {
  const found = await affinity?.lookup(id);
  if (found?.ok) return found;
  if (found?.reason === 'unavailable') {
    return { ok: false, error: serviceUnavailable(`Cannot look up which scheduler holds response '${id}' right now (Redis did not answer); retry shortly.`, 'response_affinity_unavailable') };
  }
  return { ok: false, error: unknownResponse(id, param) };
}

export type ResponseCall = { ok: true; id: string; action: 'retrieve' | 'delete' | 'cancel' | 'input_items' } | { ok: false; error: ApiError };

/** Which `/v1/responses/{id}…` call this is: GET and DELETE on the id, POST `/cancel`, GET `/input_items`. */
export function parseResponseCall(method: string, url: string): ResponseCall {
  const rest = pathOf(url).slice(RESPONSE_BY_ID_PREFIX.length).replace(/\/$/, '');
  const [rawId = '', suffix, ...more] = rest.split('/');
  let id: string;
  try {
    id = decodeURIComponent(rawId);
  } catch {
    return { ok: false, error: invalidRequest('The response id in the path is not valid URL encoding.') };
  }
  const action = more.length > 0 || id === '' ? undefined : actionOf(method, suffix);
  if (action === undefined) return { ok: false, error: notFound(`Unknown route: ${method} ${pathOf(url)}. Responses are read with GET /v1/responses/{id} and /v1/responses/{id}/input_items, deleted with DELETE /v1/responses/{id}, cancelled with POST /v1/responses/{id}/cancel.`, 'unknown_route') };
  return { ok: true, id, action };
}

function actionOf(method: string, suffix: string | undefined): (ResponseCall & { ok: true })['action'] | undefined {
  if (suffix === undefined) return method === 'GET' ? 'retrieve' : method === 'DELETE' ? 'delete' : undefined;
  if (suffix === 'cancel' && method === 'POST') return 'cancel';
  if (suffix === 'input_items' && method === 'GET') return 'input_items';
  return undefined;
}

function unknownResponse(id: string, param: string | null = null): ApiError {
  return notFound(`No response with id '${id}' is known to the gateway: it was not created through it, or it was deleted or has expired (RESPONSE_AFFINITY_TTL_SECONDS).`, 'response_not_found', param);
}

/**
 * What to read from a successful answer's head, if anything: a new response's id
 * (remembered with its scheduler), or the input tokens of an Anthropic stream.
 */
export function answerHook(record: RequestRecord, affinity: ResponseAffinity | undefined): ((exchange: UpstreamExchange, schedulerId: string) => void) | undefined {
  if (record.endpoint === 'responses' && affinity !== undefined) {
    return (exchange, scheduler) =>
      readAnswerHead(exchange, (head) => {
        const id = findResponseId(head);
        if (id !== undefined) affinity.remember(id, { scheduler, model: record.model });
        return id !== undefined;
      });
  }
  if (record.endpoint === 'messages' && record.stream) {
    return (exchange) =>
      readAnswerHead(exchange, (head) => {
        const tokens = findInputTokens(head);
        if (tokens !== undefined) record.inputTokensSeen(tokens);
        return tokens !== undefined;
      });
  }
  return undefined;
}
