import type { Observable, Subscription } from 'rxjs';
import { CallbackError, type RxWebSocketError } from '../../core/errors';
import { guard, REPLY, Threw } from '../../core/guard';

/**
 * What a request waiting through {@link awaitReply} is told: `next` its reply, `error` or `complete` when the socket's
 * messages end, `giveUp` what `replyIdOf` threw (the request is given up as on a timeout).
 * @internal
 */
export interface ReplyWaiter<In> {
  next(reply: In): void;
  error(error: unknown): void;
  complete(): void;
  giveUp(error: unknown): void;
}

/** A request in the index: its waiter, and the next request waiting for the same id (subscribed later). */
interface Entry<In> {
  readonly waiter: ReplyWaiter<In>;
  later: Entry<In> | undefined;
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
 * message costs one `replyIdOf` call and one map lookup, however many requests wait. The subscription starts with the
 * first waiting request and ends with the last, so it holds the connection exactly while a request waits. Returns
 * what stops waiting.
 */
export function awaitReply<In>(
  socket: { readonly message$: Observable<In> },
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
  socket: { readonly message$: Observable<In> },
  replyIdOf: (message: In) => string | undefined,
  report: (error: RxWebSocketError) => unknown,
  detach: () => void,
): ReplyIndex<In> {
  /** The requests waiting, by id: the first to subscribe heads a list of those waiting for the same id. */
  const waiting = new Map<string | undefined, Entry<In>>();
  /** Requests added and not yet removed, delivered or not: the subscription ends when none is left. */
  let live = 0;
  let started = false;
  let stopped = false;
  let subscription: Subscription | undefined;

  /** Ends the subscription and takes the index off the socket, so that the next request starts a fresh one. */
  const stop = (): void => {
    if (stopped) return;
    stopped = true;
    detach();
    subscription?.unsubscribe();
  };
  /** Every request waiting, in the order they were added, taken out of the index. */
  const takeAll = (): ReplyWaiter<In>[] => {
    const all: ReplyWaiter<In>[] = [];
    for (const head of waiting.values())
      for (let entry: Entry<In> | undefined = head; entry; entry = entry.later) all.push(entry.waiter);
    waiting.clear();
    return all;
  };
  const end = (tell: (waiter: ReplyWaiter<In>) => void): void => {
    stop();
    for (const waiter of takeAll()) tell(waiter);
  };
  const next = (message: In): void => {
    const id = guard(replyIdOf, message, replyIdOfError, REPLY);
    if (id instanceof Threw) {
      // One throw, reported once: every request it leaves without a way to its reply is given up.
      const error = report(id.error);
      for (const waiter of takeAll()) waiter.giveUp(error);
      return;
    }
    const head = waiting.get(id);
    // Not a reply, a late one, or one for an id nobody waits for: a message like any other.
    if (!head) return;
    // Out before delivery, so that a request made from a subscriber's callback, even with this id, waits afresh.
    waiting.delete(id);
    for (let entry: Entry<In> | undefined = head; entry; entry = entry.later) entry.waiter.next(message);
  };

  return (id, waiter) => {
    const entry: Entry<In> = { waiter, later: undefined };
    const head = waiting.get(id);
    if (head) {
      let last = head;
      while (last.later) last = last.later;
      last.later = entry;
    } else waiting.set(id, entry);
    live++;
    if (!started) {
      started = true;
      // May end at once (a socket that cannot start): the waiters hear it through `end`.
      subscription = socket.message$.subscribe({
        next,
        error: (error: unknown) => end((each) => each.error(error)),
        complete: () => end((each) => each.complete()),
      });
    }
    return () => {
      const first = waiting.get(id);
      if (first === entry) {
        if (entry.later) waiting.set(id, entry.later);
        else waiting.delete(id);
      } else {
        for (let other = first; other; other = other.later) {
          if (other.later === entry) {
            other.later = entry.later;
            break;
          }
        }
      }
      if (--live === 0) stop();
    };
  };
}

const replyIdOfError = (cause: unknown): CallbackError => new CallbackError('request.replyIdOf', cause);
