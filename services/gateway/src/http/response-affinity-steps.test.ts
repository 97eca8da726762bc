import type Redis from 'ioredis';
import { createLogger } from '@switchyard/observability';
import { createResponseAffinity, findResponseId } from '../routing/response-affinity';
import { parseResponseCall, pinToPreviousResponse } from './response-affinity-steps';
import type { ValidRequest } from '../pipeline/validate-request';

const logger = createLogger({ level: 'error', service: 'gateway' });

describe('parseResponseCall', () => {
  it('names the four calls on a response id', () => {
    expect(parseResponseCall('GET', '/v1/responses/resp_1')).toEqual({ ok: true, id: 'resp_1', action: 'retrieve' });
    expect(parseResponseCall('DELETE', '/v1/responses/resp_1/')).toEqual({ ok: true, id: 'resp_1', action: 'delete' });
    expect(parseResponseCall('POST', '/v1/responses/resp_1/cancel')).toEqual({ ok: true, id: 'resp_1', action: 'cancel' });
    expect(parseResponseCall('GET', '/v1/responses/resp_1/input_items?limit=2')).toEqual({ ok: true, id: 'resp_1', action: 'input_items' });
  });

  it('refuses other methods and paths with 404 unknown_route', () => {
    for (const [method, url] of [['POST', '/v1/responses/resp_1'], ['GET', '/v1/responses/resp_1/cancel'], ['GET', '/v1/responses/resp_1/a/b'], ['GET', '/v1/responses/']]) {
      const call = parseResponseCall(method!, url!);
      expect(call.ok ? undefined : call.error.code).toBe('unknown_route');
    }
  });
});

describe('response-id affinity (memory only)', () => {
  const request = (previous: unknown): ValidRequest => ({ model: 'm', stream: false, body: { model: 'm', input: 'x', previous_response_id: previous } });

  it('pins a follow-up to the remembered creator, and 404s an unknown or forgotten id', async () => {
    const affinity = createResponseAffinity({ keyPrefix: 't:', ttlSeconds: 60, logger });
    affinity.remember('resp_a', { scheduler: 'sim-1', model: 'm' });
    const known = request('resp_a');
    expect(await pinToPreviousResponse(affinity, known)).toBeUndefined();
    expect(known.affinity).toBe('sim-1');
    const unknown = await pinToPreviousResponse(affinity, request('resp_b'));
    expect([unknown?.status, unknown?.code, unknown?.param]).toEqual([404, 'response_not_found', 'previous_response_id']);
    affinity.forget('resp_a');
    expect((await pinToPreviousResponse(affinity, request('resp_a')))?.status).toBe(404);
    expect(await pinToPreviousResponse(affinity, request(undefined))).toBeUndefined();
    expect((await pinToPreviousResponse(affinity, request(7)))?.status).toBe(400);
  });

  it('keeps at most maxEntries ids, forgetting the least recently used', async () => {
    const affinity = createResponseAffinity({ keyPrefix: 't:', ttlSeconds: 60, logger, maxEntries: 2 });
    affinity.remember('a', { scheduler: 's', model: 'm' });
    affinity.remember('b', { scheduler: 's', model: 'm' });
    await affinity.lookup('a');
    affinity.remember('c', { scheduler: 's', model: 'm' });
    expect(await affinity.lookup('b')).toEqual({ ok: false, reason: 'unknown' });
    expect(await affinity.lookup('a')).toEqual({ ok: true, origin: { scheduler: 's', model: 'm' } });
  });

  it('a Redis that does not answer makes a lookup 503 response_affinity_unavailable, not a false 404', async () => {
    const silent = { get: () => new Promise(() => undefined), set: async () => 'OK', del: async () => 1 } as unknown as Redis;
    const affinity = createResponseAffinity({ client: silent, keyPrefix: 't:', ttlSeconds: 60, logger, timeoutMs: 20 });
    const error = await pinToPreviousResponse(affinity, request('resp_elsewhere'));
    expect([error?.status, error?.code]).toEqual([503, 'response_affinity_unavailable']);
  });

  it('reads the id from the head of a plain answer and of a stream', () => {
    expect(findResponseId('{"id":"resp_1","object":"response"')).toBe('resp_1');
    expect(findResponseId('event: response.created\ndata: {"type":"response.created","sequence_number":0,"response":{"id":"resp_2",')).toBe('resp_2');
    expect(findResponseId('{"object":"resp')).toBeUndefined();
  });
});
