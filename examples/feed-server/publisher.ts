/**
 * Publishes numbered messages on channels at a steady rate into a history. In a feed with Redis, exactly one
 * process should publish (a server with `publish: true`, or {@link startFeedPublisher} on its own); every server
 * fans out what it reads back from Redis.
 */
import { createRedisHistory } from './redis-history';
import type { History } from './history';

/** One channel the feed publishes on. */
export interface ChannelDefinition {
  readonly name: string;
  /**
   * Messages per second; 0 publishes only what `publish()` is given. Defaults to the feed's `rateHz`.
   */
  readonly rateHz?: number;
  /**
   * The data of the channel's `n`-th message (`n` counts from 1, continuing from the history's newest entry when a
   * publisher restarts). Must be JSON-serializable.
   * @default (n) => ({ n })
   */
  readonly data?: (n: number) => unknown;
}

/** A channel given by name only, or in full. */
export type ChannelSpec = string | ChannelDefinition;

/** A running publisher. */
export interface Publisher {
  /** Appends one message (any JSON-serializable data) to `channel` now; resolves with its cursor. */
  publish(channel: string, data: unknown): Promise<string>;
  /** Messages published so far, by this publisher, on all channels. */
  readonly published: number;
  /** Stops publishing; resolves once what was already handed to the history is in it. */
  stop(): Promise<void>;
}

/** How often the publisher wakes; each wake publishes what the rate owes since the last one. */
const TICK_MS = 5;

/** Normalizes channel specs. */
export function channelDefinitions(channels: readonly ChannelSpec[]): ChannelDefinition[] {
  return channels.map((channel) => (typeof channel === 'string' ? { name: channel } : channel));
}

function counterOf(dataJson: string | undefined): number {
  if (dataJson === undefined) return 0;
  try {
    const data: unknown = JSON.parse(dataJson);
    const n = typeof data === 'object' && data !== null ? (data as { n?: unknown }).n : undefined;
    return typeof n === 'number' && Number.isSafeInteger(n) ? n : 0;
  } catch {
    return 0;
  }
}

/** Starts publishing `channels` into `history`; resolves once each channel's numbering is known. */
export async function startPublisher(
  history: History,
  channels: readonly ChannelDefinition[],
  defaultRateHz: number,
  onError: (error: unknown) => void,
): Promise<Publisher> {
  const counts = new Map<string, number>();
  for (const channel of channels) counts.set(channel.name, counterOf(await history.lastData(channel.name)));
  let published = 0;
  const started = performance.now();
  const owed = new Map<string, number>(channels.map((channel) => [channel.name, 0]));

  const publishNext = (channel: ChannelDefinition): void => {
    const n = (counts.get(channel.name) ?? 0) + 1;
    let dataJson: string;
    try {
      dataJson = JSON.stringify(channel.data ? channel.data(n) : { n }) ?? 'null';
    } catch (error) {
      // The app's data function threw (or made something JSON cannot hold): this number is skipped, and reported.
      onError(error);
      counts.set(channel.name, n);
      return;
    }
    counts.set(channel.name, n);
    published++;
    // Appends go out on one connection in call order, so cursors follow the numbering.
    history.append(channel.name, dataJson).catch(onError);
  };

  const timer = setInterval(() => {
    const elapsedS = (performance.now() - started) / 1_000;
    for (const channel of channels) {
      const rate = channel.rateHz ?? defaultRateHz;
      if (rate <= 0) continue;
      const due = Math.floor(elapsedS * rate);
      for (let done = owed.get(channel.name) ?? 0; done < due; done++) publishNext(channel);
      owed.set(channel.name, due);
    }
  }, TICK_MS);

  return {
    publish(channel, data) {
      published++;
      return history.append(channel, JSON.stringify(data));
    },
    get published() {
      return published;
    },
    stop() {
      clearInterval(timer);
      return Promise.resolve();
    },
  };
}

/** Options of {@link startFeedPublisher}. */
export interface FeedPublisherOptions {
  /** `redis://host:port[/db]` of the history the servers share. */
  readonly redisUrl: string;
  /** @default ['ticks'] */
  readonly channels?: readonly ChannelSpec[];
  /**
   * Messages per second on each channel that does not set its own.
   * @default 10
   */
  readonly rateHz?: number;
  /**
   * Entries kept per channel (approximately: `MAXLEN ~`).
   * @default 1000
   */
  readonly historyLength?: number;
  /** @default 'feed:' */
  readonly keyPrefix?: string;
  /** @default no output */
  readonly log?: ((line: string) => void) | false;
}

/** A publisher on its own, writing into Redis for feed servers started with `publish: false`. */
export async function startFeedPublisher(options: FeedPublisherOptions): Promise<Publisher> {
  const { redisUrl, channels = ['ticks'], rateHz = 10, historyLength = 1_000, keyPrefix = 'feed:', log } = options;
  const say = log ? log : () => {};
  const history = await createRedisHistory({
    url: redisUrl,
    historyLength,
    keyPrefix,
    pendingWaitMs: 0,
    onConnectionError: (error) => say(`redis: ${String(error)}`),
  });
  const publisher = await startPublisher(history, channelDefinitions(channels), rateHz, (error) =>
    say(`publish failed: ${String(error)}`),
  );
  return {
    publish: (channel, data) => publisher.publish(channel, data),
    get published() {
      return publisher.published;
    },
    async stop() {
      await publisher.stop();
      // A graceful close: the appends already sent are answered first.
      await history.close();
    },
  };
}
