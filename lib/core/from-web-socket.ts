import { asyncScheduler, Observable, Subject, type Subscriber, type Subscription, type TeardownLogic } from 'rxjs';
import { assertValidClose } from '../reconnect/close-codes';
import type { NativeMessageEvent } from './connection';
import {
  EncodeError,
  MessageNotSentError,
  SendQueueOverflowError,
  type MessageNotSentReason,
  type RxWebSocketError,
} from './errors';
import type { Threw } from './guard';
import type { CloseInfo, OpenInfo, WebSocketData, WebSocketMessageEvent, WebSocketPayload } from './events';
import { assertBinaryType, resolveOptions, type ResolvedOptions, type WebSocketOptions } from './options';
import { describeNonPayload, isPayload } from './payload';
import { INTERNALS, type SocketInternals, type WithInternals } from './internals';
import { BoundedQueue, resolveSendQueueLimits, type Entry, type SendQueueLimits } from './send-queue';
import { Session, type SessionHost } from './session';
import type { Source } from './source';
import type { ClosedState, ConnectionState } from './state';
import { normalizeUrl, type UrlInput } from './url';
import { CLOSED, OPEN, type WebSocketLike } from './web-socket-like';

/** Sub-protocols to offer: one, several, or a function giving them before every attempt. */
export type ProtocolsInput = Source<string | readonly string[]>;

/** A WebSocket as RxJS streams, kept connected. See `fromWebSocket`. */
export interface ReactiveWebSocket<In, Out> {
  /**
   * Each open, reconnections included. Observes: subscribing neither opens nor holds the connection, and it never
   * completes (it reports every later connection too).
   */
  readonly open$: Observable<OpenInfo>;
  /**
   * Decoded messages, across reconnections. Holds the connection: the first subscriber opens it, the last one to leave
   * closes it. Completes when the connection stops with a 1000 close, errors with the reason when it stops for good
   * otherwise.
   */
  readonly message$: Observable<In>;
  /**
   * Each whole message event: `data`, `origin`, `lastEventId`, `source`, `ports`; every message, those the deserializer
   * rejects included (each is decoded whoever listens, so that decode errors never depend on who does). Holds the
   * connection and ends like `message$`.
   */
  readonly messageEvent$: Observable<WebSocketMessageEvent>;
  /**
   * Each close, retried ones included. Observes: subscribing neither opens nor holds the connection, and it never
   * completes (it reports every later connection too).
   */
  readonly close$: Observable<CloseInfo>;
  /**
   * Each error: transport, decode, encode, queue overflow, failed attempts, what an application callback threw (as
   * `CallbackError`, `EncodeError` or `DecodeError`, the original as `cause`). Reporting never tears
   * the connection down. Observes: subscribing neither opens nor holds the connection, and it never completes.
   */
  readonly error$: Observable<RxWebSocketError>;
  /**
   * The current state first, then each change. Observes: subscribing neither opens nor holds the connection, and it
   * never completes.
   */
  readonly state$: Observable<ConnectionState>;
  /** `next` sends now when open, else queues; `complete` flushes and then closes with 1000. */
  readonly send$: Subject<Out>;
  /** The same as `send$.next(value)`. */
  send(value: Out): void;
  /**
   * Closes with `code` (1000 or 3000–4999) and `reason` (at most 123 UTF-8 bytes), and stops reconnecting; the
   * closing handshake is bounded by `closeTimeoutMs`. The streams complete once the close event arrives. A socket
   * closing already (the server's close frame read) is not closed again: its close, with the server's code, is
   * waited for the same way and reported on `close$` and in the `closed` state. Messages still waiting in the send
   * queue are not sent: `close()` returns them (empty when there are none) and reports them on `error$` as a
   * `MessageNotSentError` (`reason: 'close-called'`). It never throws for them; it throws `InvalidCloseCodeError` /
   * `InvalidCloseReasonError` for an invalid code or reason, and then closes nothing. A stream subscribed while it
   * closes (or from a callback of the close) gets a new connection once this one has closed.
   */
  close(code?: number, reason?: string): readonly Out[];
  /** Drops the current socket and connects again now, with the backoff reset. */
  reconnect(): void;
  /** Holds the connection open (opening it if needed) without consuming anything; unsubscribe to let go. */
  connect(): Subscription;
  /** The current (or last) socket's absolute URL; before any, the configured URL when it is a plain value. */
  readonly url: string;
  /** The sub-protocol the server selected for the current (or last) socket; '' before any, or when none. */
  readonly protocol: string;
  /** The extensions the server selected for the current (or last) socket; '' before any, or when none. */
  readonly extensions: string;
  /** The current (or last) socket's ready state ({@link CONNECTING}, {@link OPEN}, {@link CLOSING}, {@link CLOSED}); `CLOSED` before any. */
  readonly readyState: number;
  /** Bytes the socket has not yet sent, plus bytes waiting in the send queue. */
  readonly bufferedAmount: number;
  /** How binary messages arrive; setting it applies to the current socket and every later one. */
  binaryType: 'arraybuffer' | 'blob';
}

/**
 * Opens a WebSocket as typed RxJS streams that keep themselves connected.
 *
 * The socket opens lazily, when the first of `message$`, `messageEvent$`, `connect()` or a channel is subscribed,
 * and is shared by all of them; it closes with 1000 when the last one unsubscribes (after `lingerMs`), `state$`
 * showing `closing` and then `closed` with that close. `open$`, `close$`, `error$` and `state$` only observe: they
 * never open or hold the connection, and they report every connection for the socket object's whole life.
 *
 * @example
 * const socket = fromWebSocket<Tick, Command>('wss://feed.example/ws', ['v2.feed'], json());
 * socket.message$.subscribe(render);
 * socket.send({ subscribe: 'BTC' });
 */
export function fromWebSocket<In = WebSocketData, Out = WebSocketPayload>(
  url: Source<UrlInput>,
  options?: WebSocketOptions<In, Out>,
): ReactiveWebSocket<In, Out>;
export function fromWebSocket<In = WebSocketData, Out = WebSocketPayload>(
  url: Source<UrlInput>,
  protocols: ProtocolsInput | undefined,
  options?: WebSocketOptions<In, Out>,
): ReactiveWebSocket<In, Out>;
export function fromWebSocket<In, Out>(
  url: Source<UrlInput>,
  protocolsOrOptions?: ProtocolsInput | WebSocketOptions<In, Out>,
  maybeOptions?: WebSocketOptions<In, Out>,
): ReactiveWebSocket<In, Out> {
  // Options in third place mean protocols in second, even `undefined` ones.
  const protocolsGiven =
    maybeOptions !== undefined ||
    typeof protocolsOrOptions === 'string' ||
    typeof protocolsOrOptions === 'function' ||
    Array.isArray(protocolsOrOptions);
  const options = resolveOptions<In, Out>(
    (protocolsGiven ? maybeOptions : protocolsOrOptions) as WebSocketOptions<In, Out> | undefined,
  );
  return new ReactiveSocket<In, Out>(
    url,
    (protocolsGiven ? protocolsOrOptions : undefined) as ProtocolsInput | undefined,
    options,
    resolveSendQueueLimits(options.sendQueue),
  );
}

// What each subscriber of the socket listens to. Kept in one list, in the order they subscribed.
// The data streams hold the connection open and end with it:
const MESSAGES = 0;
const MESSAGE_EVENTS = 1;
/** `connect()`: holds the connection open, hears nothing. */
const HOLDS = 2;
// The event streams, from PASSIVE on, observe: they neither open nor hold the connection, and span the socket
// object's life (they do not end with a connection), so that logging never keeps a socket alive.
const OPENS = 3;
const CLOSES = 4;
const ERRORS = 5;
/** `state$`: gets the current state first. */
const STATES = 6;
const PASSIVE = OPENS;
type Kind =
  typeof OPENS | typeof MESSAGES | typeof MESSAGE_EVENTS | typeof CLOSES | typeof ERRORS | typeof STATES | typeof HOLDS;

const IDLE: ConnectionState = { status: 'idle' };
const NOBODY: readonly Member[] = [];
const NOTHING_UNSENT: readonly never[] = Object.freeze([]);

/** The error that reports these entries unsent, each marked with it for a request waiting on one of them. */
function unsentError<Out>(
  entries: readonly Entry<Out>[],
  reason: MessageNotSentReason,
  cause?: unknown,
): MessageNotSentError<Out> {
  const error = new MessageNotSentError(
    entries.map((entry) => entry.value),
    reason,
    cause,
  );
  for (const entry of entries) entry.unsent = error;
  return error;
}

/** One subscriber of one public stream; RxJS calls `unsubscribe` when it leaves. @internal */
class Member {
  /** For `state$`: the number of the last state it was given (states are numbered from 1 as they happen). */
  seen = 0;
  constructor(
    readonly owner: ReactiveSocket<unknown, unknown>,
    readonly kind: Kind,
    readonly subscriber: Subscriber<never>,
    /** When it joined: the socket's join count, this one included. */
    readonly joined: number,
  ) {}
  unsubscribe(): void {
    this.owner.leave(this);
  }
}

/**
 * A public stream of the socket. It subclasses Observable the way RxJS's own Subjects do, so that each stream is
 * one small object rather than an Observable plus a closure.
 */
class Lane<T> extends Observable<T> {
  constructor(
    private readonly owner: ReactiveSocket<unknown, unknown>,
    private readonly kind: Kind,
  ) {
    super();
  }
  /** Called by `Observable.subscribe` for each new subscriber. */
  protected _subscribe(subscriber: Subscriber<T>): TeardownLogic {
    return this.owner.join(this.kind, subscriber);
  }
}

/**
 * What `fromWebSocket` returns. One object per socket, its methods on the prototype; the public streams are made on
 * first access and the send queue on first use, so that an idle connection costs little beyond the socket itself.
 * The running `Session` calls back into it (`SessionHost`), and it hands each event to its members directly.
 */
class ReactiveSocket<In, Out> implements ReactiveWebSocket<In, Out>, SessionHost<In>, WithInternals<In, Out> {
  private members: readonly Member[] = NOBODY;
  /** Members that hold the connection open (every kind but `state$`). */
  private holders = 0;
  private session: Session<In> | undefined;
  private linger: Subscription | undefined;
  private socket: WebSocketLike | undefined;
  private queue: BoundedQueue<Out> | undefined;
  private closeWhenFlushed = false;
  /** The last holder left and the session is closing for it: a send waits in the queue for the next connection. */
  private stopping = false;
  /** Members that ever joined; each member's `joined` is this count when it did. */
  private joins = 0;
  // Where the running session's end began, as join counts: a member that joins from then on (from a callback of the
  // close, of the error that ends it, or of the closed state) does not end with it but holds the next session.
  /** When the session started closing (`close()`, or the last holder leaving). */
  private closingMark = Infinity;
  /** The last close reported on `close$`, and when. */
  private lastClose: CloseInfo | undefined;
  private closeMark = Infinity;
  /** The last error reported on `error$` by the session, and when. */
  private lastError: RxWebSocketError | undefined;
  private errorMark = Infinity;
  /** Members that joined after this count are carried over to the next session when this one ends. */
  private endMark = Infinity;
  /** How many states there have been; each `state$` member's `seen` counts up to it. */
  private stateCount = 0;
  /** Whether `open$` has announced the current socket (multiplex channels subscribe at once only then). */
  private announced = false;
  private state: ConnectionState = IDLE;
  /** While state$ subscribers are being told of a change: the changes still to tell them, in order. */
  private pendingStates: ConnectionState[] | undefined;
  private currentBinaryType: 'arraybuffer' | 'blob';
  // Made on first access.
  private opens: Lane<OpenInfo> | undefined;
  private messages: Lane<In> | undefined;
  private messageEvents: Lane<WebSocketMessageEvent> | undefined;
  private closes: Lane<CloseInfo> | undefined;
  private errors: Lane<RxWebSocketError> | undefined;
  private states: Lane<ConnectionState> | undefined;
  private sendSubject: SendSubject<Out> | undefined;

  constructor(
    readonly urlSource: Source<UrlInput>,
    readonly protocolsSource: ProtocolsInput | undefined,
    readonly options: ResolvedOptions<In, Out>,
    private readonly limits: SendQueueLimits,
  ) {
    this.currentBinaryType = options.binaryType;
  }

  get open$(): Observable<OpenInfo> {
    return (this.opens ??= this.lane(OPENS));
  }
  get message$(): Observable<In> {
    return (this.messages ??= this.lane(MESSAGES));
  }
  get messageEvent$(): Observable<WebSocketMessageEvent> {
    return (this.messageEvents ??= this.lane(MESSAGE_EVENTS));
  }
  get close$(): Observable<CloseInfo> {
    return (this.closes ??= this.lane(CLOSES));
  }
  get error$(): Observable<RxWebSocketError> {
    return (this.errors ??= this.lane(ERRORS));
  }
  get state$(): Observable<ConnectionState> {
    return (this.states ??= this.lane(STATES));
  }
  get send$(): Subject<Out> {
    return (this.sendSubject ??= new SendSubject<Out>(this));
  }
  /** @internal What the opt-in features (`multiplex`) reach through a non-enumerable, symbol-keyed method. */
  [INTERNALS](): SocketInternals<In, Out> {
    return {
      message$: this.message$,
      open$: this.open$,
      send: (value) => this.send(value),
      report: (error) => this.reportError(error),
      current: () => this.socket,
      queue: () => this.queue,
      // Announced on open$ and still open: before that, open$ is about to subscribe the channel; after the socket
      // starts closing, a message would wait in the queue and reach the next connection along with open$'s own.
      isOpen: () => this.announced && this.socket?.readyState === OPEN,
    };
  }

  /** Returns what it reported on `error$` instead of sending (read by the features through their internal `send`). */
  send(value: Out): RxWebSocketError | undefined {
    const { serializer } = this.options;
    let payload: unknown = value;
    if (serializer) {
      try {
        payload = serializer(value);
      } catch (cause) {
        return this.report(new EncodeError(value, cause));
      }
    }
    if (!isPayload(payload)) {
      // Worded in full outside the production browser build.
      const why =
        typeof __RXWS_DEV__ == 'undefined' || __RXWS_DEV__
          ? `${serializer ? 'the serializer returned' : 'without a serializer, send was given'} ${describeNonPayload(payload)}, not a string, ArrayBuffer, Blob or ArrayBufferView`
          : 'payload';
      return this.report(new EncodeError(value, new TypeError(why)));
    }
    const socket = this.openSocket();
    if (socket) {
      socket.send(payload);
      return;
    }
    return this.enqueue(payload, value);
  }
  close(code?: number, reason?: string): readonly Out[] {
    assertValidClose(code, reason);
    // A close supersedes a flush-then-close asked for by completing send$, and a stop: what is sent from now on while
    // it closes is not queued for a later connection.
    this.closeWhenFlushed = this.stopping = false;
    const { session } = this;
    const unsent = this.queue?.size ? unsentError(this.queue.drain(), 'close-called') : undefined;
    // Reported before the close starts; an error$ subscriber may close (or subscribe again) meanwhile.
    if (unsent) this.reportError(unsent);
    // A session that a callback ended or replaced meanwhile is left as it is: the one closed is the one there was.
    if (session && session === this.session) session.close(code ?? 1000, reason);
    return unsent ? unsent.messages : NOTHING_UNSENT;
  }
  reconnect(): void {
    this.session?.reconnect();
  }
  connect(): Subscription {
    return this.lane(HOLDS).subscribe();
  }

  get url(): string {
    const { socket, urlSource } = this;
    if (socket) return socket.url;
    try {
      return typeof urlSource === 'function' ? '' : normalizeUrl(urlSource);
    } catch {
      return '';
    }
  }
  get protocol(): string {
    return this.socket?.protocol ?? '';
  }
  get extensions(): string {
    return this.socket?.extensions ?? '';
  }
  get readyState(): number {
    return this.socket?.readyState ?? CLOSED;
  }
  get bufferedAmount(): number {
    return (this.socket?.bufferedAmount ?? 0) + (this.queue?.bytes ?? 0);
  }
  get binaryType(): 'arraybuffer' | 'blob' {
    return this.currentBinaryType;
  }
  set binaryType(next: 'arraybuffer' | 'blob') {
    assertBinaryType(next);
    this.currentBinaryType = next;
    if (this.socket) this.socket.binaryType = next;
  }

  /**
   * @internal A new subscriber: the first one that holds the connection starts a session. One that joins while the
   * session ends (closing, or from a callback of its last close, error or state) holds the next session instead.
   */
  join(kind: Kind, subscriber: Subscriber<never>): Member {
    const member = new Member(this as ReactiveSocket<unknown, unknown>, kind, subscriber, ++this.joins);
    this.members = [...this.members, member];
    if (kind === STATES) {
      // The current state: during a change that a state$ subscriber made, the changes still to tell are older ones.
      member.seen = this.stateCount;
      subscriber.next(this.state as never);
    }
    if (kind >= PASSIVE) return member;
    this.holders++;
    this.linger?.unsubscribe();
    this.linger = undefined;
    if (!this.session) this.startSession();
    return member;
  }

  /** @internal A subscriber left: after the last one that holds the connection (and `lingerMs`), it closes. */
  leave(member: Member): void {
    const { members } = this;
    if (!members.includes(member)) return;
    this.members = members.filter((other) => other !== member);
    if (member.kind >= PASSIVE || --this.holders > 0 || !this.session) return;
    const { lingerMs } = this.options;
    if (lingerMs > 0) this.linger = asyncScheduler.schedule(() => this.stop(), lingerMs);
    else this.stop();
  }

  /** The last holder left: close with 1000, the states showing it; a subscriber that joins meanwhile gets a new session. */
  private stop(): void {
    this.linger = undefined;
    if (!this.session) return;
    this.stopping = true;
    this.session.dispose();
  }

  private startSession(): void {
    // Held before it starts: its first state change may reach a subscriber that subscribes or closes at once.
    this.session = new Session<In>(this);
    this.session.start();
  }

  private lane<T>(kind: Kind): Lane<T> {
    return new Lane<T>(this as ReactiveSocket<unknown, unknown>, kind);
  }

  private emit(kind: Kind, value: unknown): void {
    for (const member of this.members) if (member.kind === kind) member.subscriber.next(value as never);
  }

  /** Not open: into the queue, as a copy (apart from `send`, whose open path stays small). */
  private enqueue(payload: WebSocketPayload, value: Out): RxWebSocketError | undefined {
    // The client is closing this connection: a message queued now would reach a later, unrelated one. (Not when the
    // last subscriber left: then it waits for the next one, as it does once closed.)
    if (this.state.status === 'closing' && !this.stopping) {
      return this.report(new MessageNotSentError([value], 'sent-while-closing'));
    }
    let queued: boolean;
    try {
      queued = (this.queue ??= new BoundedQueue<Out>(this.limits)).offer(payload, value);
    } catch (cause) {
      // The queue copies binary payloads: a detached buffer has nothing left to copy, nor to send.
      return this.report(new EncodeError(value, cause));
    }
    if (!queued) {
      const overflow = new SendQueueOverflowError(value, this.limits);
      if (this.limits.overflow === 'throw') throw overflow;
      return this.report(overflow);
    }
  }

  /**
   * The socket when it is open and may be sent to now, with what waits in the queue sent first: a state$ subscriber
   * told of the open runs before the open's own flush.
   */
  private openSocket(): WebSocketLike | undefined {
    const { socket } = this;
    if (socket === undefined || this.state.status !== 'open' || socket.readyState !== OPEN) return undefined;
    if (this.queue?.size) this.flush(socket);
    return socket;
  }

  /**
   * Sends what waits in the queue, in order. A message the socket throws on is reported, not thrown (this runs in the
   * socket's open handler), and the rest still go.
   */
  private flush(socket: WebSocketLike): void {
    if (!this.queue?.size) return;
    let failed: Entry<Out>[] | undefined;
    let cause: unknown;
    for (const entry of this.queue.drain()) {
      try {
        socket.send(entry.payload);
      } catch (error) {
        if (!failed) cause = error;
        (failed ??= []).push(entry);
      }
    }
    if (failed) this.emit(ERRORS, unsentError(failed, 'send-threw', cause));
  }

  /** `send$` completed or errored: close with 1000 once what is queued has gone out. */
  finishSending(): void {
    if (this.openSocket()) this.close(1000);
    else this.closeWhenFlushed = true;
  }

  /** An error of the send path: on `error$` (and returned), or thrown to the caller when nobody listens there. */
  private report(error: RxWebSocketError): RxWebSocketError {
    if (!this.reportError(error)) throw error;
    return error;
  }

  // SessionHost: what the running session calls.

  /** @internal */
  setState(state: ConnectionState): void {
    this.state = state;
    const number = ++this.stateCount;
    if (state.status !== 'open') this.announced = false;
    if (state.status === 'closing') this.closingMark = Math.min(this.closingMark, this.joins);
    if (state.status === 'closed') {
      // send$.complete() asked the session that just ended to close after its flush; the next one is a new start.
      this.closeWhenFlushed = false;
      // The session ends from its first event that said so: closing, or the close or error it ends with.
      this.endMark = Math.min(
        this.closingMark,
        state.close !== undefined && state.close === this.lastClose ? this.closeMark : Infinity,
        'error' in state && state.error === this.lastError ? this.errorMark : Infinity,
        this.joins,
      );
    }
    // A change made by a state$ subscriber waits until every subscriber has had the one before it, so that all of
    // them see the states in the order they happened, and end on the current one. A subscriber that joins meanwhile
    // is given the current state at once, and only the states after it.
    if (this.pendingStates) {
      this.pendingStates.push(state);
      return;
    }
    const pending = (this.pendingStates = [state]);
    try {
      for (let i = 0; i < pending.length; i++) {
        const n = number + i;
        for (const member of this.members) {
          if (member.kind !== STATES || member.seen >= n) continue;
          member.seen = n;
          member.subscriber.next(pending[i] as never);
        }
      }
    } finally {
      this.pendingStates = undefined;
    }
  }
  /** @internal */
  setSocket(socket: WebSocketLike): void {
    this.socket = socket;
  }
  /** @internal */
  opened(socket: WebSocketLike): void {
    this.flush(socket);
    if (this.closeWhenFlushed) {
      this.closeWhenFlushed = false;
      this.session?.close(1000, undefined);
    }
  }
  /**
   * @internal Each message, handed to the subscribers of `message$` and `messageEvent$` directly; to those of
   * `messageEvent$` only when the deserializer failed (`decoded` false: `value` is then its {@link Threw}).
   */
  message(value: In | Threw, event: NativeMessageEvent, decoded: boolean): void {
    let messageEvent: WebSocketMessageEvent | undefined;
    // The list as it is now: a member that joins or leaves meanwhile makes a new one.
    const { members } = this;
    for (let i = 0; i < members.length; i++) {
      const member = members[i]!;
      if (member.kind === MESSAGES) {
        if (decoded) member.subscriber.next(value as never);
      } else if (member.kind === MESSAGE_EVENTS)
        member.subscriber.next((messageEvent ??= toMessageEvent(event)) as never);
    }
  }
  /** @internal */
  emitOpen(info: OpenInfo): void {
    this.announced = true;
    this.emit(OPENS, info);
  }
  /** @internal */
  emitClose(close: CloseInfo): void {
    this.lastClose = close;
    this.closeMark = this.joins;
    this.emit(CLOSES, close);
  }
  /** @internal Emits `error` on `error$`; false when nobody listens there. */
  reportError(error: RxWebSocketError): boolean {
    if (!this.members.some((member) => member.kind === ERRORS)) return false;
    this.emit(ERRORS, error);
    return true;
  }
  /** @internal */
  emitError(error: RxWebSocketError): void {
    this.lastError = error;
    this.errorMark = this.joins;
    this.emit(ERRORS, error);
  }
  /**
   * @internal The session is over: every stream but `state$` ends (`message$` and `messageEvent$` with the error when
   * it failed); the next subscriber starts a new session. Subscribers that joined while it ended are not ended with
   * it: they hold a new session, started once the others have been told.
   */
  ended(last: ClosedState): void {
    const { members, endMark } = this;
    const failed = 'error' in last;
    this.linger?.unsubscribe();
    this.linger = this.session = this.lastClose = this.lastError = undefined;
    this.stopping = false;
    this.closingMark = this.closeMark = this.errorMark = this.endMark = Infinity;
    const kept = members.filter((member) => member.kind >= PASSIVE || member.joined > endMark);
    this.members = kept;
    this.holders = kept.reduce((count, member) => (member.kind >= PASSIVE ? count : count + 1), 0);
    for (const { kind, subscriber, joined } of members) {
      if (kind >= PASSIVE || joined > endMark) continue;
      if (failed && (kind === MESSAGES || kind === MESSAGE_EVENTS)) subscriber.error(last.error);
      else subscriber.complete();
    }
    if (this.holders > 0 && !this.session) this.startSession();
  }
}

/** `send$`: a Subject whose `next` sends synchronously, so that a `'throw'` overflow reaches the caller. */
class SendSubject<Out> extends Subject<Out> {
  constructor(private readonly owner: ReactiveSocket<unknown, Out>) {
    super();
  }
  // A stopped Subject ignores next, complete and error; so does this one (`send()` still works).
  override next(value: Out): void {
    if (this.isStopped) return;
    this.owner.send(value);
    super.next(value);
  }
  override complete(): void {
    if (this.isStopped) return;
    this.owner.finishSending();
    super.complete();
  }
  override error(error: unknown): void {
    if (this.isStopped) return;
    this.owner.finishSending();
    super.error(error);
  }
}

interface PartialMessageEvent {
  readonly data: unknown;
  readonly origin?: string;
  readonly lastEventId?: string;
  readonly source?: unknown;
  readonly ports?: readonly unknown[];
}

/** The browser's event is complete as it is; `ws` gives only `data`, so fill in what the browser would. */
function toMessageEvent(event: unknown): WebSocketMessageEvent {
  const { data, origin = '', lastEventId = '', source = null, ports = [] } = event as PartialMessageEvent;
  return { data: data as WebSocketData, origin, lastEventId, source, ports };
}
