import type { CloseInfo, WebSocketMessageEvent, WebSocketPayload } from '../core/events';
import { utf8ByteLength } from '../core/utf8';
import { CLOSED, CLOSING, CONNECTING, OPEN, type WebSocketLike } from '../core/web-socket-like';

/** A ready state, as on the browser's `WebSocket`: CONNECTING, OPEN, CLOSING, CLOSED. */
export type ReadyState = 0 | 1 | 2 | 3;

/** The binary types a {@link SocketDouble} delivers, as a browser does. */
export type BinaryTypeDouble = 'blob' | 'arraybuffer';

/** Members every event a {@link SocketDouble} fires has. `target` is not enumerable, so it stays out of equality checks and printouts. */
export interface EventDouble {
  /** The socket that fired it. */
  readonly target: SocketDouble;
}

/** The `open` event. */
export interface OpenEventDouble extends EventDouble {
  /** `'open'`. */
  readonly type: 'open';
}

/** The `message` event, with `data` converted per the socket's `binaryType` when it fired. */
export interface MessageEventDouble extends WebSocketMessageEvent, EventDouble {
  /** `'message'`. */
  readonly type: 'message';
}

/**
 * The `error` event. Without detail it carries nothing, as a browser's does; with detail it carries
 * `message` and `error`, as Node's `ws` reports a failure.
 */
export interface ErrorEventDouble extends EventDouble {
  /** `'error'`. */
  readonly type: 'error';
  /** What went wrong, when the event has detail. */
  readonly message?: string;
  /** The failure itself, when the event has detail. */
  readonly error?: Error;
}

/** The `close` event. */
export interface CloseEventDouble extends CloseInfo, EventDouble {
  /** `'close'`. */
  readonly type: 'close';
}

/** Event types and their events. */
export interface SocketDoubleEventMap {
  /** The socket opened. */
  open: OpenEventDouble;
  /** A message arrived. */
  message: MessageEventDouble;
  /** The connection failed, or an error preceded a close. */
  error: ErrorEventDouble;
  /** The socket closed. */
  close: CloseEventDouble;
}

/** Any event a {@link SocketDouble} fires. */
export type SocketEventDouble = SocketDoubleEventMap[keyof SocketDoubleEventMap];

/** An event before the socket stamps itself on it as `target`. @internal */
export type SocketEventInit = {
  [K in keyof SocketDoubleEventMap]: Omit<SocketDoubleEventMap[K], 'target'>;
}[keyof SocketDoubleEventMap];

/** An event handler property of a {@link SocketDouble}. */
export type SocketDoubleHandler<E> = ((this: SocketDouble, event: E) => void) | null;

/**
 * The client side of a connection: what the code under test holds. It behaves like the browser's
 * `WebSocket` (ready states, validation, `binaryType`), but every event comes from the server side
 * ({@link ConnectionDouble}) and fires through the server double's scheduler.
 */
export interface SocketDouble extends WebSocketLike {
  /** Ready state 0: connecting. */
  readonly CONNECTING: 0;
  /** Ready state 1: open. */
  readonly OPEN: 1;
  /** Ready state 2: closing. */
  readonly CLOSING: 2;
  /** Ready state 3: closed. */
  readonly CLOSED: 3;
  /**
   * Changes as the browser's does: with the matching event, and to CLOSING once a server's close frame is read, before
   * its close event.
   */
  readonly readyState: ReadyState;
  /** Always 0: the double sends instantly. */
  readonly bufferedAmount: number;
  /** The sub-protocol the server selected, once open ('' before, or when none). */
  readonly protocol: string;
  /** The extensions the server selected, once open ('' before, or when none). */
  readonly extensions: string;
  /** `'blob'` at first, as in a browser. Values other than `'blob'` and `'arraybuffer'` are ignored, as a browser ignores them. */
  get binaryType(): BinaryTypeDouble;
  set binaryType(value: string);
  /** Called on open, before the listeners. */
  onopen: SocketDoubleHandler<OpenEventDouble>;
  /** Called on each message, before the listeners. */
  onmessage: SocketDoubleHandler<MessageEventDouble>;
  /** Called on an error, before the listeners. */
  onerror: SocketDoubleHandler<ErrorEventDouble>;
  /** Called on close, before the listeners. */
  onclose: SocketDoubleHandler<CloseEventDouble>;
  /** Listeners run after the matching `on…` handler, in the order they were added; adding one twice has no effect. */
  addEventListener<K extends keyof SocketDoubleEventMap>(
    type: K,
    listener: (this: SocketDouble, event: SocketDoubleEventMap[K]) => void,
  ): void;
  /** Removes a listener added with `addEventListener`; one that was never added is ignored. */
  removeEventListener<K extends keyof SocketDoubleEventMap>(
    type: K,
    listener: (this: SocketDouble, event: SocketDoubleEventMap[K]) => void,
  ): void;
}

/**
 * A constructor of {@link SocketDouble}s bound to one server double. It fits `WebSocketConstructor`, so it can be
 * passed as `fromWebSocket(url, { WebSocketCtor })`; the third argument (`ws`'s client options) is recorded.
 */
export interface SocketDoubleConstructor {
  new (url: string | URL, protocols?: string | readonly string[], socketOptions?: object): SocketDouble;
  /** Ready state 0: connecting. */
  readonly CONNECTING: 0;
  /** Ready state 1: open. */
  readonly OPEN: 1;
  /** Ready state 2: closing. */
  readonly CLOSING: 2;
  /** Ready state 3: closed. */
  readonly CLOSED: 3;
}

/** Frame data as the double records it: text as a string, binary as a copy of its bytes when sent, a `Blob` as it is. */
export type FrameData = string | Uint8Array | Blob;

/** How the client side reaches its connection. @internal */
export interface SocketWire {
  /** The client sent `data` while open. */
  send(data: FrameData): void;
  /** The client called `close()` (already validated) from `from`; the socket is CLOSING now. */
  close(code: number | undefined, reason: string, from: typeof CONNECTING | typeof OPEN): void;
}

/** How the connection steers its socket. @internal */
export interface SocketControl {
  readonly socket: SocketDouble;
  /** The sub-protocols offered, validated. */
  readonly offered: readonly string[];
  setReadyState(state: ReadyState): void;
  negotiated(protocol: string, extensions: string): void;
  fire(event: SocketEventInit): void;
}

/** Connects a new socket to its server double. @internal */
export type Attach = (control: SocketControl, socketOptions: object | undefined) => SocketWire;

/** A browser-like `DOMException` where the runtime has one, else an `Error` with the same `name`. */
export function domException(name: 'InvalidStateError' | 'InvalidAccessError' | 'SyntaxError', message: string): Error {
  if (typeof DOMException === 'function') return new DOMException(message, name);
  const error = new Error(message);
  error.name = name;
  return error;
}

/** Builds the constructor for one server double; `attach` links each socket to it. @internal */
export function socketDoubleClass(attach: Attach): SocketDoubleConstructor {
  return class WebSocketDouble extends SocketDoubleBase {
    constructor(url: string | URL, protocols?: string | readonly string[], socketOptions?: object) {
      super(url, protocols, socketOptions, attach);
    }
  };
}

type Listener = (this: SocketDouble, event: never) => void;

abstract class SocketDoubleBase implements SocketDouble {
  static readonly CONNECTING = CONNECTING;
  static readonly OPEN = OPEN;
  static readonly CLOSING = CLOSING;
  static readonly CLOSED = CLOSED;
  readonly CONNECTING = CONNECTING;
  readonly OPEN = OPEN;
  readonly CLOSING = CLOSING;
  readonly CLOSED = CLOSED;

  readonly url: string;
  readonly bufferedAmount = 0;
  onopen: SocketDoubleHandler<OpenEventDouble> = null;
  onmessage: SocketDoubleHandler<MessageEventDouble> = null;
  onerror: SocketDoubleHandler<ErrorEventDouble> = null;
  onclose: SocketDoubleHandler<CloseEventDouble> = null;

  #readyState: ReadyState = CONNECTING;
  #protocol = '';
  #extensions = '';
  #binaryType: BinaryTypeDouble = 'blob';
  readonly #listeners = new Map<string, Set<Listener>>();
  readonly #wire: SocketWire;

  constructor(
    url: string | URL,
    protocols: string | readonly string[] | undefined,
    socketOptions: object | undefined,
    attach: Attach,
  ) {
    this.url = parseUrl(url);
    const offered = parseProtocols(protocols);
    this.#wire = attach(
      {
        socket: this,
        offered,
        setReadyState: (state) => (this.#readyState = state),
        negotiated: (protocol, extensions) => {
          this.#protocol = protocol;
          this.#extensions = extensions;
        },
        fire: (event) => this.#fire(event),
      },
      socketOptions,
    );
  }

  get readyState(): ReadyState {
    return this.#readyState;
  }
  get protocol(): string {
    return this.#protocol;
  }
  get extensions(): string {
    return this.#extensions;
  }
  get binaryType(): BinaryTypeDouble {
    return this.#binaryType;
  }
  set binaryType(value: string) {
    if (value === 'blob' || value === 'arraybuffer') this.#binaryType = value;
  }

  send(data: WebSocketPayload): void {
    if (this.#readyState === CONNECTING) {
      throw domException(
        'InvalidStateError',
        'send() was called while the socket was still connecting (readyState CONNECTING)',
      );
    }
    // A browser discards what is sent once closing has begun, without an exception.
    if (this.#readyState !== OPEN) return;
    this.#wire.send(snapshot(data));
  }

  close(code?: number, reason?: string): void {
    if (code !== undefined && !(Number.isInteger(code) && (code === 1000 || (code >= 3000 && code <= 4999)))) {
      throw domException(
        'InvalidAccessError',
        `close(${String(code)}): the code must be 1000 or an integer in 3000-4999`,
      );
    }
    const text = reason === undefined ? '' : String(reason);
    const bytes = utf8ByteLength(text);
    if (bytes > 123)
      throw domException('SyntaxError', `close(): the reason is ${bytes} UTF-8 bytes long; the limit is 123`);
    const from = this.#readyState;
    if (from !== CONNECTING && from !== OPEN) return;
    this.#readyState = CLOSING;
    // The close frame needs a code to carry a reason: browsers use 1000 then.
    this.#wire.close(code ?? (text === '' ? undefined : 1000), text, from);
  }

  addEventListener<K extends keyof SocketDoubleEventMap>(
    type: K,
    listener: (this: SocketDouble, event: SocketDoubleEventMap[K]) => void,
  ): void {
    let listeners = this.#listeners.get(type);
    if (!listeners) this.#listeners.set(type, (listeners = new Set()));
    listeners.add(listener);
  }

  removeEventListener<K extends keyof SocketDoubleEventMap>(
    type: K,
    listener: (this: SocketDouble, event: SocketDoubleEventMap[K]) => void,
  ): void {
    this.#listeners.get(type)?.delete(listener);
  }

  #fire(event: SocketEventInit): void {
    Object.defineProperty(event, 'target', { value: this, enumerable: false });
    const handler = this[`on${event.type}`] as Listener | null;
    const listeners: Listener[] = [...(handler ? [handler] : []), ...(this.#listeners.get(event.type) ?? [])];
    // Every listener hears the event even when one throws; the first error then fails the test (a browser would only log it).
    let failure: { error: unknown } | undefined;
    for (const listener of listeners) {
      try {
        listener.call(this, event as never);
      } catch (error) {
        failure ??= { error };
      }
    }
    if (failure) throw failure.error;
  }
}

/** The URL as a browser's constructor accepts it: absolute, ws(s) or http(s), the fragment dropped. */
function parseUrl(input: string | URL): string {
  let url: URL;
  try {
    url = new URL(String(input));
  } catch {
    throw domException('SyntaxError', `${JSON.stringify(String(input))} is not an absolute URL`);
  }
  if (url.protocol === 'http:') url.protocol = 'ws:';
  else if (url.protocol === 'https:') url.protocol = 'wss:';
  else if (url.protocol !== 'ws:' && url.protocol !== 'wss:') {
    throw domException(
      'SyntaxError',
      `the URL scheme ${url.host || !url.href.includes('@') ? `${JSON.stringify(url.protocol)} ` : ''}is not ws:, wss:, http: or https:`,
    );
  }
  url.hash = '';
  return url.href;
}

const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

/** The offered sub-protocols, checked as a browser checks them. */
function parseProtocols(protocols: string | readonly string[] | undefined): readonly string[] {
  const list = protocols === undefined ? [] : typeof protocols === 'string' ? [protocols] : [...protocols];
  const seen = new Set<string>();
  for (const protocol of list) {
    if (typeof protocol !== 'string' || !TOKEN.test(protocol) || seen.has(protocol)) {
      throw domException(
        'SyntaxError',
        `the sub-protocol ${JSON.stringify(protocol)} is not a token, or is offered twice`,
      );
    }
    seen.add(protocol);
  }
  return Object.freeze(list);
}

/** What went on the wire, fixed at the moment of sending: later changes to the caller's buffer must not rewrite the record. */
function snapshot(data: WebSocketPayload): FrameData {
  if (typeof data === 'string') return data;
  if (typeof Blob !== 'undefined' && data instanceof Blob) return data;
  if (ArrayBuffer.isView(data)) return new Uint8Array(data.buffer, data.byteOffset, data.byteLength).slice();
  if (data instanceof ArrayBuffer || (typeof SharedArrayBuffer !== 'undefined' && data instanceof SharedArrayBuffer)) {
    return new Uint8Array(data).slice();
  }
  // A browser turns anything else into a string (WebIDL USVString conversion), "[object Object]" included.
  // eslint-disable-next-line @typescript-eslint/no-base-to-string
  return String(data);
}
