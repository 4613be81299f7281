/**
 * Where a feed keeps what it published and the replies it gave: the interface, and the in-memory store (the default,
 * for one server process). `redis-history.ts` implements the same interface on Redis, for several processes.
 */
import { messageFrame } from './protocol';

/** One published message: its cursor and its `message` frame, serialized once. */
export interface Entry {
  readonly cursor: string;
  readonly frame: string;
}

/** What a subscribe with `since` gets: every entry strictly after `since`, or the news that history does not reach it. */
export type Replay = { readonly recovered: true; readonly entries: readonly Entry[] } | { readonly recovered: false };

/** What a request id finds: run it now (this caller owns it), or the reply already stored for it. */
export type Claim =
  | { readonly run: true }
  /** `reply` is `undefined` when another caller is still running the request after the wait bound. */
  | { readonly run: false; readonly reply: string | undefined };

/** A feed's history and request store. */
export interface History {
  /** Appends `dataJson` (JSON text) to `channel`; resolves with the new entry's cursor. */
  append(channel: string, dataJson: string): Promise<string>;
  /** The newest entry's data on `channel`, or `undefined` (a publisher that restarts continues its numbering from it). */
  lastData(channel: string): Promise<string | undefined>;
  /** Entries strictly after `since`, when history still holds all of them; `recovered: false` when in doubt. */
  replay(channel: string, since: string): Promise<Replay>;
  /**
   * Delivers every entry appended to `channels` from now on, in cursor order per channel; resolves once positioned
   * (a server must not take subscribers before: a replay could end before the point where delivery starts). Called
   * once per history. `onError` hears failures of the store.
   */
  follow(
    channels: readonly string[],
    onEntry: (channel: string, entry: Entry) => void,
    onError: (error: unknown) => void,
  ): Promise<void>;
  /** Orders two cursors of one channel, as issued by this history: negative, zero or positive. */
  compare(a: string, b: string): number;
  /** Claims request `key` for `ttlMs`, or finds its stored reply (waiting a bounded time while another caller runs it). */
  claim(key: string, ttlMs: number): Promise<Claim>;
  /** Stores the reply of a claimed request for `ttlMs` from now. */
  complete(key: string, reply: string, ttlMs: number): Promise<void>;
  /** Releases a claim whose request could not be run (the store failed), so that a retry runs it. */
  release(key: string): Promise<void>;
  /** Adds one to a named counter and resolves with its new value (the `incr` operation). */
  increment(counter: string): Promise<number>;
  close(): Promise<void>;
}

/** Options of {@link createMemoryHistory}. */
export interface MemoryHistoryOptions {
  /** Entries kept per channel; older ones are dropped. */
  readonly historyLength: number;
  /** The clock request TTLs are measured with, in milliseconds (injectable so that specs control time). */
  readonly now: () => number;
  /** How long a repeated request id waits for the reply of the same id still running, in milliseconds. */
  readonly pendingWaitMs: number;
}

interface StoredRequest {
  expiresAt: number;
  reply: string | undefined;
  /** Resolves when `reply` is set or the claim is released. */
  readonly settled: Promise<void>;
  readonly settle: () => void;
}

/**
 * History in this process's memory: cursor `<epoch>-<seq>`, where `epoch` names this history (it changes when the
 * process restarts, so a cursor from an earlier run is never taken for one of this run) and `seq` counts per channel.
 */
export function createMemoryHistory({ historyLength, now, pendingWaitMs }: MemoryHistoryOptions): History {
  const epoch = `${Date.now().toString(36)}${Math.floor(Math.random() * 36 ** 4)
    .toString(36)
    .padStart(4, '0')}`;
  const channels = new Map<string, { entries: Entry[]; lastSeq: number; lastData: string | undefined }>();
  const requests = new Map<string, StoredRequest>();
  const counters = new Map<string, number>();
  let listener: ((channel: string, entry: Entry) => void) | undefined;

  const channelOf = (name: string) => {
    let channel = channels.get(name);
    if (!channel) {
      channel = { entries: [], lastSeq: 0, lastData: undefined };
      channels.set(name, channel);
    }
    return channel;
  };
  const seqOf = (cursor: string): number | undefined => {
    const dash = cursor.indexOf('-');
    if (dash < 0 || cursor.slice(0, dash) !== epoch) return undefined;
    const digits = cursor.slice(dash + 1);
    return /^\d{1,15}$/.test(digits) ? Number(digits) : undefined;
  };
  /** Stored replies all live `ttlMs` from their completion, so the map's order is their expiry order. */
  const sweep = (): void => {
    const t = now();
    for (const [key, stored] of requests) {
      if (stored.expiresAt > t) break;
      requests.delete(key);
      stored.settle();
    }
  };

  return {
    append(name, dataJson) {
      const channel = channelOf(name);
      const seq = ++channel.lastSeq;
      const cursor = `${epoch}-${seq}`;
      const entry: Entry = { cursor, frame: messageFrame(name, cursor, dataJson) };
      channel.entries.push(entry);
      if (channel.entries.length > historyLength) channel.entries.shift();
      channel.lastData = dataJson;
      listener?.(name, entry);
      return Promise.resolve(cursor);
    },
    lastData(name) {
      return Promise.resolve(channels.get(name)?.lastData);
    },
    replay(name, since) {
      const seq = seqOf(since);
      const channel = channelOf(name);
      if (seq === undefined || seq > channel.lastSeq) return Promise.resolve({ recovered: false });
      // The oldest kept entry has seq lastSeq - length + 1; all after `since` are kept when since >= that - 1.
      const firstKept = channel.lastSeq - channel.entries.length + 1;
      if (seq < firstKept - 1) return Promise.resolve({ recovered: false });
      return Promise.resolve({ recovered: true, entries: channel.entries.slice(seq - firstKept + 1) });
    },
    follow(_channels, onEntry) {
      listener = onEntry;
      return Promise.resolve();
    },
    compare(a, b) {
      return (seqOf(a) ?? 0) - (seqOf(b) ?? 0);
    },
    async claim(key, ttlMs) {
      sweep();
      const found = requests.get(key);
      if (found === undefined) {
        let settle!: () => void;
        const settled = new Promise<void>((resolve) => (settle = resolve));
        requests.set(key, { expiresAt: now() + ttlMs, reply: undefined, settled, settle });
        return { run: true };
      }
      if (found.reply === undefined) {
        let timer: NodeJS.Timeout | undefined;
        await Promise.race([found.settled, new Promise((resolve) => (timer = setTimeout(resolve, pendingWaitMs)))]);
        clearTimeout(timer);
      }
      return { run: false, reply: found.reply };
    },
    complete(key, reply, ttlMs) {
      const stored = requests.get(key);
      if (stored) {
        // Re-inserted so that the map stays in expiry order.
        requests.delete(key);
        stored.reply = reply;
        stored.expiresAt = now() + ttlMs;
        requests.set(key, stored);
        stored.settle();
      }
      return Promise.resolve();
    },
    release(key) {
      const stored = requests.get(key);
      requests.delete(key);
      stored?.settle();
      return Promise.resolve();
    },
    increment(counter) {
      const value = (counters.get(counter) ?? 0) + 1;
      counters.set(counter, value);
      return Promise.resolve(value);
    },
    close() {
      listener = undefined;
      for (const stored of requests.values()) stored.settle();
      return Promise.resolve();
    },
  };
}
