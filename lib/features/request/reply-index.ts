import type { Observable, Subscription } from 'rxjs';
import { CallbackError, type RxWebSocketError } from '../../core/errors';
import type { CloseInfo } from '../../core/events';
import { guard, REPLY, Threw } from '../../core/guard';

/**
 * What a request waiting through {@link awaitReply} is told: `next` its reply; `error` or `complete` when the socket's
 * messages end, `complete` with the last close since the request began to wait, if there was one; `giveUp` what
 * `replyIdOf` threw (the request is given up as on a timeout).
 * @internal
 */
export interface ReplyWaiter<In> {
  next(reply: In): void;
  error(error: unknown): void;
  complete(close: CloseInfo | undefined): void;
  giveUp(error: unknown): void;
}

/** What the index needs of a socket. */
interface IndexedSocket<In> {
  readonly message$: Observable<In>;
  readonly close$: Observable<CloseInfo>;
}

/** A request in the index: its waiter, and how many closes the index had seen when it began to wait. @internal */
interface Entry<In> {
  readonly waiter: ReplyWaiter<In>;
  readonly closes: number;
}

/** One socket's index for one `replyIdOf`: adds a waiting request, and gives back what removes it. */
type ReplyIndex<In> = (id: string, waiter: ReplyWaiter<In>) => () => void;

/**
 * The indexes of each socket object, by `replyIdOf` function: an index lives while a request waits on it, and is
 * dropped with its subscription when the last one ends. Kept here, so that the socket knows nothing of requests.
 */
const indexes = /* @__PURE__ */ new WeakMap<object, Map<unknown, unknown>>();

/**
 * Waits for the reply to request `id` on the socket's one shared `message$` subscription for `replyIdOf`: each
 * message costs one `replyIdOf` call and one map lookup, however many requests wait, and no waiting request is a
 * subscriber of the socket's own (`close$` is heard once for all too). The subscriptions start with the first waiting
 * request and end with the last, so that it holds the connection exactly while a request waits. Returns what stops
 * waiting.
 */
export function awaitReply<In>(
  socket: IndexedSocket<In>,
  replyIdOf: (message: In) => string | undefined,
  id: string,
  waiter: ReplyWaiter<In>,
  report: (error: RxWebSocketError) => unknown,
): () => void {
  let bySocket = indexes.get(socket);
  if (!bySocket) indexes.set(socket, (bySocket = new Map()));
  let index = bySocket.get(replyIdOf) as ReplyIndex<In> | undefined;
  if (!index) {
    const own = bySocket;
    own.set(replyIdOf, (index = openIndex(socket, replyIdOf, report, () => own.delete(replyIdOf))));
  }
  return index(id, waiter);
}

function openIndex<In>(
  socket: IndexedSocket<In>,
  replyIdOf: (message: In) => string | undefined,
  report: (error: RxWebSocketError) => unknown,
  detach: () => void,
): ReplyIndex<In> {
  /** The requests waiting, by id, in the order they were added (more than one only when ids repeat). */
  const waiting = new Map<string | undefined, Entry<In>[]>();
  /** Requests added and not yet removed, answered or not: the subscriptions end when none is left. */
  let live = 0;
  let stopped = false;
  let subscription: Subscription | undefined;
  let closeSubscription: Subscription | undefined;
  /** The closes seen since the index started, and the last one. */
  let closes = 0;
  let lastClose: CloseInfo | undefined;

  /** Ends the subscriptions and takes the index off the socket, so that the next request starts a fresh one. */
  const stop = (): void => {
    if (stopped) return;
    stopped = true;
    detach();
    subscription?.unsubscribe();
    closeSubscription?.unsubscribe();
  };
  /** Every request waiting, taken out of the index. */
  const takeAll = (): Entry<In>[] => {
    const all = [...waiting.values()].flat();
    waiting.clear();
    return all;
  };
  const end = (tell: (entry: Entry<In>) => void): void => {
    stop();
    takeAll().forEach(tell);
  };
  const next = (message: In): void => {
    const id = guard(replyIdOf, message, replyIdOfError, REPLY);
    if (id instanceof Threw) {
      // One throw, reported once: every request it leaves without a way to its reply is given up.
      const error = report(id.error);
      for (const entry of takeAll()) entry.waiter.giveUp(error);
      return;
    }
    const found = waiting.get(id);
    // Not a reply, a late one, or one for an id nobody waits for: a message like any other.
    if (!found) return;
    // Out before delivery, so that a request made from a subscriber's callback, even with this id, waits afresh.
    waiting.delete(id);
    for (const entry of found) entry.waiter.next(message);
  };

  return (id, waiter) => {
    const entry: Entry<In> = { waiter, closes };
    const same = waiting.get(id);
    if (same) same.push(entry);
    else waiting.set(id, [entry]);
    if (live++ === 0) {
      closeSubscription = socket.close$.subscribe((close) => {
        closes++;
        lastClose = close;
      });
      // May end at once (a socket that cannot start): the waiters hear it through `end`.
      subscription = socket.message$.subscribe({
        next,
        error: (error: unknown) => end((each) => each.waiter.error(error)),
        complete: () => end((each) => each.waiter.complete(closes > each.closes ? lastClose : undefined)),
      });
    }
    return () => {
      const same = waiting.get(id);
      const at = same?.indexOf(entry) ?? -1;
      if (same && at >= 0) {
        same.splice(at, 1);
        if (same.length === 0) waiting.delete(id);
      }
      if (--live === 0) stop();
    };
  };
}

const replyIdOfError = (cause: unknown): CallbackError => new CallbackError('request.replyIdOf', cause);
