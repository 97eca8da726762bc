import type { IncomingMessage, ServerResponse } from 'node:http';
import { modelNotFound } from '@switchyard/contracts';
import type { Fault } from '../faults/fault';
import { embeddingFor, toBase64 } from '../generation/embedding';
import type { GenerationRequest } from '../requests/generation-request';
import { parseChatRequest } from '../requests/parse-chat';
import { parseCompletionRequest } from '../requests/parse-completion';
import { parseEmbeddingsRequest, type EmbeddingsRequest } from '../requests/parse-embeddings';
import type { ParseContext } from '../requests/request-fields';
import type { SimContext } from '../sim-context';
import type { RequestRecord } from '../stats/sim-stats';
import { admit, authorize } from './admission';
import { runGeneration } from './generation-runner';
import type { Routes } from './router';
import { sendJson } from './send';

/** The OpenAI-compatible routes (issue 2, "services/sim-scheduler"). */
export function openAiRoutes(ctx: SimContext, startedAtSeconds: number): Routes {
  const generation = (route: string, parse: (body: unknown, context: ParseContext) => GenerationRequest) => async (req: IncomingMessage, res: ServerResponse) => {
    const admitted = await admit(ctx, req, res, route);
    if (!admitted) return;
    runGeneration(ctx, res, admitted.record, parse(admitted.body, ctx.parse), admitted.fault);
  };
  const model = (id: string) => ({ id, object: 'model', created: startedAtSeconds, owned_by: 'switchyard-sim' });
  return {
    'POST /v1/chat/completions': generation('/v1/chat/completions', parseChatRequest),
    'POST /v1/completions': generation('/v1/completions', parseCompletionRequest),
    'POST /v1/embeddings': async (req, res) => {
      const admitted = await admit(ctx, req, res, '/v1/embeddings');
      if (admitted) embed(ctx, res, admitted.record, parseEmbeddingsRequest(admitted.body, ctx.parse), admitted.fault);
    },
    'GET /v1/models': (req, res) => {
      authorize(ctx, req);
      sendJson(res, 200, { object: 'list', data: [...ctx.parse.models].map(model) });
    },
    'GET /v1/models/*': (req, res, path) => {
      authorize(ctx, req);
      const id = decodeURIComponent(path.slice('/v1/models/'.length));
      if (!ctx.parse.models.has(id)) throw modelNotFound(id);
      sendJson(res, 200, model(id));
    },
  };
}

/** Embeddings hold a slot for one forward pass (SIM_TTFT_MS), then answer; `die-after` just drops the socket. */
function embed(ctx: SimContext, res: ServerResponse, record: RequestRecord, request: EmbeddingsRequest, fault: Fault): void {
  if (res.destroyed || !res.socket || res.socket.destroyed) return;
  let timer: NodeJS.Timeout | undefined;
  const ticket = ctx.pool.acquire(request.promptTokens, () => {
    timer = setTimeout(() => respond(), fault.kind === 'slow-first-token' ? fault.ms : ctx.ttftMs);
    timer.unref();
  });
  function respond(): void {
    ticket.release();
    if (fault.kind === 'die-after') {
      ctx.stats.settle(record, 'fault');
      res.destroy();
      return;
    }
    const dimensions = request.dimensions ?? ctx.embeddingDim;
    const data = request.inputs.map((text, index) => {
      const vector = embeddingFor(text, dimensions);
      return { object: 'embedding', index, embedding: request.encoding === 'base64' ? toBase64(vector) : vector };
    });
    ctx.metrics.tokens(request.promptTokens, 0);
    sendJson(res, 200, { object: 'list', data, model: request.model, usage: { prompt_tokens: request.promptTokens, total_tokens: request.promptTokens } });
  }
  res.once('close', () => {
    clearTimeout(timer);
    ticket.release();
  });
}
