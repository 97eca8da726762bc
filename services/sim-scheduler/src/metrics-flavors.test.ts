import { waitFor } from '@switchyard/testing';
import { LOAD_GAUGES, METRICS_FLAVORS } from './metrics-flavors';
import { postJson, simStats, startTestSim } from './sim.fixture';

// SIM_METRICS_FLAVOR (issue 21 item 4): each flavour exports the sim's live load under
// one engine's names only, so the control plane's parser is exercised per engine.

const CHAT = { model: 'flavour-model', messages: [{ role: 'user', content: 'hi' }], stream: true, max_tokens: 200 };
const LOAD_NAMES = new Set(Object.values(LOAD_GAUGES).flatMap((specs) => specs.map((s) => s.name)));

/** The value of the first sample of `name` in an exposition. */
function sample(text: string, name: string): string | undefined {
  return text.split('\n').find((line) => line.startsWith(`${name}{`) || line.startsWith(`${name} `));
}

describe('SIM_METRICS_FLAVOR', () => {
  it.each(METRICS_FLAVORS.filter((f) => f !== 'sim'))('%s: one running and one waiting request under that engine\'s names only', async (flavor) => {
    const sim = await startTestSim({ SIM_METRICS_FLAVOR: flavor, SIM_MAX_RUNNING: '1', SIM_ITL_MS: '20', SIM_MODELS: 'flavour-model' });
    const abort = new AbortController();
    try {
      const requests = [postJson(`${sim.base}/v1/chat/completions`, CHAT, {}, abort.signal), postJson(`${sim.base}/v1/chat/completions`, CHAT, {}, abort.signal)].map((p) => p.catch(() => undefined));
      await waitFor(async () => ((await simStats(sim.base)).load as { waiting: number }).waiting === 1, 2_000, 5, 'one waiting');
      const text = await (await fetch(`${sim.base}/metrics`)).text();
      const specs = LOAD_GAUGES[flavor];
      const [runningSpec, waitingSpec] = specs;
      expect(sample(text, runningSpec!.name)).toMatch(/ 1$/);
      expect(sample(text, waitingSpec!.name)).toMatch(/ 1$/);
      for (const spec of specs) expect(text).toContain(`# TYPE ${spec.name} gauge`);
      if (flavor !== 'llamacpp' && flavor !== 'tgi') expect(sample(text, runningSpec!.name)).toContain('model_name="flavour-model"');
      const own = new Set(specs.map((s) => s.name));
      const foreign = [...LOAD_NAMES].filter((name) => !own.has(name) && sample(text, name) !== undefined);
      expect(foreign).toEqual([]);
      abort.abort();
      await Promise.all(requests);
    } finally {
      abort.abort();
      await sim.stop();
    }
  });

  it('rejects an unknown flavour at start-up, naming the variable', async () => {
    await expect(startTestSim({ SIM_METRICS_FLAVOR: 'triton' })).rejects.toThrow(/SIM_METRICS_FLAVOR/);
  });
});
