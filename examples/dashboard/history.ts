/**
 * The dashboard's history: the feed server's (in memory, or in Redis Streams with `REDIS_URL`), plus a way to lose
 * it on purpose. The "forget history" fault calls {@link ForgettingHistory.forget}: every entry published until then
 * counts as trimmed, so a client that resumes from a cursor before that point is answered `recovered: false`, as it
 * would be by a server whose history no longer reaches back (a short `historyLength`, a Redis `MAXLEN`, a flush).
 */
import type { History } from '../feed-server/history';

/** A history that can be told to forget what it holds. */
export interface ForgettingHistory extends History {
  /** From now on, no replay reaches back to an entry appended before this call. */
  forget(): void;
}

/** Wraps `history`: every call goes through, except replays that reach back past the last {@link ForgettingHistory.forget}. */
export function forgetting(history: History): ForgettingHistory {
  /** The newest cursor appended on each channel. */
  const newest = new Map<string, string>();
  /** Per channel, the newest cursor when history was last forgotten: it and everything before it are gone. */
  const horizon = new Map<string, string>();
  return {
    async append(channel, dataJson) {
      const cursor = await history.append(channel, dataJson);
      newest.set(channel, cursor);
      return cursor;
    },
    lastData: (channel) => history.lastData(channel),
    replay(channel, since) {
      const gone = horizon.get(channel);
      if (gone !== undefined && history.compare(since, gone) < 0) return Promise.resolve({ recovered: false });
      return history.replay(channel, since);
    },
    follow: (channels, onEntry, onError) => history.follow(channels, onEntry, onError),
    compare: (a, b) => history.compare(a, b),
    claim: (key, ttlMs) => history.claim(key, ttlMs),
    complete: (key, reply, ttlMs) => history.complete(key, reply, ttlMs),
    release: (key) => history.release(key),
    increment: (counter) => history.increment(counter),
    close: () => history.close(),
    forget() {
      for (const [channel, cursor] of newest) horizon.set(channel, cursor);
    },
  };
}
