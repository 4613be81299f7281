import { Observable, type Subscriber, type Subscription } from 'rxjs';
import { CallbackError, InvalidOptionError, type CallbackHook, type RxWebSocketError } from '../../core/errors';
import type { ReactiveWebSocket } from '../../core/from-web-socket';
import { FILTER, guard, Threw } from '../../core/guard';
import {
  CHANNEL_FRAME,
  INTERNALS,
  type ChannelFrame,
  type ChannelFrameAware,
  type SocketInternals,
  type WithInternals,
} from '../../core/internals';
import { isArrayBuffer } from '../../core/payload';
import { checkResume, createResume, type ResumeEvent, type ResumeOptions } from './resume';

/** What a multiplexer needs of the socket it runs over. */
type MultiplexHost<In, Out> = SocketInternals<In, Out>;

/**
 * Options of `multiplex`. Channels with the same key share the options of the call that started them.
 *
 * @typeParam T - the channel's messages (what `filter` accepts)
 * @typeParam In - every message of the socket (what `isRecovered` reads)
 */
export interface MultiplexOptions<T = unknown, In = unknown> {
  /**
   * Identifies the channel: `multiplex` calls with the same key share one channel (one subscribe and one unsubscribe
   * message for all their subscribers). A key given here is only ever compared with other keys given here. Required
   * when the subscribe message is (or holds) a `Blob`, which cannot be read synchronously.
   * @default the subscribe message itself when it is a string, its bytes when it is an `ArrayBuffer` or a view of one,
   * else its JSON (with any `ArrayBuffer` or view inside it by its bytes), as `subscribeMsg(undefined)` makes it: a
   * resumable channel keeps that key whatever cursor its later subscribe messages carry
   */
  readonly key?: string;
  /**
   * Makes the channel resumable: the cursor of a message of the channel, an opaque string the channel compares only for
   * equality (`String(seq)` for a sequence number). `undefined` means the message has no cursor: it is delivered, is
   * not deduplicated (a replay delivers it again), and does not move the resume point, so a resume uses the last
   * defined cursor. Anything else (an object, a number, a symbol, `null`) is reported on `error$` as a `CallbackError`
   * 'multiplex.cursorOf', and that message is dropped; the channel goes on. The channel keeps the cursor of the last
   * message it delivered and makes every subscribe message after a reconnection with it, `subscribeMsg(cursor)`, so
   * that the server can replay what was missed. A message whose cursor was delivered lately (a server replaying an
   * overlap, a live message racing a replay) is dropped: no cursor reaches the channel's subscribers twice, within the
   * bounds of {@link MultiplexOptions.dedupeWindow}. The cursor lives as long as the channel: a channel started afresh
   * (after its last subscriber left, or after an error ended it) subscribes with none. Without `cursorOf`, the channel
   * keeps no cursors at all.
   * @default undefined (not resumable)
   */
  readonly cursorOf?: (message: T) => string | undefined;
  /**
   * Recognises the server's answer to a resubscription made with a cursor, among every message of the socket:
   * whether it replayed everything after the cursor (`true`) or could not (`false`: its history no longer reaches
   * it), `undefined` for any other message. Called only while that answer is awaited, so it costs nothing per message
   * otherwise. For the reference protocol:
   * `(msg) => (msg.type === 'subscribed' && msg.channel === C ? msg.recovered : undefined)`.
   * @default undefined (the answer is not read: give it with `onResume`)
   */
  readonly isRecovered?: (message: In) => boolean | undefined;
  /**
   * Told once per resubscription after a reconnection whether the gap was filled (see {@link ResumeEvent}): when
   * `isRecovered` recognises the answer (before the replayed messages, which follow it), or at once when the channel
   * had no cursor to resume from (`recovered: false`). Not called for the channel's first subscribe, nor for a
   * resubscription whose connection dropped before the answer (the next one is told). Needs `isRecovered` (the
   * server's answer tells whether the gap was filled): given without it, `multiplex` throws an `InvalidOptionError`.
   * @default undefined
   */
  readonly onResume?: (event: ResumeEvent) => void;
  /**
   * How many of the latest delivered cursors a resumable channel remembers, and for how many messages after each
   * resubscription it looks cursors up: a message whose cursor is among the last `dedupeWindow` delivered before the
   * resubscription, or delivered since, is dropped there (a replay that overlaps, a live message racing the replay).
   * On a steady connection, where a server sends each cursor once and in order, only a repeat of the last cursor is
   * dropped, so the per-message cost is one `cursorOf` call and an array store. Memory: the ring (one reference per
   * cursor) and, after a resubscription, a `Set` of at most twice the window. `0` keeps only the last cursor and drops
   * nothing.
   * @default 1024
   */
  readonly dedupeWindow?: number;
}

/** The channels of one socket: a new channel, or the running one with the same key. */
type Channels<In, Out> = (
  subscribeMsg: (cursor: string | undefined) => Out,
  unsubscribeMsg: () => Out,
  filter: (message: In) => boolean,
  options?: MultiplexOptions<In, In>,
) => Observable<In>;

/** The channels of each socket, made on its first `multiplex` call and gone with the socket. */
const registry = /* @__PURE__ */ new WeakMap<object, Channels<unknown, unknown>>();

/**
 * A channel over the shared socket, emitting the messages `filter` accepts (narrowed to `T` when `filter` is a type
 * guard). It sends `subscribeMsg(cursor)` when its first subscriber arrives (at once if open, else on the next open)
 * and again after every reconnection, and `unsubscribeMsg()` when the last one leaves — only on a socket it subscribed
 * on that is still open: every other has no subscription to cancel, so nothing stale is sent or replayed to the next
 * connection. A subscribed channel holds the connection, as `message$` does, and ends with it.
 *
 * `cursor` is always `undefined` unless the channel is resumable ({@link MultiplexOptions.cursorOf}): then it is the
 * cursor of the last message the channel delivered, so that the server can replay what was missed; no cursor is
 * delivered twice, and {@link MultiplexOptions.onResume} tells the app whether each gap was filled.
 *
 * Channels with the same key are shared: by default the subscribe message itself when a string, its bytes when binary,
 * else its JSON, as `subscribeMsg(undefined)` makes it (see {@link MultiplexOptions.key}). A channel ends when the
 * socket's streams do (`close()`, a close the policy does not retry); a subscriber that joins it as that session ends
 * (while `close()` closes the socket, or from a callback of the closed state) holds the next connection instead, as a
 * subscriber of `message$` does: as the channel ends, such subscribers join a channel made again, which subscribes
 * (afresh, with no cursor) once that connection opens.
 *
 * The message types come from `socket` alone, as `socket.send` takes them: the callbacks are typed by it and need no
 * annotations, their object literals keeping their literal types against a union of outgoing messages. (`Out` is
 * `const`, and the callbacks are not inferred from, for that.)
 *
 * What the application's callbacks throw, and what the socket cannot send, never escapes into the socket's handlers:
 * - `subscribeMsg` (as `CallbackError` 'multiplex.subscribeMsg'), the default key (`CallbackError` 'multiplex.key') and
 *   a subscribe message that cannot be sent (it cannot be encoded, or the socket throws) end the channel, whether or
 *   not anyone listens on `error$`: reported on `error$` once, then every subscriber gets the error; the channel holds
 *   nothing and sends no unsubscribe. A `Blob` subscribe message without a key errors its subscriber alone with
 *   `InvalidOptionError` 'multiplex.key'. A `subscribeMsg` that closes or reconnects the socket sends nothing on it:
 *   the channel ends with the socket, or subscribes on the next open.
 * - `filter` (`CallbackError` 'multiplex.filter'), `cursorOf` ('multiplex.cursorOf': the message is not delivered)
 *   and `isRecovered` ('multiplex.isRecovered') end the channel the same way, and its unsubscribe message is sent.
 * - `cursorOf` returning neither a string nor `undefined` (`CallbackError` 'multiplex.cursorOf', saying what it
 *   returned) is reported on `error$`: that message is dropped, and the channel goes on.
 * - `onResume` (`CallbackError` 'multiplex.onResume') is reported on `error$` (dropped when nobody listens); the
 *   channel goes on, and delivers the replay.
 * - `unsubscribeMsg` (`CallbackError` 'multiplex.unsubscribeMsg') and an unsubscribe message that cannot be sent are
 *   reported on `error$` (dropped when nobody listens: the last subscriber has gone); the channel lets go all the same.
 *
 * Throws a `TypeError` when `socket` is not made by `fromWebSocket`, and `InvalidOptionError` (naming it) for a
 * message maker or `filter` that is missing or not a function, or a bad option (left to development builds in the
 * production browser build).
 */
export function multiplex<In, const Out, T extends In>(
  socket: Pick<ReactiveWebSocket<In, Out>, 'message$' | 'send'>,
  subscribeMsg: (cursor: string | undefined) => NoInfer<Out>,
  unsubscribeMsg: () => NoInfer<Out>,
  filter: (message: NoInfer<In>) => message is T,
  options?: MultiplexOptions<T, NoInfer<In>>,
): Observable<T>;
export function multiplex<In, const Out>(
  socket: Pick<ReactiveWebSocket<In, Out>, 'message$' | 'send'>,
  subscribeMsg: (cursor: string | undefined) => NoInfer<Out>,
  unsubscribeMsg: () => NoInfer<Out>,
  filter: (message: NoInfer<In>) => boolean,
  options?: MultiplexOptions<NoInfer<In>, NoInfer<In>>,
): Observable<In>;
export function multiplex<In, Out>(
  // Typed by what it gives the callbacks (a socket made by fromWebSocket, checked here), so that their literals infer.
  socket: Pick<ReactiveWebSocket<In, Out>, 'message$' | 'send'>,
  subscribeMsg: (cursor: string | undefined) => Out,
  unsubscribeMsg: () => Out,
  filter: (message: In) => boolean,
  options?: MultiplexOptions<In, In>,
): Observable<In> {
  let channels = registry.get(socket) as unknown as Channels<In, Out> | undefined;
  if (!channels) {
    const internals = (socket as Partial<WithInternals<In, Out>> | null | undefined)?.[INTERNALS];
    if (typeof internals !== 'function') {
      throw new TypeError(
        typeof __RXWS_DEV__ == 'undefined' || __RXWS_DEV__
          ? 'multiplex: the first argument must be a socket made by fromWebSocket'
          : 'multiplex: not a socket',
      );
    }
    channels = createChannels(internals.call(socket), socket as ReactiveWebSocket<In, Out>);
    registry.set(socket, channels as unknown as Channels<unknown, unknown>);
  }
  if (typeof __RXWS_DEV__ == 'undefined' || __RXWS_DEV__) checkCall(subscribeMsg, unsubscribeMsg, filter, options);
  return channels(subscribeMsg, unsubscribeMsg, filter, options);
}

/**
 * Checks the arguments of a `multiplex` call (a plain-JS caller may leave one out): a programming error throws at the
 * call.
 */
function checkCall(subscribeMsg: unknown, unsubscribeMsg: unknown, filter: unknown, options: unknown): void {
  if (typeof subscribeMsg !== 'function') {
    throw new InvalidOptionError('multiplex.subscribeMsg', subscribeMsg, 'a function, the second argument');
  }
  if (typeof unsubscribeMsg !== 'function') {
    throw new InvalidOptionError('multiplex.unsubscribeMsg', unsubscribeMsg, 'a function, the third argument');
  }
  if (typeof filter !== 'function') {
    throw new InvalidOptionError(
      'multiplex.filter',
      filter,
      "a function, the fourth argument: it picks the channel's messages out of the socket's",
    );
  }
  if (options !== undefined) {
    if (typeof options !== 'object' || options === null) {
      throw new InvalidOptionError('multiplex.options', options, 'an object');
    }
    checkResume(options);
  }
}

/** The channels over one socket, reached through `host`. */
function createChannels<In, Out>(
  host: MultiplexHost<In, Out>,
  socket: Pick<ReactiveWebSocket<In, Out>, 'state$'>,
): Channels<In, Out> {
  const channels = new Map<string, Channel<In>>();
  return (
    subscribeMsg: (cursor: string | undefined) => Out,
    unsubscribeMsg: () => Out,
    filter: (message: In) => boolean,
    options?: MultiplexOptions<In, In>,
  ) =>
    new Observable<In>((subscriber) => {
      const given = options?.key;
      let first: { readonly message: Out } | undefined;
      let key: string;
      if (given === undefined) {
        const made = guard(subscribeMsg, undefined, subscribeError);
        const keyed = made instanceof Threw ? made : guard(keyOf, made, keyError);
        if (keyed instanceof Threw) {
          // A Blob with no key is a programming error, for the caller alone; what a callback threw is heard on error$.
          if (!(keyed.error instanceof InvalidOptionError)) host.report(keyed.error);
          subscriber.error(keyed.error);
          return;
        }
        first = { message: made as Out };
        key = keyed;
      } else key = `k${given}`;
      let joined: Channel<In>;
      /** Joins the channel running for the key, or a new one; called again for a member the channel carries over. */
      const join = (): void => {
        const running = channels.get(key);
        joined = running ?? open(key, subscribeMsg, unsubscribeMsg, filter, first, options);
        // Ended as it started (its first subscribe could not go, or the socket stopped meanwhile): as its members did.
        if (joined.final) return joined.final(subscriber);
        joined.members = [...joined.members, subscriber];
        // A channel ending with the socket's session (close() closes it, or it has closed): a subscriber of message$
        // that comes now holds the next one, and so does this member, through a channel made again as this one ends.
        // (On the connection of the moment: one that ended before this channel's next opened is not this session.)
        if (running && !running.carried && ending(socket)) {
          const on = host.current();
          (running.late ??= new Map()).set(subscriber, () => host.current() === on && (join(), true));
        }
      };
      join();
      return () => {
        const { members } = joined;
        if (!members.includes(subscriber)) return;
        joined.members = members.filter((member) => member !== subscriber);
        if (joined.members.length === 0) joined.stop();
      };
    });

  /**
   * A new channel: subscribed now (when open) and after every open, its messages handed to its members. `first` is the
   * subscribe message already made for the key. A channel that ended as it started says how in `final`.
   */
  function open(
    key: string,
    subscribeMsg: (cursor: string | undefined) => Out,
    unsubscribeMsg: () => Out,
    filter: (message: In) => boolean,
    first: { readonly message: Out } | undefined,
    options: MultiplexOptions<In, In> | undefined,
  ): Channel<In> {
    // Made while the socket's session ends: its hold on message$ is already for the next one.
    const channel: Channel<In> = { members: [], stop: () => undefined, carried: ending(socket) };
    // Only a resumable channel keeps cursors: a plain one's messages take the path without them.
    const resume = options?.cursorOf
      ? createResume(options as ResumeOptions<In, In>, (error) => host.report(error))
      : undefined;
    /** The socket the subscribe message last went to. */
    let subscribedOn: object | undefined;
    let stopped = false;
    /** Sends the subscribe message (the one `made` for the key, or a new one); what stops it (see `send`). */
    const subscribe = (made?: { readonly message: Out }): Problem => {
      const message = made ? made.message : guard(subscribeMsg, resume?.cursor(), subscribeError);
      if (message instanceof Threw) return message;
      // subscribeMsg may have let the channel go (nothing to subscribe, and nobody would unsubscribe it), or closed or
      // replaced the socket (the message would wait in the queue, and the next open subscribes the channel anyway).
      if (stopped || !host.isOpen()) return undefined;
      const sent = send(message, { key, op: 'subscribe', resumes: resume?.cursor() !== undefined });
      if (!sent) {
        subscribedOn = host.current();
        resume?.subscribed();
      }
      return sent;
    };
    /**
     * The channel ends, for every member; when the socket's streams ended (`carry`), those that came as its session
     * ended join the channel made again for the next one instead.
     */
    const end = (notify: (member: Subscriber<In>) => void, carry?: boolean): void => {
      const { members, late } = channel;
      channel.members = [];
      channel.final = notify;
      channel.stop();
      for (const member of members) {
        // A member that left meanwhile (from another's callback) is not carried anywhere.
        const carried = carry && !member.closed && late?.get(member);
        if (!(carried && carried())) notify(member);
      }
    };
    /**
     * A callback threw or a message could not be sent: heard on error$ (once: the socket reported a refused send
     * itself), then by every member; nothing is held.
     */
    const fail = (problem: Threw | RxWebSocketError): void => {
      const error = problem instanceof Threw ? problem.error : problem;
      if (problem instanceof Threw) host.report(error);
      end((member) => member.error(error));
    };
    channel.stop = () => {
      if (stopped) return;
      stopped = true;
      if (channels.get(key) === channel) channels.delete(key);
      const { opens, messages } = channel;
      opens?.unsubscribe();
      // Unsubscribing where the channel never subscribed, or from a socket that has ended or is not open, would be
      // a stale message. Whatever making or sending it does (neither throws), the channel's hold on the socket goes.
      let problem: Problem;
      if (host.isOpen() && subscribedOn !== undefined && subscribedOn === host.current() && !messages?.closed) {
        const message = call(unsubscribeMsg, 'multiplex.unsubscribeMsg');
        problem = message instanceof Threw ? message : send(message, { key, op: 'unsubscribe', resumes: false });
      }
      messages?.unsubscribe();
      if (problem instanceof Threw) host.report(problem.error);
    };
    // Registered before it subscribes to the socket, which may call the application (a state$ subscriber told
    // `connecting`): a call with the same key made from there joins this channel rather than starting another.
    channels.set(key, channel);
    channel.opens = host.open$.subscribe(() => {
      // Open: a later end of the session is this channel's own, for every member.
      channel.carried = false;
      channel.late = undefined;
      // An earlier open$ subscriber may have closed the socket or started another: nothing to subscribe on then.
      if (!host.isOpen()) return;
      const problem = subscribe();
      if (problem) fail(problem);
    });
    channel.messages = host.message$.subscribe({
      // A plain channel's message costs a filter call; a resumable one's, a cursorOf call and an array store more.
      next: (message) => {
        if (resume?.awaiting()) {
          const answered = resume.answer(message);
          if (answered) return fail(answered);
          // onResume may have let the channel go.
          if (stopped) return;
        }
        const accepted = guard(filter, message, filterError, FILTER);
        if (accepted instanceof Threw) return fail(accepted);
        const admitted = accepted && (!resume || resume.admit(message));
        if (admitted instanceof Threw) fail(admitted);
        else if (admitted) {
          // The members as they are now: one that joins or leaves meanwhile makes a new array.
          const { members } = channel;
          for (let i = 0; i < members.length; i++) members[i]!.next(message);
        }
      },
      error: (error: unknown) => end((member) => member.error(error), true),
      complete: () => end((member) => member.complete(), true),
    });
    // Not open when the socket stopped as the channel subscribed (a state$ subscriber closed it): the channel has ended.
    const problem = host.isOpen() ? subscribe(first) : undefined;
    if (problem) fail(problem);
    return channel;
  }

  /**
   * `host.send` (the socket is open): undefined once sent; the error it reported on error$ instead (the message could
   * not be encoded); or what it threw (that error when nobody listens on error$, or the socket's own) as a `Threw`. A
   * socket that counts channels (one shared across tabs) is told which channel frame goes through it.
   */
  function send(message: Out, frame: ChannelFrame): Problem {
    const socket = host.current() as Partial<ChannelFrameAware> | undefined;
    const tell = socket?.[CHANNEL_FRAME];
    tell?.call(socket, frame);
    try {
      return host.send(message);
    } catch (error) {
      return new Threw(error as RxWebSocketError);
    } finally {
      tell?.call(socket, undefined);
    }
  }
}

/** What stopped a message: a `Threw` for what nobody has heard yet, an error the socket reported itself on error$. */
type Problem = Threw | RxWebSocketError | undefined;

/** One channel: its subscribers, and how to stop it once the last has left. */
interface Channel<In> {
  members: readonly Subscriber<In>[];
  stop: () => void;
  /** Its subscriptions to `open$` and `message$` (the latter holds the socket open). */
  opens?: Subscription;
  messages?: Subscription;
  /** How it ended, for a subscriber that comes to it as it ends (one that started it). */
  final?: (member: Subscriber<In>) => void;
  /** Made while the socket's session ended: until it opens, it holds the next session, not the one ending. */
  carried: boolean;
  /**
   * Members that joined as the session it runs on ended, each with how it joins the channel made again: false, having
   * joined nothing, when that session is not the one ending now.
   */
  late?: Map<Subscriber<In>, () => boolean>;
}

/**
 * Whether the socket's session is ending: `close()` is closing it, or it has closed (from a callback of its end). Its
 * state, read by a subscription of a moment (`state$` only observes).
 */
function ending(socket: Pick<ReactiveWebSocket<unknown, unknown>, 'state$'>): boolean {
  let status: string | undefined;
  socket.state$.subscribe((state) => (status = state.status)).unsubscribe();
  return status === 'closing' || status === 'closed';
}

function wrapper(hook: CallbackHook): (cause: unknown) => RxWebSocketError {
  return (cause) => new CallbackError(hook, cause);
}

// Made once: the per-message path allocates nothing unless a callback throws.
const subscribeError = /* @__PURE__ */ wrapper('multiplex.subscribeMsg');
const filterError = /* @__PURE__ */ wrapper('multiplex.filter');

/** What the key computation threw: a Blob's own error as it is, anything else as a `CallbackError`. */
function keyError(cause: unknown): RxWebSocketError {
  return cause instanceof InvalidOptionError ? cause : new CallbackError('multiplex.key', cause);
}

function call<R>(make: () => R, hook: CallbackHook): R | Threw {
  return guard(make, undefined, wrapper(hook));
}

/**
 * The default key of a subscribe message, in a space of its own per kind so that no two kinds meet: a string by
 * itself, binary data by its bytes, anything else by its JSON with binary data inside it by its bytes. Throws for a
 * `Blob`, whose bytes cannot be read synchronously, and whatever `JSON.stringify` throws (a cycle, a BigInt).
 */
function keyOf(message: unknown): string {
  if (typeof message === 'string') return `s${message}`;
  const bytes = bytesOf(message);
  return bytes === undefined ? `j${JSON.stringify(message, binaryAsBytes)}` : `b${bytes}`;
}

function binaryAsBytes(this: unknown, _name: string, value: unknown): unknown {
  const bytes = bytesOf(value);
  return bytes === undefined ? value : { '\u0000bytes': bytes };
}

/** The bytes of an ArrayBuffer or view as a string of char codes 0-255; undefined for anything else. */
function bytesOf(value: unknown): string | undefined {
  let bytes: Uint8Array;
  if (isArrayBuffer(value)) bytes = new Uint8Array(value);
  else if (ArrayBuffer.isView(value)) bytes = new Uint8Array(value.buffer, value.byteOffset, value.byteLength);
  else {
    if (typeof Blob !== 'undefined' && value instanceof Blob) {
      throw new InvalidOptionError(
        'multiplex.key',
        undefined,
        'a Blob subscribe message cannot be read synchronously: give the channel a key',
      );
    }
    return undefined;
  }
  let text = '';
  for (let i = 0; i < bytes.length; i += 4096) {
    text += String.fromCharCode(...bytes.subarray(i, i + 4096));
  }
  return text;
}
