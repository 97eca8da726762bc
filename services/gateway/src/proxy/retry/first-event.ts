import type { ForwardOptions, ForwardResult, UpstreamExchange } from '../forward';
import { isEventStreamType } from '../../pipeline/sse-reader';

/** Forward options plus whether the exchange lasts until the first event of a stream. */
export interface AttemptOptions extends ForwardOptions {
  /** A streamed request: a 200 `text/event-stream` answer counts only once its first chunk is in. */
  untilFirstEvent: boolean;
}

/**
 * Sends one attempt and, for a stream, waits for its first body chunk before
 * calling it a success: until that chunk nothing of the answer has gone to the
 * client, so a scheduler that answers headers and then dies or stalls can still be
 * replaced by another one (issue 5: "a retry stays allowed until the first data event").
 */
export function forwardUntilFirstEvent(send: (options: ForwardOptions) => Promise<ForwardResult>, options: AttemptOptions): Promise<ForwardResult> {
  const sent = send(options);
  if (!options.untilFirstEvent) return sent;
  return sent.then((result) => (result.ok && isEventStream(result.exchange) ? firstEvent(result.exchange, () => options.cancellation.cancelled) : result));
}

/** True for a 200 SSE answer (errors are relayed or retried by status, not waited on). */
export function isEventStream(exchange: UpstreamExchange): boolean {
  const { response } = exchange;
  return response.statusCode === 200 && isEventStreamType(response.headers['content-type']);
}

/**
 * Resolves once the first chunk arrived, with the response paused and the chunk
 * put back (`unshift`) for the relay, which resumes it; or with the failure that
 * came first: the first-byte timeout, or the scheduler closing the stream.
 */
function firstEvent(exchange: UpstreamExchange, cancelled: () => boolean): Promise<ForwardResult> {
  const upstream = exchange.response;
  return new Promise((resolve) => {
    const onData = (chunk: Buffer) => {
      done();
      upstream.pause();
      upstream.unshift(chunk);
      resolve({ ok: true, exchange });
    };
    const onClose = () => {
      done();
      if (cancelled()) return resolve({ ok: false, reason: 'aborted', detail: 'client went away', reusedSocket: false });
      if (exchange.failure() === 'timeout') return resolve({ ok: false, reason: 'timeout', phase: 'first_byte', detail: 'no first event in time', reusedSocket: false });
      resolve({ ok: false, reason: 'reset', detail: upstream.complete ? 'stream ended without an event' : 'closed before the first event', reusedSocket: false });
    };
    const done = () => {
      upstream.off('data', onData);
      upstream.off('close', onClose);
    };
    // An upstream that dies emits 'error' before 'close'; the relay installs the same no-op later.
    upstream.on('error', ignore);
    upstream.on('data', onData);
    upstream.on('close', onClose);
  });
}

function ignore(): void {
  // 'close' follows every 'error' and decides.
}
