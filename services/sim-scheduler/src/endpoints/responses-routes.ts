import type { IncomingMessage, ServerResponse } from 'node:http';
import { invalidRequest, notFound } from '@switchyard/contracts';
import { countTokens } from '../generation/tokenizer';
import { textOf } from '../generation/word-stream';
import { admit, authorize } from '../http/admission';
import type { Routes } from '../http/router';
import { sendJson, startSse } from '../http/send';
import { optionalInt, requireModel, requireObject, type Body } from '../requests/request-fields';
import type { SimContext } from '../sim-context';
import { paceTokens, textOfInput, writeNamedEvent } from './event-writer';

/** Responses one sim remembers at most (oldest forgotten first), like an engine's bounded store. */
const MAX_STORED_RESPONSES = 10_000;

interface StoredResponse {
  response: Record<string, unknown>;
  inputItems: Record<string, unknown>[];
}

/**
 * The OpenAI Responses API (issue 17): answers are deterministic (SIM_SEED) and
 * every response is kept in this sim's memory only, so a follow-up
 * (`previous_response_id`) or a `/v1/responses/{id}` call reaching another sim
 * gets 404, which makes the gateway's response-id affinity observable.
 */
export function responsesRoutes(ctx: SimContext): Routes {
  const store = new Map<string, StoredResponse>();
  const remember = (id: string, entry: StoredResponse) => {
    store.set(id, entry);
    if (store.size > MAX_STORED_RESPONSES) store.delete(store.keys().next().value!);
  };
  const find = (req: IncomingMessage, path: string): { id: string; entry: StoredResponse; rest: string } => {
    authorize(ctx, req);
    req.resume();
    const [id = '', ...rest] = path.slice('/v1/responses/'.length).split('/');
    const entry = store.get(decodeURIComponent(id));
    if (!entry) throw notFound(`Response with id '${id}' not found on ${ctx.id()}.`, 'response_not_found');
    return { id: decodeURIComponent(id), entry, rest: rest.join('/') };
  };
  return {
    'POST /v1/responses': async (req, res) => {
      const admitted = await admit(ctx, req, res, '/v1/responses');
      if (!admitted) return;
      const body = requireObject(admitted.body);
      const created = createResponse(ctx, body, store);
      remember(created.response.id as string, created);
      if (body.stream === true) await streamResponse(ctx, res, created.response);
      else sendJson(res, 200, created.response);
    },
    'GET /v1/responses/*': (req, res, path) => {
      const { entry, rest } = find(req, path);
      if (rest === '') return sendJson(res, 200, entry.response);
      if (rest !== 'input_items') throw notFound(`Unknown route ${path}.`);
      const data = entry.inputItems;
      sendJson(res, 200, { object: 'list', data, first_id: data[0]?.id ?? null, last_id: data.at(-1)?.id ?? null, has_more: false });
    },
    'DELETE /v1/responses/*': (req, res, path) => {
      const { id } = find(req, path);
      store.delete(id);
      sendJson(res, 200, { id, object: 'response', deleted: true });
    },
    'POST /v1/responses/*': (req, res, path) => {
      const { entry, rest } = find(req, path);
      if (rest !== 'cancel') throw notFound(`Unknown route ${path}.`);
      // Sim answers are complete once created; cancelling one changes nothing, as for a finished background response.
      sendJson(res, 200, entry.response);
    },
  };
}

function createResponse(ctx: SimContext, body: Body, store: ReadonlyMap<string, StoredResponse>): StoredResponse {
  const model = requireModel(body, ctx.parse);
  if (body.input === undefined || body.input === null) throw invalidRequest("Missing required parameter: 'input'.", 'input', 'missing_required_parameter');
  const previousId = body.previous_response_id;
  if (previousId !== undefined && previousId !== null) {
    if (typeof previousId !== 'string') throw invalidRequest("'previous_response_id' must be a string.", 'previous_response_id', 'invalid_type');
    if (!store.has(previousId)) throw notFound(`Previous response with id '${previousId}' not found on ${ctx.id()}.`, 'previous_response_not_found', 'previous_response_id');
  }
  const maxTokens = optionalInt(body, 'max_output_tokens', 1, 100_000) ?? ctx.parse.defaultMaxTokens;
  const inputText = textOfInput(body.input);
  const text = textOf(ctx.parse.seed, 0, maxTokens, 'chat');
  const inputTokens = countTokens(inputText);
  const id = ctx.newId('resp_');
  const response = {
    id,
    object: 'response',
    created_at: Math.floor(Date.now() / 1000),
    status: 'completed',
    error: null,
    incomplete_details: null,
    instructions: body.instructions ?? null,
    max_output_tokens: body.max_output_tokens ?? null,
    model,
    output: [{ type: 'message', id: ctx.newId('msg_'), status: 'completed', role: 'assistant', content: [{ type: 'output_text', text, annotations: [] }] }],
    parallel_tool_calls: true,
    previous_response_id: previousId ?? null,
    store: body.store ?? true,
    temperature: body.temperature ?? 1,
    text: { format: { type: 'text' } },
    tool_choice: 'auto',
    tools: [],
    top_p: body.top_p ?? 1,
    truncation: 'disabled',
    usage: { input_tokens: inputTokens, input_tokens_details: { cached_tokens: 0 }, output_tokens: maxTokens, output_tokens_details: { reasoning_tokens: 0 }, total_tokens: inputTokens + maxTokens },
    user: body.user ?? null,
    metadata: body.metadata ?? {},
  };
  const inputItems = [{ id: ctx.newId('msg_'), type: 'message', role: 'user', status: 'completed', content: [{ type: 'input_text', text: inputText }] }];
  return { response, inputItems };
}

/** The Responses streaming events: created, in_progress, the item and part, text deltas, done events, completed. */
async function streamResponse(ctx: SimContext, res: ServerResponse, response: Record<string, unknown>): Promise<void> {
  startSse(res);
  let sequence = 0;
  const emit = (type: string, fields: object) => writeNamedEvent(res, type, { type, sequence_number: sequence++, ...fields });
  const item = (response.output as Record<string, unknown>[])[0]!;
  const text = ((item.content as Record<string, unknown>[])[0]!.text as string) ?? '';
  const pending = { ...response, status: 'in_progress', output: [], usage: null };
  emit('response.created', { response: pending });
  emit('response.in_progress', { response: pending });
  emit('response.output_item.added', { output_index: 0, item: { ...item, status: 'in_progress', content: [] } });
  const where = { item_id: item.id, output_index: 0, content_index: 0 };
  emit('response.content_part.added', { ...where, part: { type: 'output_text', text: '', annotations: [] } });
  const alive = await paceTokens(ctx, res, text, (delta) => emit('response.output_text.delta', { ...where, delta, logprobs: [] }));
  if (!alive) return;
  emit('response.output_text.done', { ...where, text, logprobs: [] });
  emit('response.content_part.done', { ...where, part: { type: 'output_text', text, annotations: [] } });
  emit('response.output_item.done', { output_index: 0, item });
  emit('response.completed', { response });
  res.end();
}
