import { asyncScheduler, Observable, Subject, type Subscriber, type Subscription, type TeardownLogic } from 'rxjs';
import { assertValidClose } from '../reconnect/close-codes';
import type { NativeMessageEvent } from './connection';
import { EncodeError, MessageNotSentError, SendQueueOverflowError } from './errors';
import { Threw } from './guard';
import type { CloseInfo, OpenInfo, WebSocketData, WebSocketMessageEvent, WebSocketPayload } from './events';
import { assertBinaryType, resolveOptions, type ResolvedOptions, type WebSocketOptions } from './options';
import { describeNonPayload, isPayload } from './payload';
import { createMultiplex, type Multiplex } from '../features/multiplex/multiplex';
import { BoundedQueue, resolveSendQueueLimits, type SendQueueLimits } from './send-queue';
import { Session, type SessionHost } from './session';
import type { Source } from './source';
import type { ClosedState, ConnectionState } from './state';
import { normalizeUrl, type UrlInput } from './url';
import { CLOSED, OPEN, type WebSocketLike } from './web-socket-like';

/** Sub-protocols to offer: one, several, or a function giving them before every attempt. */
export type ProtocolsInput = Source<string | readonly string[]>;

/** A WebSocket as RxJS streams, kept connected. See `fromWebSocket`. */
export interface ReactiveWebSocket<In, Out> {
  /** Each open, reconnections included. */
  readonly open$: Observable<OpenInfo>;
  /** Decoded messages, across reconnections. Errors with the reason when the connection stops for good (other than a 1000 close). */
  readonly message$: Observable<In>;
  /**
   * Each whole message event: `data`, `origin`, `lastEventId`, `source`, `ports`; every message, those the deserializer
   * rejects included (each is decoded whoever listens, so that decode errors never depend on who does). Ends like
   * `message$`.
   */
  readonly messageEvent$: Observable<WebSocketMessageEvent>;
  /** Each close, retried ones included. */
  readonly close$: Observable<CloseInfo>;
  /** Each error: transport, decode, encode, queue overflow, failed attempts. Reporting never tears the connection down. */
  readonly error$: Observable<unknown>;
  /** The current state first, then each change. Subscribing does not connect. */
  readonly state$: Observable<ConnectionState>;
  /** `next` sends now when open, else queues; `complete` flushes and then closes with 1000. */
  readonly send$: Subject<Out>;
  /** The same as `send$.next(value)`. */
  send(value: Out): void;
  /**
   * Closes with `code` (1000 or 3000–4999) and `reason` (at most 123 UTF-8 bytes), and stops reconnecting.
   * Throws `InvalidCloseCodeError` / `InvalidCloseReasonError` otherwise. The streams complete once the close event arrives.
   * Messages still queued are not sent: they are reported on `error$` as a `MessageNotSentError`, which `close()`
   * throws instead, once the close is under way, when nobody listens on `error$`.
   */
  close(code?: number, reason?: string): void;
  /** Drops the current socket and connects again now, with the backoff reset. */
  reconnect(): void;
  /**
   * A channel over the shared socket: sends `subscribeMsg()` when its first subscriber arrives and after
   * every reconnection, `unsubscribeMsg()` when the last one leaves, and emits the messages `filter` accepts.
   * Channels with the same key (by default the subscribe message's JSON) are shared.
   */
  readonly multiplex: Multiplex<In, Out>;
  /** Holds the connection open without consuming anything; unsubscribe to let go. */
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
 * The socket opens lazily, when the first of `open$`, `message$`, `messageEvent$`, `close$`, `error$`
 * is subscribed (or `connect()` called), and is shared by all of them; it closes with 1000 when the
 * last one unsubscribes (after `lingerMs`).
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
const OPENS = 0;
const MESSAGES = 1;
const MESSAGE_EVENTS = 2;
const CLOSES = 3;
const ERRORS = 4;
/** `state$`: gets the current state first, and neither holds the connection open nor ends with it. */
const STATES = 5;
/** `connect()`: holds the connection open, hears nothing. */
const HOLDS = 6;
type Kind =
  typeof OPENS | typeof MESSAGES | typeof MESSAGE_EVENTS | typeof CLOSES | typeof ERRORS | typeof STATES | typeof HOLDS;

const IDLE: ConnectionState = { status: 'idle' };
const NOBODY: readonly Member[] = [];

/** One subscriber of one public stream; RxJS calls `unsubscribe` when it leaves. */
class Member {
  constructor(
    readonly owner: ReactiveSocket<unknown, unknown>,
    readonly kind: Kind,
    readonly subscriber: Subscriber<never>,
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
class ReactiveSocket<In, Out> implements ReactiveWebSocket<In, Out>, SessionHost<In> {
  private members: readonly Member[] = NOBODY;
  /** Members that hold the connection open (every kind but `state$`). */
  private holders = 0;
  private session: Session<In> | undefined;
  private linger: Subscription | undefined;
  private socket: WebSocketLike | undefined;
  private queue: BoundedQueue<Out> | undefined;
  private closeWhenFlushed = false;
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
  private errors: Lane<unknown> | undefined;
  private states: Lane<ConnectionState> | undefined;
  private sendSubject: SendSubject<Out> | undefined;
  private channels: Multiplex<In, Out> | undefined;

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
  get error$(): Observable<unknown> {
    return (this.errors ??= this.lane(ERRORS));
  }
  get state$(): Observable<ConnectionState> {
    return (this.states ??= this.lane(STATES));
  }
  get send$(): Subject<Out> {
    return (this.sendSubject ??= new SendSubject<Out>(this));
  }
  get multiplex(): Multiplex<In, Out> {
    return (this.channels ??= createMultiplex<In, Out>({
      message$: this.message$,
      open$: this.open$,
      send: (value) => this.send(value),
      // Announced on open$ and still open: before that, open$ is about to subscribe the channel; after the socket
      // starts closing, a message would wait in the queue and reach the next connection along with open$'s own.
      isOpen: () => this.announced && this.socket?.readyState === OPEN,
    }));
  }

  send(value: Out): void {
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
      const what = describeNonPayload(payload);
      const hint = serializer ? 'the serializer returned' : 'without a serializer, send was given';
      return this.report(
        new EncodeError(value, new TypeError(`${hint} ${what}, not a string, ArrayBuffer, Blob or ArrayBufferView`)),
      );
    }
    const socket = this.openSocket();
    if (socket) {
      socket.send(payload);
      return;
    }
    // The client is closing this connection: a message queued now would reach a later, unrelated one.
    if (this.state.status === 'closing') return this.report(new MessageNotSentError([value]));
    if (!(this.queue ??= new BoundedQueue<Out>(this.limits)).offer(payload, value)) {
      const overflow = new SendQueueOverflowError(value, this.limits);
      if (this.limits.overflow === 'throw') throw overflow;
      this.report(overflow);
    }
  }
  close(code?: number, reason?: string): void {
    assertValidClose(code, reason);
    // A close supersedes a flush-then-close asked for by completing send$.
    this.closeWhenFlushed = false;
    let unheard: MessageNotSentError | undefined;
    if (this.session) unheard = this.session.close(code ?? 1000, reason);
    else if (this.queue?.size) {
      const error = new MessageNotSentError(this.takeUnsent());
      if (!this.reportError(error)) unheard = error;
    }
    if (unheard) throw unheard;
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

  /** @internal A new subscriber: the first one that holds the connection starts a session. */
  join(kind: Kind, subscriber: Subscriber<never>): Member {
    const member = new Member(this as ReactiveSocket<unknown, unknown>, kind, subscriber);
    this.members = [...this.members, member];
    if (kind === STATES) {
      subscriber.next(this.state as never);
      return member;
    }
    this.holders++;
    this.linger?.unsubscribe();
    this.linger = undefined;
    if (!this.session) {
      // Held before it starts: its first state change may reach a subscriber that subscribes or closes at once.
      this.session = new Session<In>(this);
      this.session.start();
    }
    return member;
  }

  /** @internal A subscriber left: after the last one that holds the connection (and `lingerMs`), it closes. */
  leave(member: Member): void {
    const { members } = this;
    if (!members.includes(member)) return;
    this.members = members.filter((other) => other !== member);
    if (member.kind === STATES || --this.holders > 0 || !this.session) return;
    const { lingerMs } = this.options;
    if (lingerMs > 0) this.linger = asyncScheduler.schedule(() => this.stop(), lingerMs);
    else this.stop();
  }

  private stop(): void {
    const { session } = this;
    this.linger = this.session = undefined;
    session?.dispose();
  }

  private lane<T>(kind: Kind): Lane<T> {
    return new Lane<T>(this as ReactiveSocket<unknown, unknown>, kind);
  }

  private emit(kind: Kind, value: unknown): void {
    for (const member of this.members) if (member.kind === kind) member.subscriber.next(value as never);
  }

  /**
   * The socket when it is open and may be sent to now, with what waits in the queue sent first: a state$ subscriber
   * told of the open runs before the open's own flush.
   */
  private openSocket(): WebSocketLike | undefined {
    const { socket } = this;
    if (socket === undefined || this.state.status !== 'open' || socket.readyState !== OPEN) return undefined;
    this.flush(socket);
    return socket;
  }

  private flush(socket: WebSocketLike): void {
    if (this.queue?.size) for (const entry of this.queue.drain()) socket.send(entry.payload);
  }

  /** `send$` completed or errored: close with 1000 once what is queued has gone out. */
  finishSending(): void {
    if (this.openSocket()) this.close(1000);
    else this.closeWhenFlushed = true;
  }

  /** An error of the send path: on `error$`, or thrown to the caller when nobody listens there. */
  private report(error: unknown): void {
    if (!this.reportError(error)) throw error;
  }

  // SessionHost: what the running session calls.

  /** @internal */
  setState(state: ConnectionState): void {
    this.state = state;
    if (state.status !== 'open') this.announced = false;
    // send$.complete() asked the session that just ended to close after its flush; the next one is a new start.
    if (state.status === 'closed') this.closeWhenFlushed = false;
    // A change made by a state$ subscriber waits until every subscriber has had the one before it, so that all of
    // them see the states in the order they happened, and end on the current one.
    if (this.pendingStates) {
      this.pendingStates.push(state);
      return;
    }
    const pending = (this.pendingStates = [state]);
    try {
      for (let i = 0; i < pending.length; i++) this.emit(STATES, pending[i]);
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
  /** @internal */
  takeUnsent(): unknown[] {
    return this.queue ? this.queue.drain().map((entry) => entry.value) : [];
  }
  /**
   * @internal Each message, handed to the subscribers of `message$` and `messageEvent$` directly; to those of
   * `messageEvent$` only when the deserializer failed (`value` is then its {@link Threw}).
   */
  message(value: In | Threw, event: NativeMessageEvent): void {
    const decoded = !(value instanceof Threw);
    let messageEvent: WebSocketMessageEvent | undefined;
    for (const member of this.members) {
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
    this.emit(CLOSES, close);
  }
  /** @internal Emits `error` on `error$`; false when nobody listens there. */
  reportError(error: unknown): boolean {
    if (!this.members.some((member) => member.kind === ERRORS)) return false;
    this.emit(ERRORS, error);
    return true;
  }
  /** @internal */
  emitError(error: unknown): void {
    this.emit(ERRORS, error);
  }
  /**
   * @internal The session is over: every stream but `state$` ends (`message$` and `messageEvent$` with the error when
   * it failed); the next subscriber starts a new session.
   */
  ended(last: ClosedState): void {
    const { members } = this;
    const failed = 'error' in last;
    this.linger?.unsubscribe();
    this.linger = this.session = undefined;
    this.holders = 0;
    this.members = members.filter((member) => member.kind === STATES);
    for (const { kind, subscriber } of members) {
      if (kind === STATES) continue;
      if (failed && (kind === MESSAGES || kind === MESSAGE_EVENTS)) subscriber.error(last.error);
      else subscriber.complete();
    }
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
