import WebSocketImpl from 'isomorphic-ws';
import { BehaviorSubject, defer, Observable, share, Subject, timer, type Subscriber, type Subscription } from 'rxjs';
import { assertValidClose } from './close-codes';
import { EncodeError, SendQueueOverflowError } from './errors';
import type { CloseInfo, OpenInfo, WebSocketData, WebSocketMessageEvent, WebSocketPayload } from './events';
import { assertBinaryType, resolveOptions, type WebSocketOptions } from './options';
import { describeNonPayload, isPayload } from './payload';
import { createMultiplex, type Multiplex } from './multiplex';
import { createSendQueue } from './send-queue';
import { session, type SessionControl, type SessionEvent } from './session';
import type { Source } from './source';
import type { ConnectionState } from './state';
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
  /** Each whole message event: `data`, `origin`, `lastEventId`, `source`, `ports`. Ends like `message$`. */
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
  const protocolsGiven =
    typeof protocolsOrOptions === 'string' ||
    typeof protocolsOrOptions === 'function' ||
    Array.isArray(protocolsOrOptions);
  const protocols = (protocolsGiven ? protocolsOrOptions : undefined) as ProtocolsInput | undefined;
  const options = resolveOptions<In, Out>(
    (protocolsGiven ? maybeOptions : protocolsOrOptions) as WebSocketOptions<In, Out> | undefined,
  );
  const { serializer, lingerMs } = options;
  const WebSocketCtor = options.WebSocketCtor ?? WebSocketImpl;

  const state = new BehaviorSubject<ConnectionState>({ status: 'idle' });
  const queue = createSendQueue<Out>(options.sendQueue);
  const reports = new Subject<unknown>();
  // What the returned object's getters read: kept in one small object rather than in closures of their own.
  const live: Live = { socket: undefined, binaryType: options.binaryType, queue, url };
  let control: SessionControl | undefined;
  let closeWhenFlushed = false;

  // Messages skip the shared event stream: the session hands each one to these subscribers directly.
  let messageSubscribers: readonly Subscriber<In>[] = [];
  let eventSubscribers: readonly Subscriber<WebSocketMessageEvent>[] = [];

  let errorListeners = 0;
  const report = (error: unknown): void => {
    // With nobody listening on error$, a report would vanish: throw it to the caller instead.
    if (errorListeners === 0) throw error;
    reports.next(error);
  };

  const shared$ = defer(() =>
    session<In>(
      { ...options, url, protocols, WebSocketCtor },
      {
        binaryType: () => live.binaryType,
        setState: (next) => state.next(next),
        setSocket: (next) => (live.socket = next),
        opened(open) {
          for (const entry of queue.drain()) open.send(entry.payload);
          if (closeWhenFlushed) {
            closeWhenFlushed = false;
            control?.close(1000, undefined);
          }
        },
        takeUnsent: () => queue.drain().map((entry) => entry.value),
        report$: reports,
        message(value, event) {
          for (const subscriber of messageSubscribers) subscriber.next(value as In);
          if (eventSubscribers.length > 0) {
            const messageEvent = toMessageEvent(event);
            for (const subscriber of eventSubscribers) subscriber.next(messageEvent);
          }
        },
      },
      (next) => (control = next),
    ),
  ).pipe(
    share<SessionEvent>({
      resetOnError: true,
      resetOnComplete: true,
      resetOnRefCountZero: lingerMs > 0 ? () => timer(lingerMs) : true,
    }),
  );

  /** One public stream: the events of one type, ending as the session ends (or completing, for streams that report the end themselves). */
  const stream = <T>(type: SessionEvent['type'], project: (event: never) => T, errorsAtEnd: boolean): Observable<T> =>
    new Observable<T>((subscriber) =>
      shared$.subscribe({
        next: (event) => {
          if (event.type === type) subscriber.next(project(event as never));
        },
        error: (error: unknown) => (errorsAtEnd ? subscriber.error(error) : subscriber.complete()),
        complete: () => subscriber.complete(),
      }),
    );

  const send = (value: Out): void => {
    let payload: unknown = value;
    if (serializer) {
      try {
        payload = serializer(value);
      } catch (cause) {
        return report(new EncodeError(value, cause));
      }
    }
    if (!isPayload(payload)) {
      const what = describeNonPayload(payload);
      const hint = serializer ? 'the serializer returned' : 'without a serializer, send was given';
      return report(
        new EncodeError(value, new TypeError(`${hint} ${what}, not a string, ArrayBuffer, Blob or ArrayBufferView`)),
      );
    }
    const { socket } = live;
    if (socket !== undefined && queue.size === 0 && state.value.status === 'open' && socket.readyState === OPEN) {
      socket.send(payload);
      return;
    }
    if (!queue.offer(payload, value)) {
      const overflow = new SendQueueOverflowError(value, queue.limits);
      if (queue.limits.overflow === 'throw') throw overflow;
      report(overflow);
    }
  };

  const close = (code?: number, reason?: string): void => {
    assertValidClose(code, reason);
    control?.close(code ?? 1000, reason);
  };

  const send$ = new SendSubject<Out>(send, () => {
    if (state.value.status === 'open') close(1000);
    else closeWhenFlushed = true;
  });

  /** A message stream: subscribers get messages from the session directly, and the end from the shared stream. */
  const lane = <T>(
    get: () => readonly Subscriber<T>[],
    set: (subscribers: readonly Subscriber<T>[]) => void,
  ): Observable<T> =>
    new Observable<T>((subscriber) => {
      set([...get(), subscriber]);
      const end = shared$.subscribe({
        error: (error: unknown) => subscriber.error(error),
        complete: () => subscriber.complete(),
      });
      return () => {
        set(get().filter((other) => other !== subscriber));
        end.unsubscribe();
      };
    });

  const open$ = stream('open', (event: { info: OpenInfo }) => event.info, false);
  const message$ = lane<In>(
    () => messageSubscribers,
    (next) => (messageSubscribers = next),
  );

  return new ReactiveSocket<In, Out>(
    open$,
    message$,
    lane<WebSocketMessageEvent>(
      () => eventSubscribers,
      (next) => (eventSubscribers = next),
    ),
    stream('close', (event: { close: CloseInfo }) => event.close, false),
    new Observable<unknown>((subscriber) => {
      errorListeners++;
      const subscription = stream('error', (event: { error: unknown }) => event.error, false).subscribe(subscriber);
      return () => {
        errorListeners--;
        subscription.unsubscribe();
      };
    }),
    state.asObservable(),
    send$,
    send,
    close,
    () => control?.reconnect(),
    () => shared$.subscribe({ error: () => {} }),
    createMultiplex<In, Out>({ message$, open$, send, isOpen: () => state.value.status === 'open' }),
    live,
  );
}

interface Live {
  socket: WebSocketLike | undefined;
  binaryType: 'arraybuffer' | 'blob';
  readonly queue: { readonly bytes: number };
  readonly url: Source<UrlInput>;
}

/** What `fromWebSocket` returns: the getters live on the prototype, so each instance holds only its fields. */
class ReactiveSocket<In, Out> implements ReactiveWebSocket<In, Out> {
  constructor(
    readonly open$: Observable<OpenInfo>,
    readonly message$: Observable<In>,
    readonly messageEvent$: Observable<WebSocketMessageEvent>,
    readonly close$: Observable<CloseInfo>,
    readonly error$: Observable<unknown>,
    readonly state$: Observable<ConnectionState>,
    readonly send$: Subject<Out>,
    readonly send: (value: Out) => void,
    readonly close: (code?: number, reason?: string) => void,
    readonly reconnect: () => void,
    readonly connect: () => Subscription,
    readonly multiplex: Multiplex<In, Out>,
    private readonly live: Live,
  ) {}
  get url(): string {
    const { socket, url } = this.live;
    if (socket) return socket.url;
    try {
      return typeof url === 'function' ? '' : normalizeUrl(url);
    } catch {
      return '';
    }
  }
  get protocol(): string {
    return this.live.socket?.protocol ?? '';
  }
  get extensions(): string {
    return this.live.socket?.extensions ?? '';
  }
  get readyState(): number {
    return this.live.socket?.readyState ?? CLOSED;
  }
  get bufferedAmount(): number {
    return (this.live.socket?.bufferedAmount ?? 0) + this.live.queue.bytes;
  }
  get binaryType(): 'arraybuffer' | 'blob' {
    return this.live.binaryType;
  }
  set binaryType(next: 'arraybuffer' | 'blob') {
    assertBinaryType(next);
    this.live.binaryType = next;
    if (this.live.socket) this.live.socket.binaryType = next;
  }
}

/** `send$`: a Subject whose `next` sends synchronously, so that a `'throw'` overflow reaches the caller. */
class SendSubject<Out> extends Subject<Out> {
  constructor(
    private readonly sendValue: (value: Out) => void,
    private readonly finish: () => void,
  ) {
    super();
  }
  // A stopped Subject ignores next, complete and error; so does this one (`send()` still works).
  override next(value: Out): void {
    if (this.isStopped) return;
    this.sendValue(value);
    super.next(value);
  }
  override complete(): void {
    if (this.isStopped) return;
    this.finish();
    super.complete();
  }
  override error(error: unknown): void {
    if (this.isStopped) return;
    this.finish();
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
