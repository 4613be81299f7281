import { isObservable, Observable, timer } from 'rxjs';
import {
  CallbackError,
  EncodeError,
  InvalidOptionError,
  kindOf,
  MessageNotSentError,
  SendQueueOverflowError,
  WebSocketCloseError,
  type CallbackHook,
  type RxWebSocketError,
} from '../../core/errors';
import {
  CHANNEL_FRAME,
  INTERNALS,
  type ChannelFrame,
  type ChannelFrameAware,
  type SocketInternals,
  type WithInternals,
} from '../../core/internals';
import type { CloseInfo } from '../../core/events';
import type { ReactiveWebSocket } from '../../core/from-web-socket';
import { guard, REPLY, Threw } from '../../core/guard';
import { assertDelayMs } from '../../core/validate-options';
import { addedSince, withdraw, type Entry } from '../../core/send-queue';
import { OPEN } from '../../core/web-socket-like';
import { awaitReply } from './reply-index';
import { RequestTimeoutError } from './request-timeout-error';

/**
 * What `request` needs of a socket: what `fromWebSocket` returns has it all. `message$` holds the connection while a
 * request waits; `open$` only tells it of each (re)open; `close$` of the last close, should the socket stop for good.
 */
export interface RequestSocket<In, Out> {
  /** Decoded messages, across reconnections; subscribing holds the connection. */
  readonly message$: Observable<In>;
  /** Each open, reconnections included. */
  readonly open$: Observable<unknown>;
  /** Each close, retried ones included. */
  readonly close$: Observable<CloseInfo>;
  /** The current socket's ready state: whether a send goes out now ({@link OPEN}) or waits in the send queue. */
  readonly readyState: number;
  /** Sends now when open, else queues until the next open. */
  send(value: Out): void;
  /**
   * What the socket reports: a request listens while it sends, so that a message the socket refuses (it cannot be
   * encoded, the send queue is full, the socket is closing) fails the request at once rather than at its timeout.
   */
  readonly error$?: Observable<RxWebSocketError>;
}

/**
 * Options of {@link request}: how the request knows its reply, with exactly one of `isReply` (a test per waiting
 * request and message) and `replyIdOf` (one call per message, the reply found by its id), and the
 * {@link RequestBaseOptions}.
 */
export type RequestOptions<In, Out, R extends In = In> = RequestBaseOptions<Out> &
  (
    | {
        /**
         * Whether `message` is the reply to the request with this `id`, e.g.
         * `(msg, id) => msg.type === 'reply' && msg.id === id`. A type guard narrows what the request emits. Called for
         * every message while the request waits, so a message costs one call per waiting request: with many requests
         * in flight, give `replyIdOf` instead. If it throws, the request ends with a `CallbackError` (hook
         * `'request.isReply'`), its `cancel` message sent as on a timeout.
         * @default undefined (give this or `replyIdOf`, not both)
         */
        readonly isReply: ((message: In, id: string) => message is R) | ((message: In, id: string) => boolean);
        /** Only with `isReply` absent. */
        readonly replyIdOf?: undefined;
      }
    | {
        /**
         * The id of the request that `message` answers, or `undefined` when it is no reply, e.g.
         * `(msg) => (msg.type === 'reply' ? msg.id : undefined)`. The requests waiting on a socket with the same
         * `replyIdOf` function share one `message$` subscription and find their replies through a map by id, so each
         * message costs one call and one lookup however many requests wait: define the function once, not per
         * request. A reply whose id no request waits for (late, cancelled, or someone else's) is ignored, as with
         * `isReply`. If it throws, the error (a `CallbackError`, hook `'request.replyIdOf'`) is reported once on
         * `error$`, and every request waiting on that subscription ends with it, its `cancel` message sent as on a
         * timeout.
         * @default undefined (give this or `isReply`, not both)
         */
        readonly replyIdOf: (message: In) => string | undefined;
        /** Only with `replyIdOf` absent. */
        readonly isReply?: undefined;
      }
  );

/** The options of {@link request} other than how it knows its reply (`isReply` or `replyIdOf`). */
export interface RequestBaseOptions<Out> {
  /**
   * How long to wait for the reply, from the subscription, in milliseconds: above 0, up to 2147483647 (the longest
   * delay timers honour), or `Infinity` to wait as long as the socket runs. Then the request errors with a
   * `RequestTimeoutError`, its `cancel` message is sent, and a reply that comes later is ignored. With
   * `resend: 'on-reconnect'` keep it below how long the server remembers ids (the reference server: 5 minutes), or a
   * late resend runs the request again.
   * @default 10000
   */
  readonly timeoutMs?: number;
  /**
   * `'on-reconnect'` sends the request again, with the same id, on each open after the first one it went out on,
   * until it is answered or times out: at-least-once delivery, and exactly-once processing with a server that answers
   * a repeated id from its store of replies (as the reference server does). `'never'` sends it once: if the connection
   * drops before the reply, the request times out. `'never'` is the default because a resend is only safe with a
   * server that recognises the repeated id: every other would run the request twice. A request that resends does not
   * wait in the send queue while the socket is not open (the queue could refuse it): it goes out on the next open (made
   * from a `state$` callback of `open`, when `open$` announces that open).
   * @default 'never'
   */
  readonly resend?: 'never' | 'on-reconnect';
  /**
   * Makes the message that tells the server to give up the request with this `id`, sent when the request was sent and
   * ends without its reply while the socket runs: the subscriber unsubscribes, `timeoutMs` passes, or `isReply` threw.
   * Like any send, it is queued while the socket is not open. If it throws (a `CallbackError`, hook
   * `'request.cancel'`) on a timeout, the subscriber gets that error instead of the `RequestTimeoutError`; on an
   * unsubscribe there is nobody left to tell, and nothing is sent.
   * @default undefined (nothing is sent)
   */
  readonly cancel?: (id: string) => Out;
  /**
   * Makes each request's id, a non-empty string. If it throws, the request errors with a `CallbackError` (hook
   * `'request.id'`); if it returns anything else (not a string, or `''`), with an `InvalidOptionError`
   * (`'request.id'`) saying what it returned. Either way nothing is sent. Ids must be unique among the requests a server
   * remembers, across all its clients.
   * @default a random prefix per socket object (a UUID where `crypto.randomUUID` exists) and a counter: `<prefix>-1`,
   * `<prefix>-2`, ...
   */
  readonly id?: () => string;
}

/** The default {@link RequestOptions}. */
export const DEFAULT_REQUEST = {
  /** {@link RequestBaseOptions.timeoutMs}: 10 s. */
  timeoutMs: 10_000,
  /** {@link RequestBaseOptions.resend}: once only. */
  resend: 'never',
} as const;

/**
 * Request/response over a socket: each subscription makes a fresh id, sends `make(id)` (through `socket.send`, so
 * queued while the socket is not open; with `resend: 'on-reconnect'`, sent on the next open instead), and emits the
 * first message that `isReply(message, id)` accepts, or whose `replyIdOf(message)` is the id, then completes. The
 * request holds the connection while it waits, and lets it go when it ends. (`Out` is `const` only so that `make`'s
 * object literals keep their literal types against the socket's message type.)
 *
 * - Unsubscribing before the reply cancels the request: `cancel(id)` is sent when given, and a later reply is ignored.
 * - No reply within `timeoutMs`: a `RequestTimeoutError`; a reply after it is ignored. So is a reply for an id no
 *   request waits for: it is a message like any other, on `message$` for whoever listens, never an error.
 * - `resend: 'on-reconnect'` sends an unanswered request again, with the same id, after each reconnection: the
 *   acknowledged send. With a server that answers a repeated id with the reply it stored, each request is run once.
 * - The socket stops for good before the reply: the request errors with `message$`'s error, or, when it stopped
 *   without one (`close()`, or a close the reconnection policy ends on without an error), with a
 *   `WebSocketCloseError` for the last close. A request never waits on a socket that can no longer answer it.
 * - Its message waiting in the send queue (made while not open, or while the connection closes for its last holder),
 *   `close()` may hand it back, or the socket may throw on it as the queue goes out at the open. Then the request
 *   fails with a `MessageNotSentError` (`'close-called'`, or `'send-threw'` with what the socket threw as its `cause`)
 *   at the next close, open or change of state it hears (that connection's close event, the state after it, the
 *   open, or a reconnection made from a callback of the report), and never sends a cancel for it, even when it ends
 *   first.
 * - What `make`, `isReply`, `replyIdOf`, `cancel` or `id` throws ends the request with a `CallbackError` naming the
 *   hook (`'request.make'`...), given to the subscriber; nothing reaches the socket's handlers. So does what `send`
 *   throws for the request (a `'throw'` overflow, or an `EncodeError` when nobody listens on `error$`).
 *
 * Throws `InvalidOptionError` for a bad option, and a `TypeError` when `socket` is not a socket made by `fromWebSocket`
 * (or one like it, see {@link RequestSocket}); both are left to development builds in the production browser build.
 *
 * @example
 * // An acknowledged send: the server answers a repeated id from its store, so the order is placed once.
 * const placed$ = request(socket, (id) => ({ type: 'request', id, data: { op: 'place', order } }), {
 *   isReply: (msg, id): msg is Reply => msg.type === 'reply' && msg.id === id,
 *   timeoutMs: 5_000,
 *   resend: 'on-reconnect',
 * });
 * placed$.subscribe({ next: (reply) => show(reply.data), error: (error) => retryLater(error) });
 *
 * @example
 * // Many requests in flight: each message costs one replyIdOf call and one lookup, however many wait.
 * const replyIdOf = (msg: ServerMsg) => (msg.type === 'reply' ? msg.id : undefined); // defined once, shared
 * const quote = (sym: string) =>
 *   request(socket, (id) => ({ type: 'request', id, data: { op: 'quote', sym } }), { replyIdOf });
 * merge(...symbols.map(quote)).subscribe((reply) => show(reply));
 */
export function request<In, const Out, R extends In = In>(
  socket: RequestSocket<In, Out>,
  make: (id: string) => NoInfer<Out>,
  options: RequestOptions<NoInfer<In>, NoInfer<Out>, R>,
): Observable<R> {
  if (typeof __RXWS_DEV__ == 'undefined' || __RXWS_DEV__) validateRequest(socket, make, options);
  const {
    isReply,
    replyIdOf,
    timeoutMs = DEFAULT_REQUEST.timeoutMs,
    resend = DEFAULT_REQUEST.resend,
    cancel,
    id: makeId,
  } = options;
  const nextId = makeId ?? (() => defaultId(socket));
  const resent = resend === 'on-reconnect';
  const internals = internalsOf(socket);
  // What the application's callbacks throw is reported on the socket's error$ too, as every hook's throw is.
  const report = <E extends RxWebSocketError>(error: E): E => (internals()?.report(error), error);
  const queueOf = () => internals()?.queue();
  return new Observable<R>((subscriber) => {
    const id = guard(nextId, undefined, idError);
    if (id instanceof Threw) return subscriber.error(report(id.error));
    // A programming error, for the subscriber alone: nothing threw, and nothing is sent.
    if (typeof id !== 'string' || id === '') return subscriber.error(badId(id));
    const message = guard(make, id, makeError);
    if (message instanceof Threw) return subscriber.error(report(message.error));

    /** Answered, failed, timed out or cancelled: nothing more is sent, and no later message counts. */
    let settled = false;
    /** The socket took the message (sent it, or queued it). */
    let handed = false;
    /** Its entry in the socket's send queue, when the socket queued it (sent while not open). */
    let queued: Entry<unknown> | undefined;
    /**
     * Settles it. Its message, when it still waits in the send queue, comes out: the request has ended, so the message
     * is never sent, on this connection or a later one. True when the server never saw the request (withdrawn, or
     * never handed to the socket): it needs no cancel.
     */
    const settle = (): boolean => {
      settled = true;
      return !handed || (queued !== undefined && (queued.unsent !== undefined || withdraw(queueOf()!, queued)));
    };
    let lastClose: CloseInfo | undefined;
    const send = (): void => {
      // The socket reports a refusal of this message synchronously, on error$ (or throws it when nobody listens).
      let refused: unknown;
      const listening = socket.error$?.subscribe((error) => {
        if (refused === undefined && refuses(error, message)) refused = error;
      });
      const waiting = queueOf()?.size ?? 0;
      // Sent again on every open: a socket shared across tabs hands none of it back when the connection is closing.
      const current = (resent && internals()?.current()) as Partial<ChannelFrameAware> | undefined;
      current?.[CHANNEL_FRAME]?.(RESEND_FRAME);
      try {
        socket.send(message);
      } catch (error) {
        refused = error;
      }
      current?.[CHANNEL_FRAME]?.(undefined);
      listening?.unsubscribe();
      if (refused === undefined) {
        handed = true;
        queued = addedSince(queueOf(), waiting);
        // Queued: it goes on the next open, unless close() hands it back meanwhile (the connection may be closing for
        // the last holder's leaving, this request held for the next), or the socket throws on it at the open's flush.
        // Either is reported on error$, and the next open or change of state tells the request: a close event is
        // followed by one, and a callback of that report may drop the socket, which then neither closes nor opens.
        if (queued) {
          const told = (): void => {
            const unsent = queued!.unsent;
            if (unsent) fail(new MessageNotSentError([message], unsent.reason, unsent.cause));
          };
          // Queued only by a socket made by fromWebSocket, which has state$.
          const { state$ } = socket as unknown as Pick<ReactiveWebSocket<In, Out>, 'state$'>;
          subscriber.add(socket.open$.subscribe(told));
          subscriber.add(state$.subscribe(told));
        }
        return;
      }
      settled = true;
      subscriber.error(refused);
    };
    /** Sends the cancel message; what stopped it, if anything. */
    const sendCancel = (): { readonly error: unknown } | undefined => {
      if (!cancel) return undefined;
      const made = guard(cancel, id, cancelError);
      if (made instanceof Threw) return { error: report(made.error) };
      try {
        socket.send(made);
      } catch (error) {
        return { error };
      }
      return undefined;
    };
    /** The client gives the request up (timeout, or `isReply` threw): cancel it, then tell the subscriber. */
    const giveUp = (error: unknown): void => {
      if (settled) return;
      const problem = settle() ? undefined : sendCancel();
      subscriber.error(problem ? problem.error : error);
    };
    const fail = (error: unknown): void => {
      if (settled) return;
      settle();
      subscriber.error(error);
    };
    // First, so that the cancel message goes out while the request still holds the connection.
    subscriber.add(() => {
      if (settled) return;
      // The subscriber has left: what the cancel callback or send throws has nobody to go to.
      if (!settle()) sendCancel();
    });
    // With replyIdOf, the requests on the socket hear its closes through one subscription, as they do its messages.
    if (!replyIdOf) subscriber.add(socket.close$.subscribe((close) => (lastClose = close)));
    const take = (candidate: In): void => {
      if (settled) return;
      // Answered (by a reply stored for its id, it may still wait in the queue): it need not go.
      settle();
      subscriber.next(candidate as R);
      subscriber.complete();
    };
    const ended = (close = lastClose) => fail(new WebSocketCloseError(close ?? NORMAL_CLOSE));
    const test = (candidate: In): boolean => (isReply as IsReply<In>)(candidate, id);
    subscriber.add(
      replyIdOf
        ? awaitReply(socket, replyIdOf, id, { next: take, error: fail, complete: ended, giveUp }, report)
        : socket.message$.subscribe({
            next: (candidate) => {
              if (settled) return;
              const matched = guard(test, candidate, isReplyError, REPLY);
              if (matched instanceof Threw) return giveUp(report(matched.error));
              if (matched) take(candidate);
            },
            error: fail,
            complete: ended,
          }),
    );
    // Holding the connection may have ended it at once (a socket that cannot start).
    if (settled) return;
    /** The socket is open and `open$` has said so (or, for a socket not made by `fromWebSocket`, it says it is open). */
    const announced = () => internals()?.isOpen() ?? socket.readyState === OPEN;
    if (resent) {
      subscriber.add(
        socket.open$.subscribe(() => {
          // An earlier open$ subscriber may have closed the socket or started another: the next open sends it then.
          if (!settled && announced()) send();
        }),
      );
    }
    if (timeoutMs !== Infinity) {
      subscriber.add(timer(timeoutMs).subscribe(() => giveUp(new RequestTimeoutError(id, timeoutMs))));
    }
    // A request that is resent does not wait in the send queue: each open sends it, the next one included. The queue
    // could refuse it (full, or the connection closing), which the request would not hear, and it holds the message
    // anyway. Nor does it go on a socket that open$ has yet to announce (made from a state$ callback of `open`): open$
    // sends it then.
    if (!resent || announced()) send();
  });
}

type IsReply<In> = (message: In, id: string) => boolean;

/** The internals of a socket made by `fromWebSocket`; undefined for any other socket. */
function internalsOf(socket: object): () => SocketInternals<unknown, unknown> | undefined {
  const internals = (socket as Partial<WithInternals<unknown, unknown>>)[INTERNALS];
  return () => (typeof internals === 'function' ? internals.call(socket) : undefined);
}

/** What a request sent again on every open says of its frame. */
const RESEND_FRAME: ChannelFrame = { key: '', op: 'resend', resumes: false };

/** What the request reports when the socket stopped without an error and no close was seen: `close()`'s own code. */
const NORMAL_CLOSE: CloseInfo = /* @__PURE__ */ Object.freeze({ code: 1000, reason: '', wasClean: true });

const wrapper =
  (hook: CallbackHook) =>
  (cause: unknown): CallbackError =>
    new CallbackError(hook, cause);
const idError = /* @__PURE__ */ wrapper('request.id');
const makeError = /* @__PURE__ */ wrapper('request.make');
const isReplyError = /* @__PURE__ */ wrapper('request.isReply');
const cancelError = /* @__PURE__ */ wrapper('request.cancel');

/** What an `id` option that returned no usable id (not a string, or `''`) gives the subscriber. */
function badId(id: unknown): InvalidOptionError {
  const dev = typeof __RXWS_DEV__ == 'undefined' || __RXWS_DEV__;
  const returned = !dev ? '' : typeof id === 'string' ? 'an empty id' : `${kindOf(id)}, not a string`;
  return new InvalidOptionError('request.id', id, `it returned ${returned}`);
}

/** Throws unless `socket` looks like one `fromWebSocket` makes: a clear error at the call, not a TypeError later. */
function checkSocket(socket: unknown): void {
  const { message$, open$, close$, send } = (socket ?? {}) as Partial<RequestSocket<unknown, unknown>>;
  if (!isObservable(message$) || !isObservable(open$) || !isObservable(close$) || typeof send !== 'function') {
    throw new TypeError('request: the first argument must be a socket made by fromWebSocket');
  }
}

/** Each socket object's ids: a random prefix, made on its first request, and a counter. */
const ids = /* @__PURE__ */ new WeakMap<object, { readonly prefix: string; count: number }>();

function defaultId(socket: object): string {
  let entry = ids.get(socket);
  if (!entry) ids.set(socket, (entry = { prefix: randomPrefix(), count: 0 }));
  return `${entry.prefix}-${++entry.count}`;
}

function randomPrefix(): string {
  if (typeof crypto !== 'undefined' && typeof crypto.randomUUID === 'function') return crypto.randomUUID();
  // No secure context: 2 × 52 random bits, enough that two clients of one server do not meet.
  return Math.random().toString(36).slice(2) + Math.random().toString(36).slice(2);
}

function validateRequest(socket: unknown, make: unknown, options: unknown): void {
  checkSocket(socket);
  if (typeof make !== 'function') throw new InvalidOptionError('request.make', make, 'a function');
  if (typeof options !== 'object' || options === null) throw new InvalidOptionError('request', options, 'an object');
  const { isReply, replyIdOf, timeoutMs, resend, cancel, id } = options as Record<string, unknown>;
  if (replyIdOf === undefined) {
    if (typeof isReply !== 'function') {
      throw new InvalidOptionError('request.isReply', isReply, 'a function, or else request.replyIdOf: one of the two');
    }
  } else if (isReply !== undefined) {
    throw new InvalidOptionError('request.replyIdOf', replyIdOf, 'not with request.isReply: one of the two');
  } else if (typeof replyIdOf !== 'function') {
    throw new InvalidOptionError('request.replyIdOf', replyIdOf, 'a function');
  }
  if (timeoutMs !== undefined) assertDelayMs('request.timeoutMs', timeoutMs, { above0: true, never: true });
  if (resend !== undefined && resend !== 'never' && resend !== 'on-reconnect') {
    throw new InvalidOptionError('request.resend', resend, "'never' or 'on-reconnect'");
  }
  if (cancel !== undefined && typeof cancel !== 'function')
    throw new InvalidOptionError('request.cancel', cancel, 'a function');
  if (id !== undefined && typeof id !== 'function') throw new InvalidOptionError('request.id', id, 'a function');
}

/** Whether `error` says that the socket did not take `message` (not encoded, not queued, not sent). */
function refuses(error: RxWebSocketError, message: unknown): boolean {
  if (error instanceof EncodeError) return error.value === message;
  if (error instanceof SendQueueOverflowError) return error.rejected === message;
  return error instanceof MessageNotSentError && error.messages.includes(message);
}
