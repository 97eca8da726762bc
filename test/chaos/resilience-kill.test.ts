/**
 * Issue 5 acceptance 1 and 2, in `pnpm test:chaos` (each holds load for 12 s):
 * three sims behind one gateway under steady load, `kill -9` of one of them.
 * Non-streaming: no client sees an error. Streaming: the streams the killed sim
 * was serving end with the SSE error event within the idle timeout; every other
 * stream completes intact.
 */
import http from 'node:http';
import { startStack, type Stack } from '../e2e/stack';
import { dumpOutput } from '../e2e/stack';
import { chatBody, metricValue, metricsOf, openLoop, postChat, streamOutcome, type Exchange } from './support/resilience-traffic';

jest.setTimeout(120_000);

const SIMS = ['sim-1', 'sim-2', 'sim-3'];
const IDLE_TIMEOUT_MS = 2_000;

describe('kill -9 of one of three sims under non-streaming load', () => {
  let stack: Stack;

  beforeAll(async () => {
    stack = await startStack({ sims: SIMS, simEnv: { SIM_TTFT_MS: '5', SIM_ITL_MS: '1' }, gatewayEnv: { UPSTREAM_CONNECT_TIMEOUT_MS: '1000' } });
  });

  afterAll(async () => {
    await stack?.stop();
  });

  it('200 req/s for 12 s: zero client-visible errors', async () => {
    const gateway = stack.gatewayUrls[0]!;
    let killedAt = 0;
    const results = await openLoop({
      baseUrl: gateway,
      ratePerSecond: 200,
      durationMs: 12_000,
      body: () => chatBody('sim-model', { maxTokens: 8 }),
      at: [
        [4_000, () => {
          killedAt = Date.now();
          stack.sims.get('sim-2')!.process.kill('SIGKILL');
        }],
      ],
    });
    const failures = results.filter((r) => r.status !== 200 || r.error !== undefined);
    if (failures.length > 0) throw new Error(`${failures.length} failed, e.g. ${JSON.stringify(failures.slice(0, 3))}\n${dumpOutput(stack.processes)}`);
    expect(results.length).toBe(2_400);
    expect(killedAt).toBeGreaterThan(0);
    const servedBy = (id: string, after: number) => results.filter((r) => r.backend === id && r.startedAt >= after).length;
    expect(results.filter((r) => r.backend === 'sim-2' && r.endedAt < killedAt).length).toBeGreaterThan(100);
    expect(servedBy('sim-2', killedAt + 100)).toBe(0);
    expect(servedBy('sim-1', killedAt) + servedBy('sim-3', killedAt)).toBeGreaterThan(1_000);
    const metrics = await metricsOf(gateway);
    expect(metricValue(metrics, 'switchyard_gateway_upstream_errors_total', { scheduler: 'sim-2' })).toBeGreaterThan(0);
  });
});

describe('kill -9 of one of three sims under streaming load', () => {
  let stack: Stack;

  beforeAll(async () => {
    stack = await startStack({
      sims: SIMS,
      simEnv: { SIM_TTFT_MS: '20', SIM_ITL_MS: '20' },
      gatewayEnv: { UPSTREAM_IDLE_TIMEOUT_MS: String(IDLE_TIMEOUT_MS), UPSTREAM_CONNECT_TIMEOUT_MS: '1000' },
    });
  });

  afterAll(async () => {
    await stack?.stop();
  });

  it('100 concurrent streams for 12 s: the killed sim’s streams end with the error event, all others intact', async () => {
    const gateway = stack.gatewayUrls[0]!;
    const agent = new http.Agent({ keepAlive: true, maxSockets: 256 });
    const results: Exchange[] = [];
    const started = Date.now();
    let killedAt = 0;
    const killer = setTimeout(() => {
      killedAt = Date.now();
      stack.sims.get('sim-2')!.process.kill('SIGKILL');
    }, 4_000);
    const client = async () => {
      while (Date.now() - started < 12_000) results.push(await postChat(gateway, chatBody('sim-model', { stream: true, maxTokens: 40 }), agent));
    };
    try {
      await Promise.all(Array.from({ length: 100 }, client));
    } finally {
      clearTimeout(killer);
      agent.destroy();
    }
    const byOutcome = (outcome: string) => results.filter((r) => streamOutcome(r) === outcome);
    const broken = byOutcome('broken');
    if (broken.length > 0) throw new Error(`${broken.length} broken streams, e.g. ${JSON.stringify(broken.slice(0, 2))}`);
    const cut = byOutcome('error_event');
    expect(cut.length).toBeGreaterThan(0);
    for (const stream of cut) {
      expect(stream.backend).toBe('sim-2');
      expect(stream.endedAt - killedAt).toBeLessThanOrEqual(IDLE_TIMEOUT_MS + 500);
    }
    const complete = byOutcome('complete');
    expect(complete.length).toBeGreaterThan(800);
    // Intact: every token of every stream that completed (40 content chunks + the finish chunk).
    for (const stream of complete) expect(stream.body.match(/^data: \{"id"/gm)?.length).toBeGreaterThanOrEqual(41);
    expect(complete.filter((r) => r.startedAt > killedAt + 100 && r.backend === 'sim-2')).toEqual([]);
  });
});
