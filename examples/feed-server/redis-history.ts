/**
 * History in Redis, shared by every server process that points at the same Redis: one Stream per channel (cursor =
 * the stream entry id), request replies as keys with a TTL, counters as keys.
 *
 * - Publish: `XADD <stream> MAXLEN ~ <historyLength> * d <data>`.
 * - Replay after `since`: `XRANGE <stream> <since> +`, inclusive on purpose: when the first entry returned is `since`
 *   itself, history still reaches it and everything after it is in the answer (trimming only removes the oldest
 *   entries). Otherwise `since` was trimmed, or never issued by this stream: `recovered: false`. One command, so no
 *   trim can fall between the check and the read.
 * - Live: each server reads new entries of every channel with `XREAD BLOCK` on a connection of its own, from the
 *   last id it delivered, and fans them out to its clients.
 * - Requests: `SET <request> pending NX PX <ttl>` claims an id for one caller in all servers; the reply replaces the
 *   marker (`SET ... PX <ttl>`), and a repeated id reads it (`GET`) instead of running again.
 */
import { createClient } from 'redis';
import type { Claim, Entry, History, Replay } from './history';
import { messageFrame } from './protocol';

/** Options of {@link createRedisHistory}. */
export interface RedisHistoryOptions {
  /** `redis://host:port[/db]`. */
  readonly url: string;
  /** Entries kept per channel, approximately (`MAXLEN ~`: Redis trims whole nodes, so a few more may stay). */
  readonly historyLength: number;
  /** Prefix of every key this history uses. */
  readonly keyPrefix: string;
  /** How long a repeated request id waits for a reply that another server is still computing, in milliseconds. */
  readonly pendingWaitMs: number;
  /** Hears connection errors of the Redis clients (they reconnect by themselves). */
  readonly onConnectionError: (error: unknown) => void;
}

/** What XREAD answers, per stream. */
interface StreamBatch {
  readonly name: unknown;
  readonly messages: readonly { readonly id: string; readonly message: Record<string, string> }[];
}

const PENDING = 'pending';
const STREAM_ID = /^(\d{1,20})-(\d{1,20})$/;
/** Polling a pending request's key: Redis has no "wait for a key to change" short of pub/sub, and this wait is rare. */
const PENDING_POLL_MS = 10;
/** XREAD's block, so that the loop notices a stop even on a quiet feed. */
const READ_BLOCK_MS = 1_000;
const READ_COUNT = 1_000;

function compareIds(a: string, b: string): number {
  const ma = STREAM_ID.exec(a);
  const mb = STREAM_ID.exec(b);
  if (!ma || !mb) return 0;
  const ms = BigInt(ma[1] as string) - BigInt(mb[1] as string);
  if (ms !== 0n) return ms < 0n ? -1 : 1;
  const seq = BigInt(ma[2] as string) - BigInt(mb[2] as string);
  return seq === 0n ? 0 : seq < 0n ? -1 : 1;
}

/** Connects to Redis and resolves with the history on it. */
export async function createRedisHistory(options: RedisHistoryOptions): Promise<History> {
  const { url, historyLength, keyPrefix, pendingWaitMs, onConnectionError } = options;
  const client = createClient({ url });
  client.on('error', onConnectionError);
  await client.connect();
  // Blocking reads hold their connection: they get one of their own.
  const reader = client.duplicate();
  reader.on('error', onConnectionError);
  let closed = false;

  const streamKey = (channel: string): string => `${keyPrefix}stream:${channel}`;
  const requestKey = (key: string): string => `${keyPrefix}request:${key}`;
  const entryOf = (channel: string, id: string, fields: Record<string, string>): Entry => ({
    cursor: id,
    frame: messageFrame(channel, id, fields.d ?? 'null'),
  });

  return {
    async append(channel, dataJson) {
      return client.xAdd(
        streamKey(channel),
        '*',
        { d: dataJson },
        { TRIM: { strategy: 'MAXLEN', strategyModifier: '~', threshold: historyLength } },
      );
    },
    async lastData(channel) {
      const [last] = (await client.xRevRange(streamKey(channel), '+', '-', { COUNT: 1 })) ?? [];
      return last?.message.d;
    },
    async replay(channel, since): Promise<Replay> {
      if (!STREAM_ID.test(since)) return { recovered: false };
      const found = (await client.xRange(streamKey(channel), since, '+')) ?? [];
      if (found[0]?.id !== since) return { recovered: false };
      return { recovered: true, entries: found.slice(1).map((m) => entryOf(channel, m.id, m.message)) };
    },
    async follow(channels, onEntry, onError) {
      await reader.connect();
      const channelOfKey = new Map(channels.map((channel) => [streamKey(channel), channel]));
      // Positioned at each stream's newest entry now; `$` would skip entries added between two reads.
      const positions = new Map<string, string>();
      for (const channel of channels) {
        const [last] = (await client.xRevRange(streamKey(channel), '+', '-', { COUNT: 1 })) ?? [];
        positions.set(streamKey(channel), last?.id ?? '0-0');
      }
      const loop = async (): Promise<void> => {
        while (!closed) {
          try {
            const batches: StreamBatch[] | null = await reader.xRead(
              [...positions].map(([key, id]) => ({ key, id })),
              { BLOCK: READ_BLOCK_MS, COUNT: READ_COUNT },
            );
            for (const { name, messages } of batches ?? []) {
              const key = String(name);
              const channel = channelOfKey.get(key);
              if (channel === undefined) continue;
              for (const m of messages) {
                positions.set(key, m.id);
                onEntry(channel, entryOf(channel, m.id, m.message));
              }
            }
          } catch (error) {
            if (closed) return;
            onError(error);
            // The client reconnects by itself; try again shortly, from the same positions (nothing is skipped).
            await new Promise((resolve) => setTimeout(resolve, 100));
          }
        }
      };
      void loop();
    },
    compare: compareIds,
    async claim(key, ttlMs): Promise<Claim> {
      const k = requestKey(key);
      const deadline = performance.now() + pendingWaitMs;
      for (;;) {
        if ((await client.set(k, PENDING, { condition: 'NX', expiration: { type: 'PX', value: ttlMs } })) === 'OK') {
          return { run: true };
        }
        const stored = await client.get(k);
        if (stored !== null && stored !== PENDING) return { run: false, reply: stored };
        // Still running on another server (or expired just now: then the SET above claims it next time round).
        if (stored === PENDING && performance.now() >= deadline) return { run: false, reply: undefined };
        await new Promise((resolve) => setTimeout(resolve, PENDING_POLL_MS));
      }
    },
    async complete(key, reply, ttlMs) {
      await client.set(requestKey(key), reply, { expiration: { type: 'PX', value: ttlMs } });
    },
    async release(key) {
      await client.del(requestKey(key));
    },
    async increment(counter) {
      return client.incr(`${keyPrefix}counter:${counter}`);
    },
    async close() {
      closed = true;
      // A blocked XREAD would hold a graceful close for up to its block time: the reader is cut instead.
      if (reader.isOpen) reader.destroy();
      if (client.isOpen) await client.close();
    },
  };
}
