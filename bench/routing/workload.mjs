/**
 * The routing-quality workload (issue 9, target 5), pure and seeded: tenants with
 * long system prompts, multi-turn conversations that grow turn by turn, and the
 * fleet-capacity arithmetic that sets the arrival rate. Same seed, same
 * conversations: every strategy is measured on identical traffic.
 */

/**
 * @typedef {object} WorkloadSpec
 * @property {number} tenants
 * @property {number} zipfS                 tenant popularity: share of tenant r ∝ 1 / r^s
 * @property {[number, number]} systemTokens uniform range of a tenant's system prompt
 * @property {number} meanTurns             geometric turns per conversation (before the cap)
 * @property {number} maxTurns
 * @property {[number, number]} userTokens   uniform range of a user message
 * @property {[number, number]} answerTokens uniform range of max_tokens (the sim generates exactly that)
 * @property {number} meanThinkMs           exponential pause between an answer's end and the next turn
 * @property {number} load                  offered load as a fraction of fleet capacity
 * @property {number} seed
 */

/**
 * @typedef {object} SimProfile
 * @property {number} sims
 * @property {number} maxRunning   SIM_MAX_RUNNING
 * @property {number} ttftMs       SIM_TTFT_MS
 * @property {number} itlMs        SIM_ITL_MS
 * @property {number} prefillMsPerToken
 * @property {number} cacheBlocks  SIM_PREFIX_CACHE_BLOCKS
 * @property {number} blockTokens  SIM_BLOCK_TOKENS
 */

/** @typedef {{name: string, systemPrompt: string, systemTokens: number, share: number}} Tenant */
/** @typedef {{userText: string, userTokens: number, answerTokens: number, thinkMs: number, seed: number}} TurnPlan */
/** @typedef {{id: number, tenant: number, startMs: number, turns: TurnPlan[]}} ConversationPlan */

/** Plain words, one sim token each (the sim's tokenizer: a letter run with its leading space). */
const VOCABULARY = (
  'account adjust agent allow answer apply archive audit balance batch billing branch budget cancel capture case charge check ' +
  'claim client close code column commit config confirm contract copy cost credit customer cycle data date debit default ' +
  'delay deliver deploy detail device discount draft due email enable entry error estimate event export fee field file ' +
  'filter final fiscal follow form format fraud fund grant group guide history hold import income invoice issue item label ' +
  'ledger legal level limit line list local lock log manual margin match member merge method metric month note notice ' +
  'number offer order owner page partner payment pending period plan policy portal post price print profile quota quote ' +
  'rate reason receipt record refund region release renew report request reserve reset review rule sales schedule scope ' +
  'secure segment service session share shipment sign source status step stock store summary support tax team term ticket ' +
  'tier total track transfer trial update upgrade usage user value vendor verify version view void volume warranty window'
).split(' ');

/**
 * mulberry32: a small, fast, well-mixed 32-bit PRNG.
 * @param {number} seed
 * @returns {() => number} uniform in [0, 1)
 */
export function createRandom(seed) {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

/** @param {() => number} rand @param {[number, number]} range inclusive @returns {number} */
export function uniformInt(rand, [low, high]) {
  return low + Math.floor(rand() * (high - low + 1));
}

/** @param {() => number} rand @param {number} mean @returns {number} */
export function exponential(rand, mean) {
  return -Math.log(1 - rand()) * mean;
}

/** Normalised Zipf shares of ranks 1..n. @param {number} n @param {number} s @returns {number[]} */
export function zipfShares(n, s) {
  const raw = Array.from({ length: n }, (_, i) => 1 / (i + 1) ** s);
  const total = raw.reduce((a, b) => a + b, 0);
  return raw.map((w) => w / total);
}

/** Index drawn with probability `shares[i]`. @param {() => number} rand @param {number[]} shares */
export function pickShare(rand, shares) {
  let point = rand();
  for (let i = 0; i < shares.length; i++) {
    point -= shares[i];
    if (point < 0) return i;
  }
  return shares.length - 1;
}

/**
 * Text of exactly `tokens` sim tokens: words, with a period (one token) ending
 * every sentence of 8-15 words.
 * @param {() => number} rand @param {number} tokens @param {string} [lead] first word(s), counted
 */
export function wordsText(rand, tokens, lead = '') {
  const parts = lead ? [lead] : [];
  let count = lead ? lead.split(' ').length : 0;
  let sentence = 0;
  let sentenceLength = uniformInt(rand, [8, 15]);
  while (count < tokens) {
    if (sentence >= sentenceLength) {
      parts[parts.length - 1] += '.';
      count += 1;
      sentence = 0;
      sentenceLength = uniformInt(rand, [8, 15]);
      continue;
    }
    parts.push(VOCABULARY[Math.floor(rand() * VOCABULARY.length)]);
    count += 1;
    sentence += 1;
  }
  return parts.join(' ');
}

/** @param {WorkloadSpec} spec @returns {Tenant[]} */
export function makeTenants(spec) {
  const rand = createRandom(spec.seed ^ 0x7e11a);
  const shares = zipfShares(spec.tenants, spec.zipfS);
  return shares.map((share, i) => {
    const name = `tenant${String(i + 1).padStart(2, '0')}`;
    const systemTokens = uniformInt(rand, spec.systemTokens);
    // Distinct from the first word, as real system prompts name their product early.
    return { name, share, systemTokens, systemPrompt: wordsText(rand, systemTokens, `You are the assistant of ${name}`) };
  });
}

/** Turns of one conversation: geometric with the spec's mean, capped. @param {() => number} rand @param {WorkloadSpec} spec */
function drawTurns(rand, spec) {
  const continueProbability = 1 - 1 / spec.meanTurns;
  let turns = 1;
  while (turns < spec.maxTurns && rand() < continueProbability) turns += 1;
  return turns;
}

/**
 * Every conversation that starts in [fromMs, toMs): Poisson starts at
 * `conversationsPerS`, each with its own seeded draws (tenant, turns, lengths,
 * think times), so conversation i is the same under every strategy. A negative
 * `fromMs` plans conversations already under way when the run starts (resumePoint).
 * @param {WorkloadSpec} spec @param {number} conversationsPerS @param {number} fromMs @param {number} toMs
 * @returns {ConversationPlan[]}
 */
export function planConversations(spec, conversationsPerS, fromMs, toMs) {
  const shares = zipfShares(spec.tenants, spec.zipfS);
  const arrivals = createRandom(spec.seed);
  /** @type {ConversationPlan[]} */
  const plans = [];
  for (let at = fromMs + exponential(arrivals, 1000 / conversationsPerS); at < toMs; at += exponential(arrivals, 1000 / conversationsPerS)) {
    const id = plans.length;
    const rand = createRandom((spec.seed * 7919 + id * 104_729) >>> 0);
    const tenant = pickShare(rand, shares);
    const turns = Array.from({ length: drawTurns(rand, spec) }, (_, turn) => {
      const userTokens = uniformInt(rand, spec.userTokens);
      return {
        userText: wordsText(rand, userTokens, `c${id}t${turn}`),
        userTokens,
        answerTokens: uniformInt(rand, spec.answerTokens),
        thinkMs: exponential(rand, spec.meanThinkMs),
        seed: Math.floor(rand() * 2 ** 31),
      };
    });
    plans.push({ id, tenant, startMs: at, turns });
  }
  return plans;
}

/**
 * Expected turns per conversation and expected (turn index − 1) per request, for
 * the capped geometric: P(T ≥ k) = q^(k-1).
 * @param {WorkloadSpec} spec
 */
export function turnMoments(spec) {
  const q = 1 - 1 / spec.meanTurns;
  let turns = 0;
  let earlier = 0;
  for (let k = 1; k <= spec.maxTurns; k++) {
    turns += q ** (k - 1);
    earlier += (k - 1) * q ** (k - 1);
  }
  return { turnsPerConversation: turns, earlierTurnsPerRequest: earlier / turns };
}

/** @param {[number, number]} range */
const mid = ([low, high]) => (low + high) / 2;

/**
 * Mean prompt and answer tokens per request, and a request's time in its slot when
 * nothing is cached: SIM_TTFT_MS + prompt × prefill + (answer − 1) × ITL. Fleet
 * capacity = sims × SIM_MAX_RUNNING / that time: what the fleet serves with no
 * cache help, so every strategy is stable at the offered load and caching only
 * adds headroom.
 * @param {WorkloadSpec} spec @param {SimProfile} sim @param {Tenant[]} tenants
 */
export function capacity(spec, sim, tenants) {
  const { turnsPerConversation, earlierTurnsPerRequest } = turnMoments(spec);
  const systemTokens = tenants.reduce((sum, t) => sum + t.share * t.systemTokens, 0);
  const answerTokens = mid(spec.answerTokens);
  const promptTokens = systemTokens + mid(spec.userTokens) + earlierTurnsPerRequest * (mid(spec.userTokens) + answerTokens);
  const serviceMs = uncachedServiceMs(sim, promptTokens, answerTokens);
  const fleetRequestsPerS = (sim.sims * sim.maxRunning * 1000) / serviceMs;
  const requestsPerS = fleetRequestsPerS * spec.load;
  return {
    mean_prompt_tokens: promptTokens,
    mean_answer_tokens: answerTokens,
    turns_per_conversation: turnsPerConversation,
    uncached_service_ms: serviceMs,
    fleet_capacity_rps: fleetRequestsPerS,
    offered_rps: requestsPerS,
    conversations_per_s: requestsPerS / turnsPerConversation,
  };
}

/** A request's time in its slot with nothing cached. @param {SimProfile} sim @param {number} promptTokens @param {number} answerTokens */
export function uncachedServiceMs(sim, promptTokens, answerTokens) {
  return sim.ttftMs + promptTokens * sim.prefillMsPerToken + (answerTokens - 1) * sim.itlMs;
}

/** @typedef {{turn: number, atMs: number, history: Array<{role: string, content: string}>, promptTokens: number}} ResumePoint */

/**
 * Where a conversation that started before the run (startMs < 0) stands at time 0,
 * so the run begins at the steady-state request rate instead of ramping up for a
 * conversation lifetime: its turns before 0 count as done, each taking its uncached
 * service time plus its think time, and their answers are stand-in text of the
 * planned length (those turns never reached a cache, exactly like a cold start).
 * Returns the first turn due at or after 0, or null when it ended before 0.
 * @param {ConversationPlan} plan @param {Tenant} tenant @param {SimProfile} sim
 * @returns {ResumePoint | null}
 */
export function resumePoint(plan, tenant, sim) {
  const history = [{ role: 'system', content: tenant.systemPrompt }];
  let promptTokens = tenant.systemTokens;
  let at = plan.startMs;
  for (let turn = 0; turn < plan.turns.length; turn++) {
    if (at >= 0) return { turn, atMs: at, history, promptTokens };
    const step = plan.turns[turn];
    history.push({ role: 'user', content: step.userText }, { role: 'assistant', content: wordsText(createRandom(step.seed), step.answerTokens) });
    at += uncachedServiceMs(sim, promptTokens + step.userTokens, step.answerTokens) + step.thinkMs;
    promptTokens += step.userTokens + step.answerTokens;
  }
  return null;
}
