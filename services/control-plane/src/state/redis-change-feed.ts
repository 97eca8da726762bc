import type Redis from 'ioredis';
import type { Logger } from '@switchyard/observability';
import { connectQuietly } from '../redis/redis-client';
import { decodeEvent, type StateEvent } from './state-event';

export interface ChangeFeedDeps {
  /** A connection of its own: a subscribed ioredis client can do nothing else. */
  subscriber: Redis;
  channel: string;
  logger: Logger;
  onEvent(event: StateEvent): void;
  /** After every (re)subscription: catch up on what was missed while disconnected. */
  onSubscribed(): Promise<void>;
}

export interface ChangeFeed {
  /** Connects and subscribes; resolves once subscribed, or at once when Redis does not answer (it keeps trying). */
  start(): Promise<void>;
  stop(): void;
  subscribed(): boolean;
}

/**
 * The events channel every replica listens to (pub/sub delivers nothing that was
 * sent while a subscriber was away, hence `onSubscribed` after every reconnect).
 */
export function createChangeFeed(deps: ChangeFeedDeps): ChangeFeed {
  const log = deps.logger.child({ component: 'state-feed' });
  let subscribed = false;
  let subscribing: Promise<void> | undefined;

  const subscribe = async () => {
    try {
      await deps.subscriber.subscribe(deps.channel);
      subscribed = true;
      await deps.onSubscribed();
    } catch (err) {
      log.warn('cannot subscribe to state events, retrying on reconnect', { error: String(err) });
    }
  };
  const onMessage = (channel: string, message: string) => {
    if (channel !== deps.channel) return;
    const event = decodeEvent(message);
    if (event) deps.onEvent(event);
    else log.warn('ignored a malformed state event');
  };

  return {
    async start() {
      deps.subscriber.on('ready', () => {
        subscribing = subscribe();
      });
      deps.subscriber.on('close', () => {
        subscribed = false;
      });
      deps.subscriber.on('error', () => undefined); // reconnects are logged by the store's health check
      deps.subscriber.on('message', onMessage);
      if (await connectQuietly(deps.subscriber)) await subscribing;
    },
    stop() {
      subscribed = false;
      deps.subscriber.removeAllListeners('message');
      deps.subscriber.disconnect();
    },
    subscribed: () => subscribed,
  };
}
