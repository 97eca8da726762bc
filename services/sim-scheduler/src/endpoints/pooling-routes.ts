import type { IncomingMessage } from 'node:http';
import { invalidRequest, payloadTooLarge } from '@switchyard/contracts';
import { embeddingFor } from '../generation/embedding';
import { countTokens, tokenize } from '../generation/tokenizer';
import { textOf } from '../generation/word-stream';
import { admit, authorize } from '../http/admission';
import type { Routes } from '../http/router';
import { sendJson } from '../http/send';
import { requireModel, requireObject, type Body } from '../requests/request-fields';
import type { SimContext } from '../sim-context';
import { textOfInput } from './event-writer';

/**
 * The other endpoints of a vLLM server (issue 17): rerank, score, classify,
 * pooling, tokenize/detokenize, speech, images and audio transcription, each with
 * a small deterministic answer of vLLM's shape, so the gateway's routing of them
 * can be tested and benchmarked.
 */
export function poolingRoutes(ctx: SimContext): Routes {
  const json = (route: string, answer: (body: Body, model: string) => Record<string, unknown>) => async (req: IncomingMessage, res: import('node:http').ServerResponse) => {
    const admitted = await admit(ctx, req, res, route);
    if (!admitted) return;
    const body = requireObject(admitted.body);
    const model = requireModel(body, ctx.parse);
    sendJson(res, 200, { id: ctx.newId(`${route.split('/').at(-1)}-`), model, ...answer(body, model) });
  };
  const rerank = json('/v1/rerank', (body) => {
    const query = textOfInput(body.query);
    const documents = Array.isArray(body.documents) ? body.documents.map(textOfInput) : [];
    const results = documents.map((text, index) => ({ index, document: { text }, relevance_score: similarity(query, text) }));
    results.sort((a, b) => b.relevance_score - a.relevance_score);
    const topN = typeof body.top_n === 'number' ? body.top_n : results.length;
    return { usage: { total_tokens: countTokens(query) + documents.reduce((n, d) => n + countTokens(d), 0) }, results: results.slice(0, topN) };
  });
  return {
    'POST /v1/rerank': rerank,
    'POST /rerank': rerank,
    'POST /v1/score': json('/v1/score', (body) => ({
      object: 'list',
      data: [{ index: 0, object: 'score', score: similarity(textOfInput(body.text_1), textOfInput(body.text_2)) }],
      usage: usageOf(`${textOfInput(body.text_1)} ${textOfInput(body.text_2)}`),
    })),
    'POST /v1/classify': json('/v1/classify', (body) => ({
      object: 'list',
      data: inputsOf(body.input).map((text, index) => ({ index, label: countTokens(text) % 2 === 0 ? 'even' : 'odd', probs: [0.5, 0.5], num_classes: 2 })),
      usage: usageOf(inputsOf(body.input).join(' ')),
    })),
    'POST /pooling': json('/pooling', (body) => ({
      object: 'list',
      data: inputsOf(body.input).map((text, index) => ({ index, object: 'pooling', data: embeddingFor(text, ctx.embeddingDim) })),
      usage: usageOf(inputsOf(body.input).join(' ')),
    })),
    'POST /tokenize': json('/tokenize', (body) => {
      const tokens = tokenize(textOfInput(body.prompt ?? body.messages));
      return { count: tokens.length, max_model_len: 32_768, tokens: tokens.map((t) => tokenId(t)), token_strs: tokens };
    }),
    'POST /detokenize': json('/detokenize', (body) => ({ prompt: Array.isArray(body.tokens) ? body.tokens.map((t) => detokenizedWord(Number(t))).join('') : '' })),
    'POST /v1/images/generations': json('/v1/images/generations', () => ({ created: Math.floor(Date.now() / 1000), data: [{ b64_json: ONE_PIXEL_PNG }] })),
    'POST /v1/audio/speech': async (req, res) => {
      const admitted = await admit(ctx, req, res, '/v1/audio/speech');
      if (!admitted) return;
      requireModel(requireObject(admitted.body), ctx.parse);
      const wav = silentWav(0.1);
      res.writeHead(200, { 'content-type': 'audio/wav', 'content-length': wav.length }).end(wav);
    },
    'POST /v1/audio/transcriptions': (req, res) => transcribe(ctx, req, res),
    'POST /v1/audio/translations': (req, res) => transcribe(ctx, req, res),
  };
}

/** Reads the multipart form (the sim may buffer), and answers with words as many as half-seconds of audio. */
async function transcribe(ctx: SimContext, req: IncomingMessage, res: import('node:http').ServerResponse): Promise<void> {
  authorize(ctx, req);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > ctx.maxBodyBytes) throw payloadTooLarge(ctx.maxBodyBytes);
    chunks.push(chunk);
  }
  let form: FormData;
  try {
    form = await new Response(Buffer.concat(chunks), { headers: { 'content-type': String(req.headers['content-type'] ?? '') } }).formData();
  } catch {
    throw invalidRequest('The body must be a multipart/form-data form.', 'file', 'invalid_multipart');
  }
  const model = form.get('model');
  requireModel({ model: typeof model === 'string' ? model : undefined }, ctx.parse);
  const file = form.get('file');
  if (!(file instanceof Blob)) throw invalidRequest("Missing required parameter: 'file'.", 'file', 'missing_required_parameter');
  const seconds = wavSeconds(Buffer.from(await file.arrayBuffer()));
  const words = Math.max(1, Math.round(seconds * 2));
  const text = textOf(ctx.parse.seed, 0, words, 'chat');
  sendJson(res, 200, { text, usage: { type: 'duration', seconds: Math.ceil(seconds) } });
}

function inputsOf(input: unknown): string[] {
  return Array.isArray(input) ? input.map(textOfInput) : [textOfInput(input)];
}

function usageOf(text: string) {
  const tokens = countTokens(text);
  return { prompt_tokens: tokens, total_tokens: tokens, completion_tokens: 0 };
}

/** Share of the query's tokens found in the text, in [0, 1]: deterministic and ordered sensibly. */
function similarity(query: string, text: string): number {
  const words = new Set(tokenize(query.toLowerCase()).map((t) => t.trim()));
  if (words.size === 0) return 0;
  const found = new Set(tokenize(text.toLowerCase()).map((t) => t.trim()).filter((t) => words.has(t)));
  return Math.round((found.size / words.size) * 1000) / 1000;
}

function tokenId(token: string): number {
  let h = 0;
  for (const c of token) h = (Math.imul(h, 31) + c.codePointAt(0)!) >>> 0;
  return h % 32_000;
}

/** The sim has no vocabulary: a token id detokenizes to a deterministic word. */
function detokenizedWord(id: number): string {
  return textOf(id, 0, 1, 'text');
}

/** Duration of a PCM WAV from its header (0 when it is not one). */
function wavSeconds(wav: Buffer): number {
  if (wav.length < 44 || wav.toString('ascii', 0, 4) !== 'RIFF' || wav.toString('ascii', 8, 12) !== 'WAVE') return 0;
  const byteRate = wav.readUInt32LE(28);
  return byteRate > 0 ? (wav.length - 44) / byteRate : 0;
}

/** A mono 16-bit 16 kHz WAV of silence. */
export function silentWav(seconds: number): Buffer {
  const dataBytes = Math.round(seconds * 16_000) * 2;
  const wav = Buffer.alloc(44 + dataBytes);
  wav.write('RIFF', 0, 'ascii');
  wav.writeUInt32LE(36 + dataBytes, 4);
  wav.write('WAVEfmt ', 8, 'ascii');
  wav.writeUInt32LE(16, 16);
  wav.writeUInt16LE(1, 20);
  wav.writeUInt16LE(1, 22);
  wav.writeUInt32LE(16_000, 24);
  wav.writeUInt32LE(32_000, 28);
  wav.writeUInt16LE(2, 32);
  wav.writeUInt16LE(16, 34);
  wav.write('data', 36, 'ascii');
  wav.writeUInt32LE(dataBytes, 40);
  return wav;
}

const ONE_PIXEL_PNG = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mNkYAAAAAYAAjCB0C8AAAAASUVORK5CYII=';
