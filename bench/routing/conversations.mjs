/**
 * Plays the planned conversations against the gateway, open loop: conversation i
 * starts (or, if planned before the run, resumes: workload.mjs resumePoint) at its
 * planned time whatever the fleet is doing, and turn k+1 is sent a
 * think time after turn k's answer ended, carrying every earlier message (the
 * answers as the client received them). Every request asks for a route receipt and
 * names its conversation in `x-session-id` (only session-affinity reads it). Latency runs from the *scheduled* send
 * time, so a slow client or event loop is charged, not hidden.
 */
import http from 'node:http';
import { streamChat } from './chat-stream.mjs';
import { resumePoint } from './workload.mjs';

const REQUEST_TIMEOUT_MS = 120_000;

/**
 * @typedef {object} TurnRecord
 * @property {number} conversation
 * @property {number} turn            0-based
 * @property {string} requestId       sent as x-request-id; the sim keeps it in its records
 * @property {number} tenant
 * @property {number} scheduledMs     since the run's start
 * @property {number} sendLagMs       actual send − scheduled
 * @property {number | null} ttftMs   first content token − scheduled
 * @property {number | null} simTtftMs  the sim's own: request received → first token sent (queue + prefill + SIM_TTFT_MS); filled in after the run
 * @property {number} latencyMs       end − scheduled
 * @property {number} promptTokens    system + user + answers sent
 * @property {number} newTokens       this turn's user message: the part no cache can hold yet
 * @property {number} systemTokens    the tenant's system prompt, the part every conversation of the tenant shares
 * @property {number | null} simPromptTokens  the serving sim's count of the prompt (`/sim/stats` record); filled in after the run
 * @property {number | null} simCachedTokens  of those, the tokens its prefix cache held; filled in after the run
 * @property {boolean} ok
 * @property {number} status
 * @property {string | null} backend
 * @property {{reason: string, table_version: number, min_weight: number} | null} route  from the route receipt
 * @property {string | undefined} error
 * @property {number} [sentAtMs]      when it was sent, since the run's start (in-flight windows)
 * @property {number} [endAtMs]       when it ended, since the run's start
 */

/**
 * `stopAtMs` (since the start): no turn is scheduled at or after it. `drainMs`:
 * then in-flight turns get this long before they are aborted.
 * @param {{plans: import('./workload.mjs').ConversationPlan[], tenants: import('./workload.mjs').Tenant[], sim: import('./workload.mjs').SimProfile, gatewayUrls: string[], model: string, stopAtMs: number, drainMs: number}} options
 * @returns {Promise<{records: TurnRecord[], aborted: number}>}
 */
export function playConversations(options) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: Infinity });
  // Several gateways stand behind a round-robin balancer: request i goes to gateway i mod N,
  // so a conversation's turns land on different gateways.
  const urls = options.gatewayUrls.map((g) => new URL('/v1/chat/completions', g));
  let sent = 0;
  /** @type {TurnRecord[]} */
  const records = [];
  const timers = new Set();
  let active = 0;
  const t0 = performance.now();

  return new Promise((resolve) => {
    let settled = false;
    const settle = (/** @type {number} */ aborted) => {
      if (settled) return;
      settled = true;
      clearTimeout(deadline);
      for (const timer of timers) clearTimeout(timer);
      agent.destroy();
      resolve({ records, aborted });
    };
    const deadline = setTimeout(() => settle(active), options.stopAtMs + options.drainMs);
    const maybeDone = () => {
      if (active === 0 && timers.size === 0) settle(0);
    };
    const at = (/** @type {number} */ scheduledMs, /** @type {() => void} */ run) => {
      if (scheduledMs >= options.stopAtMs) return;
      const timer = setTimeout(() => {
        timers.delete(timer);
        run();
      }, Math.max(0, scheduledMs - (performance.now() - t0)));
      timers.add(timer);
    };

    /**
     * @param {import('./workload.mjs').ConversationPlan} plan
     * @param {number} turn
     * @param {Array<{role: string, content: string}>} history
     * @param {number} promptTokens  tokens of `history`
     * @param {number} scheduledMs
     */
    const play = async (plan, turn, history, promptTokens, scheduledMs) => {
      const step = plan.turns[turn];
      const messages = [...history, { role: 'user', content: step.userText }];
      const body = JSON.stringify({ model: options.model, messages, stream: true, max_tokens: step.answerTokens, seed: step.seed });
      active += 1;
      const sentAt = performance.now() - t0;
      const requestId = `routing-bench-${plan.id}-${turn}`;
      const headers = { 'x-request-id': requestId, 'x-switchyard-explain': '1', 'x-session-id': `conversation-${plan.id}` };
      const url = urls[sent++ % urls.length];
      const result = await streamChat({ url, agent, body, headers, timeoutMs: REQUEST_TIMEOUT_MS });
      active -= 1;
      if (settled) return;
      const tokens = promptTokens + step.userTokens;
      records.push({
        conversation: plan.id, turn, requestId, tenant: plan.tenant, scheduledMs, sendLagMs: sentAt - scheduledMs,
        ttftMs: result.firstTokenAt === null ? null : result.firstTokenAt - t0 - scheduledMs, simTtftMs: null,
        latencyMs: result.endAt - t0 - scheduledMs, promptTokens: tokens, newTokens: step.userTokens,
        systemTokens: options.tenants[plan.tenant].systemTokens, simPromptTokens: null, simCachedTokens: null,
        ok: result.ok, status: result.status, backend: result.backend, route: receipt(result.route), error: result.error, sentAtMs: sentAt, endAtMs: result.endAt - t0,
      });
      if (result.ok && turn + 1 < plan.turns.length) {
        const next = [...messages, { role: 'assistant', content: result.text }];
        const nextAt = result.endAt - t0 + step.thinkMs;
        at(nextAt, () => void play(plan, turn + 1, next, tokens + step.answerTokens, nextAt));
      }
      maybeDone();
    };

    for (const plan of options.plans) {
      const resume = resumePoint(plan, options.tenants[plan.tenant], options.sim);
      if (resume) at(resume.atMs, () => void play(plan, resume.turn, resume.history, resume.promptTokens, resume.atMs));
    }
    maybeDone();
  });
}

/**
 * What the analysis needs from a route receipt (services/gateway/src/routing/explain.ts).
 * @param {string | null} header
 */
function receipt(header) {
  if (!header) return null;
  try {
    const r = JSON.parse(header);
    const weights = (r.candidates ?? []).map((/** @type {{weight: number}} */ c) => c.weight);
    return { reason: String(r.reason ?? ''), table_version: Number(r.table_version ?? 0), min_weight: weights.length ? Math.min(...weights) : Number.NaN };
  } catch {
    return null;
  }
}
