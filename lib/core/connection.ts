import { asyncScheduler, type Subscription } from 'rxjs';
import {
  ConnectionTimeoutError,
  HandshakeError,
  kindOf,
  ProtocolNegotiationError,
  RxWebSocketError,
  TransportError,
  WebSocketConstructorError,
} from './errors';
import type { CloseInfo } from './events';
import { redactUrl } from './redact-url';
import { CONNECTING, OPEN, type WebSocketConstructor, type WebSocketLike } from './web-socket-like';

/** Everything one connection attempt needs. */
export interface ConnectionConfig {
  readonly url: string;
  readonly protocols: string | readonly string[] | undefined;
  readonly WebSocketCtor: WebSocketConstructor;
  readonly binaryType: string;
  /** The constructor's third argument (Node `ws` client options); browsers take none. */
  readonly socketOptions: object | undefined;
  /** Infinity for none. */
  readonly connectTimeoutMs: number;
  /** How much of `connectTimeoutMs` the attempt already spent waiting for its providers. @default 0 */
  readonly spentMs?: number;
}

/**
 * A message event as the socket gives it: the browser's (or the double's) `MessageEvent`, or, from `ws`, one with the
 * same fields made from its `'message'` arguments.
 */
export interface NativeMessageEvent {
  readonly type: 'message';
  readonly data: unknown;
  readonly origin: string;
  readonly lastEventId: string;
  readonly source: unknown;
  readonly ports: readonly unknown[];
}

/**
 * What one socket tells its owner, in this order: `opened`, each `message`, then `closed`; `failed` at any point.
 * @internal
 */
export interface ConnectionListener {
  opened(): void;
  message(event: NativeMessageEvent): void;
  /** An error event: reported, not the end; the close follows. */
  failed(error: RxWebSocketError): void;
  closed(close: CloseInfo): void;
  /** No open within `connectTimeoutMs`: the socket is already dropped, and no close follows. */
  timedOut(error: ConnectionTimeoutError): void;
}

/** The handler properties every WebSocket implementation has. */
interface WiredSocket extends WebSocketLike {
  onopen: ((event: unknown) => void) | null;
  onmessage: ((event: NativeMessageEvent) => void) | null;
  onerror: ((event: unknown) => void) | null;
  onclose: ((event: CloseInfo) => void) | null;
  /** `ws` in Node is an EventEmitter: its own events cost less than the browser-style handlers it wraps them in. */
  on?(event: string, listener: (this: WiredSocket, ...args: never[]) => void): unknown;
  removeListener?(event: string, listener: (this: WiredSocket, ...args: never[]) => void): unknown;
  [OWNER]?: Connection;
}

/** `ws` in Node: an EventEmitter, listened to through its own events. */
function isEmitter(socket: WiredSocket): socket is WiredSocket & Required<Pick<WiredSocket, 'on' | 'removeListener'>> {
  return typeof socket.on === 'function' && typeof socket.removeListener === 'function';
}

/**
 * An EventEmitter socket carries its connection under this key, so that its handlers are plain functions shared by
 * every socket (no closures per connection, which is most of what an idle connection costs in Node) and a detached
 * socket finds no owner.
 */
const OWNER = Symbol('rx-websocket connection');

/**
 * One socket's life: created at once, wired to `listener` until `dispose()`. When the constructor throws, throws
 * `WebSocketConstructorError` for a refusal that every attempt would meet (an invalid URL for the platform, a bad
 * option), `TransportError` for anything else.
 */
export class Connection {
  /** The close code `ws` failed the connection with (1002, 1009), reported instead of the 1006 that follows. */
  private failedWith: number | undefined;
  private timeout: Subscription | undefined;
  /** Kept for the error that names a failed negotiation (the count only: the values may be secrets). */
  private readonly protocols: string | readonly string[] | undefined;
  readonly socket: WiredSocket;
  /** Told what the socket does, until `dispose()`; the page lifecycle hears a socket it holds closed itself. @internal */
  listener: ConnectionListener | undefined;

  constructor(config: ConnectionConfig, listener: ConnectionListener | undefined) {
    this.listener = listener;
    const { url, protocols, WebSocketCtor, socketOptions, connectTimeoutMs, spentMs = 0 } = config;
    let socket: WiredSocket;
    try {
      const offered = protocols === undefined ? undefined : typeof protocols === 'string' ? protocols : [...protocols];
      socket = new (WebSocketCtor as unknown as new (u: string, p?: typeof offered, o?: object) => WiredSocket)(
        url,
        offered,
        ...(socketOptions === undefined ? [] : [socketOptions]),
      );
    } catch (error) {
      const detail = messageOf(error);
      const redacted = redactUrlsIn(detail);
      // A cause whose message holds a secret would print it wherever the error is logged (Node prints causes).
      const cause = redacted === detail ? error : undefined;
      const kind = kindOf(error);
      // One of this library's own errors, from a wrapper constructor, names a problem of its arguments too; and what is
      // not an error at all (a string, a bare object) comes from code, not from a network that may recover.
      throw REFUSAL.test(kind) || error instanceof RxWebSocketError || !/(Error|Exception)$/.test(kind)
        ? new WebSocketConstructorError(`${kind}: ${redacted}`, cause)
        : new TransportError(
            typeof __RXWS_DEV__ == 'undefined' || __RXWS_DEV__
              ? `the WebSocket constructor threw: ${redacted}`
              : redacted,
            cause,
          );
    }
    this.socket = socket;
    try {
      socket.binaryType = config.binaryType;
      // The browser builds have no `ws`: there the test folds to false, and the minifier drops the Node path.
      if ((typeof __RXWS_BROWSER__ == 'undefined' || !__RXWS_BROWSER__) && isEmitter(socket)) {
        socket[OWNER] = this;
        socket.on('open', onOpen);
        socket.on('message', onNodeMessage);
        socket.on('error', onNodeError);
        socket.on('close', onNodeClose);
      } else {
        // Browsers (and doubles): closures, which work however the implementation calls its handlers.
        socket.onopen = () => this.handleOpen();
        socket.onmessage = (event) => this.handleMessage(event);
        socket.onerror = (event) => this.handleError(event);
        socket.onclose = (event) => this.handleClose(event.code, event.reason, event.wasClean);
      }
      if (connectTimeoutMs !== Infinity && socket.readyState === CONNECTING) {
        this.timeout = asyncScheduler.schedule(
          () => {
            const owner = this.listener;
            this.dispose();
            owner?.timedOut(new ConnectionTimeoutError(connectTimeoutMs, url));
          },
          Math.max(0, connectTimeoutMs - spentMs),
        );
      }
    } catch (error) {
      // A WebSocket-like whose setup throws (a binaryType setter, its handlers): the socket it made is not left open.
      try {
        this.dispose();
      } catch {
        // Nothing more can be done for a socket that cannot even be closed.
      }
      throw error;
    }
    this.protocols = protocols;
  }

  /** Stops listening, and closes the socket with 1000 if it is connecting or open. A late error event is swallowed. */
  dispose(): void {
    const { socket } = this;
    this.timeout?.unsubscribe();
    this.listener = undefined;
    if ((typeof __RXWS_BROWSER__ == 'undefined' || !__RXWS_BROWSER__) && isEmitter(socket)) {
      socket[OWNER] = undefined;
      socket.removeListener('open', onOpen);
      socket.removeListener('message', onNodeMessage);
      socket.removeListener('close', onNodeClose);
      // The error listener stays: ws emits an error when a handshake is aborted, and an unheard one would throw.
    } else {
      socket.onopen = null;
      socket.onmessage = null;
      socket.onclose = null;
      socket.onerror = ignore;
    }
    if (socket.readyState === OPEN || socket.readyState === CONNECTING) socket.close(1000);
  }

  /** @internal The handlers below call these. */
  handleOpen(): void {
    this.timeout?.unsubscribe();
    this.timeout = undefined;
    this.listener?.opened();
  }

  /** @internal */
  handleMessage(event: NativeMessageEvent): void {
    this.listener?.message(event);
  }

  /** @internal */
  handleError(event: unknown): void {
    this.failedWith = statusCodeOf(event) ?? this.failedWith;
    this.listener?.failed(classifyError(event, this.protocols));
  }

  /** @internal */
  handleClose(code: number, reason: string, wasClean: boolean): void {
    const listener = this.listener;
    this.dispose();
    const { failedWith } = this;
    listener?.closed({
      code: code === 1006 && !wasClean && failedWith !== undefined ? failedWith : code,
      reason,
      wasClean,
    });
  }
}

// ws's events, handled by functions shared by every socket: an EventEmitter calls them with the socket as `this`.
function onOpen(this: WiredSocket): void {
  this[OWNER]?.handleOpen();
}
function onNodeMessage(this: WiredSocket, data: { toString(): string }, isBinary: boolean): void {
  // Looked up on each message: one property read, where a closure per socket would cost memory per connection.
  // The event has every field a browser's has (what the deserializer's type promises), in one literal of one shape.
  this[OWNER]?.handleMessage({
    type: 'message',
    data: isBinary ? data : data.toString(),
    origin: '',
    lastEventId: '',
    source: null,
    ports: NO_PORTS,
  });
}
/** `ports` of every event made from `ws`'s arguments: always empty, as a browser's WebSocket message has it. */
const NO_PORTS: readonly unknown[] = Object.freeze([]);
function onNodeError(this: WiredSocket, error: unknown): void {
  // Read here, not by `instanceof Error` (an error from another realm fails it); an emitter that is not ws may emit
  // anything, null too.
  this[OWNER]?.handleError({ error, message: (error as { message?: unknown } | null)?.message });
}
function onNodeClose(this: WiredSocket, code: number, reason: { toString(): string }): void {
  // What ws's own CloseEvent reports as wasClean: both closing frames went through.
  const frames = this as unknown as { _closeFrameReceived?: unknown; _closeFrameSent?: unknown };
  const wasClean =
    typeof frames._closeFrameReceived === 'boolean'
      ? frames._closeFrameReceived && frames._closeFrameSent === true
      : code !== 1006;
  this[OWNER]?.handleClose(code, reason.toString(), wasClean);
}

/** A disposed socket's late error event (an aborted handshake) goes nowhere. */
function ignore(): void {}

/** Turns an error event into the most specific error class the event allows. */
function classifyError(event: unknown, protocols: string | readonly string[] | undefined): RxWebSocketError {
  const detail = event as { error?: unknown; message?: unknown };
  const cause = detail.error ?? event;
  const message = typeof detail.message === 'string' ? detail.message : cause instanceof Error ? cause.message : '';
  if (/subprotocol/i.test(message)) {
    const offered = protocols === undefined ? [] : typeof protocols === 'string' ? [protocols] : protocols;
    return new ProtocolNegotiationError(offered, message);
  }
  const status = /Unexpected server response: (\d{3})/.exec(message);
  if (status) return new HandshakeError(Number(status[1]));
  if (!message)
    return new TransportError(
      typeof __RXWS_DEV__ == 'undefined' || __RXWS_DEV__ ? 'the connection failed (browsers give no detail)' : '',
      cause,
    );
  const redacted = redactUrlsIn(message);
  return new TransportError(redacted, redacted === message ? cause : undefined);
}

/** The close code `ws` attaches to the error it fails a connection with, under a symbol it does not export. */
function statusCodeOf(event: unknown): number | undefined {
  const error = (event as { error?: unknown }).error;
  if (typeof error !== 'object' || error === null) return undefined;
  const key = Object.getOwnPropertySymbols(error).find((symbol) => symbol.description === 'status-code');
  const code = key === undefined ? undefined : (error as Record<symbol, unknown>)[key];
  return typeof code === 'number' && code >= 1000 && code <= 4999 ? code : undefined;
}

/**
 * What a WebSocket constructor throws for arguments it will never take (as {@link kindOf} names it): `ws` and browsers
 * a `SyntaxError` (a DOMException in browsers, told by its name) for a bad URL or sub-protocol, `ws` a `TypeError` or
 * `RangeError` for a bad option, browsers a `SecurityError` for a URL the page may not open.
 */
const REFUSAL = /^an? (Type|Syntax|Range|Security)Error$/;

function messageOf(error: unknown): string {
  try {
    return error instanceof Error ? error.message : String(error);
  } catch {
    // A getter that throws, or an object without a usable toString.
    return kindOf(error);
  }
}

/** Error texts from platforms and libraries may quote the URL; drop its credentials and query before passing them on. */
function redactUrlsIn(text: string): string {
  // Only URLs that can hold a secret (credentials, a query, a fragment) change, so that an unchanged text says none did.
  return text.replace(/\b[a-z][a-z0-9+.-]*:\/\/[^\s'"]+/gi, (url) => (/[@?#]/.test(url) ? redactUrl(url) : url));
}
