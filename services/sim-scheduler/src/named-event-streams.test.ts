import { request } from 'node:http';
import type { Sim } from './create-sim';
import { postJson, simStats, startTestSim } from './sim.fixture';

/**
 * The Responses and Messages streams (named SSE events, paced on the sim's
 * token clock): the event sequence, one delta per token, and a client that
 * leaves mid-stream.
 */

interface NamedEvent {
  event: string;
  data: Record<string, unknown>;
}

/** Every `event:` / `data:` block of a whole stream. */
async function readNamedEvents(response: Response): Promise<NamedEvent[]> {
  expect(response.headers.get('content-type')).toBe('text/event-stream');
  const text = await response.text();
  return text
    .split('\n\n')
    .filter((block) => block.trim() !== '')
    .map((block) => {
      const lines = block.split('\n');
      const event = lines.find((l) => l.startsWith('event: '))!.slice('event: '.length);
      const data = JSON.parse(lines.find((l) => l.startsWith('data: '))!.slice('data: '.length)) as Record<string, unknown>;
      return { event, data };
    });
}

describe('sim: named-event streams', () => {
  let sim: Sim & { base: string };
  beforeAll(async () => {
    sim = await startTestSim({ SIM_TTFT_MS: '1', SIM_ITL_MS: '1' });
  });
  afterAll(() => sim.stop());

  it('a streamed response: created … one output_text.delta per token … completed, the deltas spelling the final text', async () => {
    const events = await readNamedEvents(await postJson(`${sim.base}/v1/responses`, { model: 'sim-model', input: 'Tell me', max_output_tokens: 7, stream: true }));
    const types = events.map((e) => e.event);
    expect(types.slice(0, 4)).toEqual(['response.created', 'response.in_progress', 'response.output_item.added', 'response.content_part.added']);
    expect(types.slice(-4)).toEqual(['response.output_text.done', 'response.content_part.done', 'response.output_item.done', 'response.completed']);
    const deltas = events.filter((e) => e.event === 'response.output_text.delta').map((e) => e.data.delta as string);
    expect(deltas).toHaveLength(7);
    expect(deltas.join('')).toBe(events.find((e) => e.event === 'response.output_text.done')!.data.text);
    expect(events.map((e) => e.data.sequence_number)).toEqual(events.map((_, i) => i));
  });

  it('a streamed message: message_start … one content_block_delta per token … message_stop, with usage', async () => {
    const events = await readNamedEvents(await postJson(`${sim.base}/v1/messages`, { model: 'sim-model', max_tokens: 5, messages: [{ role: 'user', content: 'Hello' }], stream: true }));
    const types = events.map((e) => e.event);
    expect(types.slice(0, 3)).toEqual(['message_start', 'content_block_start', 'ping']);
    expect(types.slice(-3)).toEqual(['content_block_stop', 'message_delta', 'message_stop']);
    expect(types.filter((t) => t === 'content_block_delta')).toHaveLength(5);
    expect(events.find((e) => e.event === 'message_delta')!.data.usage).toEqual({ output_tokens: 5 });
  });

  it('a client that leaves mid-stream: the request is recorded aborted, and the sim keeps serving', async () => {
    const slow = await startTestSim({ SIM_TTFT_MS: '1', SIM_ITL_MS: '20' });
    try {
      await new Promise<void>((resolve, reject) => {
        const req = request(`${slow.base}/v1/responses`, { method: 'POST', headers: { 'content-type': 'application/json' } }, (res) => {
          res.once('data', () => {
            req.destroy();
            resolve();
          });
        });
        req.on('error', (err) => (req.destroyed ? undefined : reject(err)));
        req.end(JSON.stringify({ model: 'sim-model', input: 'go on', max_output_tokens: 1000, stream: true }));
      });
      const record = await waitForRecord(slow.base, '/v1/responses');
      expect(record.outcome).toBe('aborted');
      const next = await postJson(`${slow.base}/v1/responses`, { model: 'sim-model', input: 'again', max_output_tokens: 2 });
      expect(next.status).toBe(200);
      await next.json();
    } finally {
      await slow.stop();
    }
  });
});

/** The first settled record of `path` (settled when the response closes). */
async function waitForRecord(base: string, path: string): Promise<Record<string, unknown>> {
  for (let i = 0; i < 200; i++) {
    const record = (await simStats(base)).records.find((r) => r.path === path && r.outcome !== 'in_flight');
    if (record) return record;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error(`no settled record for ${path}`);
}
