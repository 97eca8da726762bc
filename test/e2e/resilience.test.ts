/**
 * Issue 5 acceptance 3-6 with real processes (1 and 2, the long load runs, are in
 * test/chaos/resilience-kill.test.ts): a SIGSTOPped sim and its circuit breaker,
 * a client that disconnects mid-stream, every scheduler down, and SIGTERM of a
 * gateway with 50 open streams.
 */
import http from 'node:http';
import { waitFor } from '@switchyard/testing';
import { chatBody, metricValue, metricsOf, postChat, streamOutcome } from '../chaos/support/resilience-traffic';
import { dumpOutput, startStack, type Stack } from './stack';

jest.setTimeout(60_000);

/** The table keeps every sim for the whole test: no probe or TTL decides instead of the gateway. */
const STEADY_TABLE = { controlPlaneEnv: { PROBE_INTERVAL_MS: '60000' }, simEnv: { SIM_REGISTRATION_TTL_SECONDS: '120' } };

function gatewayProcess(stack: Stack) {
  return stack.processes.find((p) => p.name === 'gateway-0')!;
}

describe('a hung (SIGSTOPped) sim', () => {
  const FIRST_BYTE_TIMEOUT_MS = 400;
  const RESET_MS = 1_500;
  let stack: Stack;

  beforeAll(async () => {
    stack = await startStack({
      sims: ['sim-a', 'sim-b', 'sim-c'],
      ...STEADY_TABLE,
      gatewayEnv: { UPSTREAM_FIRST_BYTE_TIMEOUT_MS: String(FIRST_BYTE_TIMEOUT_MS), BREAKER_CONSECUTIVE_FAILURES: '3', BREAKER_RESET_MS: String(RESET_MS) },
    });
  });

  afterAll(async () => {
    stack.sims.get('sim-a')?.process.kill('SIGCONT');
    await stack?.stop();
  });

  it('fails over after the first-byte timeout; the breaker opens, half-opens, and closes once the sim is back', async () => {
    const gateway = stack.gatewayUrls[0]!;
    const agent = new http.Agent({ keepAlive: true });
    const breaker = async () => metricValue(await metricsOf(gateway), 'switchyard_gateway_breaker_state', { scheduler: 'sim-a' });
    const send = async (count: number) => {
      const results = await Promise.all(Array.from({ length: count }, () => postChat(gateway, chatBody('sim-model'), agent)));
      expect(results.filter((r) => r.status !== 200)).toEqual([]);
      return results;
    };
    try {
      await send(6);
      stack.sims.get('sim-a')!.process.kill('SIGSTOP');
      const during = [...(await send(6)), ...(await send(6))];
      // The requests that met sim-a waited for the first-byte timeout, then went elsewhere.
      const failedOver = during.filter((r) => r.endedAt - r.startedAt >= FIRST_BYTE_TIMEOUT_MS - 20);
      expect(failedOver.length).toBeGreaterThanOrEqual(3);
      expect(failedOver.every((r) => r.backend !== 'sim-a')).toBe(true);
      expect(await breaker()).toBe(2);
      // Open: no request waits for sim-a any more.
      const skipped = await send(9);
      expect(skipped.every((r) => r.endedAt - r.startedAt < FIRST_BYTE_TIMEOUT_MS)).toBe(true);
      await waitFor(async () => (await breaker()) === 1, RESET_MS + 2_000, 50, 'half-open');
      stack.sims.get('sim-a')!.process.kill('SIGCONT');
      await waitFor(async () => {
        await send(3);
        return (await breaker()) === 0;
      }, 5_000, 50, 'closed again');
      const after = await send(12);
      expect(after.some((r) => r.backend === 'sim-a')).toBe(true);
    } catch (err) {
      throw new Error(`${(err as Error).message}\n${dumpOutput(stack.processes)}`);
    } finally {
      agent.destroy();
    }
  });
});

describe('a client that disconnects mid-stream', () => {
  let stack: Stack;

  beforeAll(async () => {
    stack = await startStack({ sims: ['sim-1'], simEnv: { SIM_TTFT_MS: '20', SIM_ITL_MS: '20' } });
  });

  afterAll(async () => {
    await stack?.stop();
  });

  /** Streams through the gateway, drops the connection after 3 events; how long until the sim saw the abort, and how far it got. */
  async function abortMidStream(requestId: string): Promise<{ delayMs: number; outcome: string; tokensSent: number }> {
    const abortedAt = await new Promise<number>((resolve, reject) => {
      const req = http.request(
        `${stack.gatewayUrls[0]!}/v1/chat/completions`,
        { method: 'POST', headers: { 'content-type': 'application/json', 'x-request-id': requestId } },
        (res) => {
          let events = 0;
          res.on('data', (chunk: Buffer) => {
            events += chunk.toString().split('\n\n').length - 1;
            if (events < 3) return;
            const at = Date.now();
            res.socket.destroy();
            resolve(at);
          });
        },
      );
      req.on('error', () => undefined);
      req.once('error', reject);
      req.end(chatBody('sim-model', { stream: true, maxTokens: 500 }));
    });
    const simUrl = stack.sims.get('sim-1')!.url;
    type SimRecord = { request_id: string | null; aborted_at_ms: number | null; outcome: string; tokens_sent?: number };
    const record = await waitFor(async () => {
      const stats = (await (await fetch(`${simUrl}/sim/stats`)).json()) as { records: SimRecord[] };
      return stats.records.find((r) => r.request_id === requestId && r.aborted_at_ms !== null);
    }, 2_000, 10, 'the sim to see the abort');
    return { delayMs: record.aborted_at_ms! - abortedAt, outcome: record.outcome, tokensSent: record.tokens_sent ?? Number.NaN };
  }

  it('the sim sees its request aborted within 100 ms', async () => {
    // Five aborts: the median must be within 100 ms, so one stall of a busy machine cannot fail the test
    // and a gateway that does not pass the abort on at once cannot pass it.
    const aborts = [];
    for (let i = 0; i < 5; i++) aborts.push(await abortMidStream(`abort-${Date.now()}-${i}`));
    for (const abort of aborts) {
      expect(abort.outcome).toBe('aborted');
      expect(abort.tokensSent).toBeLessThan(100); // of 500: generation stopped, the GPU time is free
    }
    const delays = aborts.map((a) => a.delayMs).sort((x, y) => x - y);
    process.stdout.write(`client abort seen by the sim after ${delays.join(', ')} ms\n`);
    expect(delays[2]).toBeLessThan(100);
    expect(delays[4]).toBeLessThan(1_000);
  });
});

describe('every scheduler down', () => {
  const CONNECT_TIMEOUT_MS = 500;
  const ATTEMPTS = 3;
  let stack: Stack;

  beforeAll(async () => {
    stack = await startStack({
      sims: ['sim-1', 'sim-2', 'sim-3'],
      ...STEADY_TABLE,
      gatewayEnv: {
        UPSTREAM_CONNECT_TIMEOUT_MS: String(CONNECT_TIMEOUT_MS),
        RETRY_MAX_ATTEMPTS: String(ATTEMPTS),
        RETRY_BUDGET_PERCENT: '20',
        RETRY_BUDGET_MIN_PER_SECOND: '1',
        // Breakers would soon answer 503 without any attempt; here the budget alone must hold the retries.
        BREAKER_CONSECUTIVE_FAILURES: '1000',
        BREAKER_VOLUME_THRESHOLD: '1000000',
      },
    });
  });

  afterAll(async () => {
    await stack?.stop();
  });

  it('answers 503 quickly, and retries stay within the budget', async () => {
    const gateway = stack.gatewayUrls[0]!;
    const agent = new http.Agent({ keepAlive: true, maxSockets: 10 });
    const warm = await Promise.all(Array.from({ length: 10 }, () => postChat(gateway, chatBody('sim-model'), agent)));
    expect(warm.every((r) => r.status === 200)).toBe(true);
    for (const sim of stack.sims.values()) sim.process.kill('SIGKILL');
    await Promise.all([...stack.sims.values()].map((sim) => sim.process.exited));
    const results = await Promise.all(Array.from({ length: 100 }, () => postChat(gateway, chatBody('sim-model'), agent)));
    agent.destroy();
    for (const r of results) {
      expect(r.status).toBe(503);
      expect(r.endedAt - r.startedAt).toBeLessThan(CONNECT_TIMEOUT_MS * ATTEMPTS);
      expect(JSON.parse(r.body)).toMatchObject({ error: { type: 'server_error' } });
    }
    const retries = metricValue(await metricsOf(gateway), 'switchyard_gateway_retries_total');
    // 20% of the 110 requests of the window plus 1/s × 10 s; without a budget it would be 200.
    expect(retries).toBeLessThanOrEqual(Math.floor(0.2 * 110) + 10);
    expect(retries).toBeGreaterThan(0);
  });
});

describe('SIGTERM of a gateway with 50 open streams', () => {
  let stack: Stack;

  beforeAll(async () => {
    stack = await startStack({ sims: ['sim-1', 'sim-2'], simEnv: { SIM_TTFT_MS: '20', SIM_ITL_MS: '20' }, gatewayEnv: { SHUTDOWN_GRACE_MS: '15000' } });
  });

  afterAll(async () => {
    await stack?.stop();
  });

  it('lets all 50 finish, refuses new requests, and exits 0', async () => {
    const gateway = stack.gatewayUrls[0]!;
    const agent = new http.Agent({ keepAlive: true, maxSockets: 100 });
    let runningAtSigterm = 0;
    // 300 tokens at 20 ms: 6 s a stream, so on a loaded machine the last one starts before the first ends.
    const streams = Array.from({ length: 50 }, () => postChat(gateway, chatBody('sim-model', { stream: true, maxTokens: 300 }), agent));
    // Streams are open once the sims report them running.
    await waitFor(async () => {
      let running = 0;
      for (const sim of stack.sims.values()) running += ((await (await fetch(`${sim.url}/sim/stats`)).json()) as { load: { running: number } }).load.running;
      runningAtSigterm = running;
      return running === 50;
    }, 10_000, 20, '50 streams running');
    const proc = gatewayProcess(stack);
    proc.kill('SIGTERM');
    // The listener closes as the first step of the shutdown; new connections are refused from then on.
    const refused = await waitFor(async () => {
      const attempt = await postChat(gateway, chatBody('sim-model'), new http.Agent());
      return /ECONNREFUSED/.test(attempt.error ?? '') ? attempt : undefined;
    }, 3_000, 20, 'new connections refused');
    expect(refused.status).toBe(0);
    const results = await Promise.all(streams);
    agent.destroy();
    expect(runningAtSigterm).toBe(50);
    expect(results.map(streamOutcome)).toEqual(Array.from({ length: 50 }, () => 'complete'));
    expect(await proc.exited).toBe(0);
  });
});
