import type { ServerResponse } from 'node:http';
import { ApiError, invalidRequest, toAnthropicErrorBody } from '@switchyard/contracts';
import { countTokens } from '../generation/tokenizer';
import { textOf } from '../generation/word-stream';
import { admit } from '../http/admission';
import type { RouteHandler, Routes } from '../http/router';
import { sendJson, simInternalError, startSse } from '../http/send';
import { optionalInt, requireModel, requireObject, type Body } from '../requests/request-fields';
import type { SimContext } from '../sim-context';
import { paceTokens, textOfInput, writeNamedEvent } from './event-writer';

/**
 * The Anthropic Messages API as vLLM serves it (issue 17): `POST /v1/messages`,
 * streamed with Anthropic's events, and `/v1/messages/count_tokens`. Errors use
 * Anthropic's envelope.
 */
export function messagesRoutes(ctx: SimContext): Routes {
  return {
    'POST /v1/messages': anthropicErrors(async (req, res) => {
      const admitted = await admit(ctx, req, res, '/v1/messages');
      if (!admitted) return;
      const body = requireObject(admitted.body);
      const message = createMessage(ctx, body);
      if (body.stream === true) await streamMessage(ctx, res, message);
      else sendJson(res, 200, message);
    }),
    'POST /v1/messages/count_tokens': anthropicErrors(async (req, res) => {
      const admitted = await admit(ctx, req, res, '/v1/messages/count_tokens');
      if (!admitted) return;
      const body = requireObject(admitted.body);
      requireModel(body, ctx.parse);
      sendJson(res, 200, { input_tokens: inputTokensOf(body) });
    }),
  };
}

function anthropicErrors(handler: RouteHandler): RouteHandler {
  return async (req, res, path) => {
    try {
      await handler(req, res, path);
    } catch (err) {
      const error = err instanceof ApiError ? err : simInternalError();
      if (res.headersSent) return void res.destroy();
      sendJson(res, error.status, toAnthropicErrorBody(error), error.headers);
    }
  };
}

function inputTokensOf(body: Body): number {
  return countTokens(`${textOfInput(body.system ?? '')}\n${textOfInput(body.messages)}`);
}

function createMessage(ctx: SimContext, body: Body): Record<string, unknown> {
  const model = requireModel(body, ctx.parse);
  if (!Array.isArray(body.messages) || body.messages.length === 0) throw invalidRequest("'messages' must be a non-empty array.", 'messages');
  const maxTokens = optionalInt(body, 'max_tokens', 1, 100_000);
  if (maxTokens === undefined) throw invalidRequest("Missing required parameter: 'max_tokens'.", 'max_tokens', 'missing_required_parameter');
  const text = textOf(ctx.parse.seed, 0, maxTokens, 'chat');
  return {
    id: ctx.newId('msg_'),
    type: 'message',
    role: 'assistant',
    model,
    content: [{ type: 'text', text }],
    stop_reason: 'max_tokens',
    stop_sequence: null,
    usage: { input_tokens: inputTokensOf(body), output_tokens: maxTokens },
  };
}

/** Anthropic's event sequence: message_start, content block start/deltas/stop, message_delta (usage), message_stop. */
async function streamMessage(ctx: SimContext, res: ServerResponse, message: Record<string, unknown>): Promise<void> {
  startSse(res);
  const usage = message.usage as { input_tokens: number; output_tokens: number };
  const emit = (type: string, fields: object) => writeNamedEvent(res, type, { type, ...fields });
  emit('message_start', { message: { ...message, content: [], stop_reason: null, usage: { input_tokens: usage.input_tokens, output_tokens: 1 } } });
  emit('content_block_start', { index: 0, content_block: { type: 'text', text: '' } });
  emit('ping', {});
  const text = ((message.content as { text: string }[])[0]?.text) ?? '';
  const alive = await paceTokens(ctx, res, text, (delta) => emit('content_block_delta', { index: 0, delta: { type: 'text_delta', text: delta } }));
  if (!alive) return;
  emit('content_block_stop', { index: 0 });
  emit('message_delta', { delta: { stop_reason: message.stop_reason, stop_sequence: null }, usage: { output_tokens: usage.output_tokens } });
  emit('message_stop', {});
  res.end();
}
