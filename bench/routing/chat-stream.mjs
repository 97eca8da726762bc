/**
 * One streamed chat completion over node:http, timed on the client: when the first
 * content token arrived, when the stream ended, which scheduler served it, and the
 * answer text (the next turn sends it back as the assistant message).
 */
import http from 'node:http';

/**
 * @typedef {object} StreamResult
 * @property {boolean} ok            200, every event parsed, ended with [DONE]
 * @property {number} status         HTTP status, 0 when the request failed before one
 * @property {number | null} firstTokenAt  performance.now() of the first content token
 * @property {number} endAt          performance.now() when the stream ended or failed
 * @property {string | null} backend x-switchyard-backend
 * @property {string | null} route   x-switchyard-route (the route receipt, when asked for)
 * @property {string} text           the answer's content, concatenated
 * @property {string | undefined} error
 */

/**
 * @param {{url: URL, agent: http.Agent, body: string, headers: Record<string, string>, timeoutMs: number}} request
 * @returns {Promise<StreamResult>}
 */
export function streamChat(request) {
  return new Promise((resolve) => {
    /** @type {StreamResult} */
    const result = { ok: false, status: 0, firstTokenAt: null, endAt: 0, backend: null, route: null, text: '', error: undefined };
    let done = false;
    let buffer = '';
    const finish = (/** @type {string | undefined} */ error) => {
      if (result.endAt) return;
      result.endAt = performance.now();
      result.error = error;
      result.ok = !error && result.status === 200 && done;
      clearTimeout(timer);
      resolve(result);
    };
    const req = http.request(request.url, {
      method: 'POST', agent: request.agent,
      headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(request.body), ...request.headers },
    }, (res) => {
      result.status = res.statusCode ?? 0;
      const backend = res.headers['x-switchyard-backend'];
      result.backend = typeof backend === 'string' ? backend : null;
      const route = res.headers['x-switchyard-route'];
      result.route = typeof route === 'string' ? route : null;
      res.setEncoding('utf8');
      res.on('data', (/** @type {string} */ chunk) => {
        buffer += chunk;
        let end;
        while ((end = buffer.indexOf('\n\n')) >= 0) {
          const event = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          if (!event.startsWith('data: ')) continue;
          const data = event.slice(6);
          if (data === '[DONE]') {
            done = true;
            continue;
          }
          try {
            const content = JSON.parse(data).choices?.[0]?.delta?.content;
            if (typeof content === 'string' && content !== '') {
              result.firstTokenAt ??= performance.now();
              result.text += content;
            }
          } catch {
            return void req.destroy(new Error(`unparseable event: ${data.slice(0, 100)}`));
          }
        }
      });
      res.on('end', () => finish(result.status === 200 ? (done ? undefined : 'stream ended without [DONE]') : `status ${result.status}: ${buffer.slice(0, 200)}`));
      res.on('error', (err) => finish(String(err)));
      // After 'end' this is a no-op; without it a reset mid-body would leave the promise pending.
      res.on('close', () => finish('connection closed mid-stream'));
    });
    req.on('error', (err) => finish(String(err)));
    const timer = setTimeout(() => req.destroy(new Error(`timed out after ${request.timeoutMs} ms`)), request.timeoutMs);
    req.end(request.body);
  });
}
