import { Subject, Subscription, type Observable, type SchedulerLike } from 'rxjs';
import { isValidCloseCode } from '../reconnect/close-codes';
import type { CloseInfo } from '../core/events';
import { utf8ByteLength } from '../core/utf8';
import { CLOSED, CLOSING, CONNECTING, OPEN } from '../core/web-socket-like';
import { applyAction, type ServerAction } from './server-action';
import type {
  BinaryTypeDouble,
  FrameData,
  ReadyState,
  SocketControl,
  SocketDouble,
  SocketEventInit,
  SocketWire,
} from './socket-double';

/** What the server agrees to when it opens a connection. */
export interface OpenOptions {
  /**
   * The sub-protocol the server selects. One the client did not offer (or none, when it offered some) fails the
   * connection as browsers and `ws` do: an error event whose `message` mentions the subprotocol, then a 1006 close.
   * @default the first sub-protocol the client offered, or '' when it offered none
   */
  readonly protocol?: string;
  /**
   * The extensions the server selects.
   * @default ''
   */
  readonly extensions?: string;
}

/** A close started by the server. */
export interface CloseOptions {
  /**
   * The code the client sees: one a server may send (1000–1003, 1007–1014, 3000–4999), or 1005 (a close frame
   * without a code), 1006 (no close frame at all) or 1015 (TLS failure), which never travel on the wire.
   * @default 1005, what a client sees when a server closes without a code
   */
  readonly code?: number;
  /**
   * At most 123 UTF-8 bytes; must be '' with 1005, 1006 and 1015, which carry no close frame.
   * @default ''
   */
  readonly reason?: string;
  /**
   * Whether the closing handshake completed. When false, an error event precedes the close, as in a browser.
   * @default false for 1006 and 1015, else true
   */
  readonly wasClean?: boolean;
}

/** How the server turns down a connection before it opens. */
export interface RefuseOptions {
  /**
   * An HTTP status answered instead of the upgrade. The error event then says `Unexpected server response: <status>`,
   * as Node's `ws` reports it (browsers hide the status).
   * @default none: the error event carries no detail, as in a browser
   */
  readonly status?: number;
  /**
   * The error event's message, when `status` is not enough.
   * @default none
   */
  readonly message?: string;
}

/** What the server may send: text, or binary that reaches the client per its `binaryType`. */
export type MessageData = string | ArrayBufferLike | ArrayBufferView | Blob;

/** One frame the client sent. */
export interface SentFrame {
  /** Text as a string, binary as a copy of its bytes at the moment of sending, a `Blob` as it was given. */
  readonly data: FrameData;
  /** The scheduler's `now()` when it was sent: virtual milliseconds under `TestScheduler.run`. */
  readonly time: number;
}

/** The client's call to `close()`. */
export interface ClientClose {
  /** The code its close frame carries: what was passed, 1000 when only a reason was, `undefined` when neither. */
  readonly code: number | undefined;
  /** The reason passed ('' when none). */
  readonly reason: string;
  /** The scheduler's `now()` at the call. */
  readonly time: number;
}

/**
 * The server side of one connection: script what the client sees, and inspect what it did.
 *
 * Every server action takes effect asynchronously, through the server double's scheduler (in the same virtual
 * frame under `TestScheduler.run`), never inside the call, just as events reach a real socket. Calls that make
 * no sense for the server (a message before `open()`, anything after the server closed) throw at once with an
 * explanation. Once the client has closed, server actions are ignored as a real server's would be lost, except
 * `close()` and `drop()` completing a closing handshake held by `holdClose`.
 *
 * @typeParam In - what the client receives, for {@link ConnectionDouble.messageJson}
 * @typeParam Out - what the client sends, for {@link ConnectionDouble.sentJson}
 */
export interface ConnectionDouble<In = unknown, Out = unknown> {
  /** 0 for the server double's first connection, then 1, 2... */
  readonly index: number;
  /** The client side, as the code under test sees it. */
  readonly socket: SocketDouble;
  /** The URL as the socket reports it (http(s) turned into ws(s), no fragment). */
  readonly url: string;
  /** The sub-protocols the client offered. */
  readonly protocols: readonly string[];
  /** The constructor's third argument (`ws`'s client options), if any. */
  readonly socketOptions: object | undefined;
  /** The scheduler's `now()` when the socket was constructed. */
  readonly createdAt: number;
  /** The socket's `readyState`, right now. */
  readonly readyState: ReadyState;
  /** Every frame the client sent, in order. */
  readonly sent: readonly SentFrame[];
  /**
   * Each frame as the client sends it (hot: earlier ones are in {@link sent}); completes when the socket closes. What a
   * subscriber does runs inside the client's `send`, so a server action it takes (a reply) still arrives asynchronously.
   */
  readonly sent$: Observable<SentFrame>;
  /** The client's `close()` call, once it made one. */
  readonly clientClose: ClientClose | undefined;
  /** The close event the socket fired, once it has. */
  readonly closedWith: CloseInfo | undefined;

  /** Completes the handshake: the socket becomes OPEN and fires `open`. */
  open(options?: OpenOptions): void;
  /**
   * Sends a message to the client. Binary data reaches it as an `ArrayBuffer` or a `Blob` per its `binaryType`,
   * copied now. A `Blob` cannot be read synchronously, so it can only reach a socket whose `binaryType` is `'blob'`:
   * give bytes instead.
   */
  message(data: MessageData): void;
  /** Sends `JSON.stringify(value)` as a text message. */
  messageJson(value: In): void;
  /** Fires an error event without closing: with `message`, as `ws` reports errors; without, as a browser does. */
  error(message?: string): void;
  /**
   * Closes from the server side. See {@link CloseOptions} for the defaults. With a close frame (any code but 1006 and
   * 1015), the socket is CLOSING once the frame is read and fires `close` in a later task of the same frame, as a
   * browser's does.
   */
  close(code?: number, reason?: string, wasClean?: boolean): void;
  /** The connection drops without a close frame: an error event, then close 1006, not clean. Before open, the same as {@link refuse}. */
  drop(): void;
  /** Fails the handshake: an error event, then close 1006, not clean, without ever opening. */
  refuse(options?: RefuseOptions): void;
  /**
   * Applies each action `actions$` emits as it emits it, e.g. `play(cold('-o--a--x', { o: 'open', a: { message: 'a' }, x: 'drop' }))`.
   * Stops when the socket closes; unsubscribe the result to stop sooner.
   */
  play(actions$: Observable<ServerAction<In>>): Subscription;
  /** The data of every frame the client sent, in order. */
  sentMessages(): FrameData[];
  /** Every frame the client sent, parsed as JSON (binary frames decoded as UTF-8 first). Throws on a frame that is not JSON. */
  sentJson(): Out[];
}

/** What a connection needs from its server double. @internal */
export interface ConnectionContext {
  readonly index: number;
  readonly scheduler: SchedulerLike;
  readonly closeDelayMs: number;
  readonly holdClose: boolean;
}

type Phase = 'connecting' | 'open' | 'ended';

const ABNORMAL: CloseInfo = /* @__PURE__ */ Object.freeze({ code: 1006, reason: '', wasClean: false });
const decoder = /* @__PURE__ */ new TextDecoder();

/** Creates the server side of a freshly constructed socket, and the wire the socket reports to. @internal */
export function createConnection<In, Out>(
  control: SocketControl,
  socketOptions: object | undefined,
  context: ConnectionContext,
): { readonly connection: ConnectionDouble<In, Out>; readonly wire: SocketWire } {
  const { socket, offered } = control;
  const { index, scheduler, closeDelayMs, holdClose } = context;
  const name = `connection #${index} to ${socket.url}`;
  const origin = new URL(socket.url).origin;
  const createdAt = scheduler.now();
  const sent: SentFrame[] = [];
  const sentFrames = new Subject<SentFrame>();
  const plays = new Subscription();
  // What the server has committed to, ahead of the events that carry it to the client.
  let phase: Phase = 'connecting';
  let endedBy = '';
  let clientClose: ClientClose | undefined;
  let closingHandshakePending = false;
  let closedWith: CloseInfo | undefined;

  const later = (task: () => void, delayMs = 0): void => {
    scheduler.schedule(task, delayMs);
  };

  const misuse = (action: string): never => {
    const why =
      phase === 'connecting'
        ? 'it has not opened yet (call open() first, or refuse() to fail the handshake)'
        : phase === 'open'
          ? 'it is already open (use drop() or close() to end it)'
          : `the server already ended it with ${endedBy}`;
    throw new Error(`${name}: cannot ${action}: ${why}`);
  };

  const finish = (close: CloseInfo, failure?: string): void => {
    if (socket.readyState === CLOSED) return;
    control.setReadyState(CLOSED);
    closingHandshakePending = false;
    closedWith = close;
    plays.unsubscribe();
    sentFrames.complete();
    try {
      if (!close.wasClean) control.fire(errorEvent(failure));
    } finally {
      control.fire({ type: 'close', code: close.code, reason: close.reason, wasClean: close.wasClean });
    }
  };

  const end = (by: string, close: CloseInfo, failure?: string, frame = false): void => {
    phase = 'ended';
    endedBy = by;
    later(() => {
      // A close frame is read first (the socket is CLOSING from then on, as a browser's is), and the close event
      // fires once the connection has ended, in a task of its own: code that runs between sees a closing socket.
      if (frame && socket.readyState === OPEN) {
        control.setReadyState(CLOSING);
        later(() => finish(close, failure));
      } else finish(close, failure);
    });
  };

  const negotiationProblem = (protocol: string): string | undefined => {
    if (offered.length === 0)
      return protocol === '' ? undefined : `the server chose subprotocol "${protocol}", but the client offered none`;
    if (protocol === '') return `the server chose no subprotocol, but the client offered ${offered.join(', ')}`;
    return offered.includes(protocol)
      ? undefined
      : `the server chose subprotocol "${protocol}", which the client did not offer (${offered.join(', ')})`;
  };

  const connection: ConnectionDouble<In, Out> = {
    index,
    socket,
    url: socket.url,
    protocols: offered,
    socketOptions,
    createdAt,
    get readyState() {
      return socket.readyState;
    },
    sent,
    sent$: sentFrames.asObservable(),
    get clientClose() {
      return clientClose;
    },
    get closedWith() {
      return closedWith;
    },

    open({ protocol = offered[0] ?? '', extensions = '' }: OpenOptions = {}) {
      if (clientClose) return;
      if (phase !== 'connecting') misuse('open()');
      const problem = negotiationProblem(protocol);
      if (problem !== undefined) {
        end(`open({ protocol: ${JSON.stringify(protocol)} }), which failed the handshake`, ABNORMAL, problem);
        return;
      }
      phase = 'open';
      later(() => {
        if (socket.readyState !== CONNECTING) return;
        control.negotiated(protocol, extensions);
        control.setReadyState(OPEN);
        control.fire({ type: 'open' });
      });
    },

    message(data) {
      if (clientClose) return;
      if (phase !== 'open') misuse('message()');
      const payload = copyMessage(data);
      if (typeof payload !== 'string' && !(payload instanceof Uint8Array) && socket.binaryType === 'arraybuffer') {
        throw blobToArrayBuffer(name);
      }
      later(() => {
        if (socket.readyState !== OPEN) return;
        control.fire({
          type: 'message',
          data: deliver(payload, socket.binaryType, name),
          origin,
          lastEventId: '',
          source: null,
          ports: [],
        });
      });
    },

    messageJson(value) {
      const text = JSON.stringify(value);
      if (text === undefined) throw new TypeError(`${name}: messageJson(): ${typeof value} has no JSON form`);
      connection.message(text);
    },

    error(message) {
      if (clientClose) return;
      if (phase === 'ended') misuse('error()');
      later(() => {
        if (socket.readyState !== CLOSED) control.fire(errorEvent(message));
      });
    },

    close(code, reason, wasClean) {
      if (clientClose) {
        if (closingHandshakePending) {
          const close = serverClose(name, code ?? clientClose.code, reason ?? clientClose.reason, wasClean);
          later(() => finish(close));
        }
        return;
      }
      const close = serverClose(name, code, reason, wasClean);
      if (phase !== 'open') misuse(`close(${close.code})`);
      end(`close(${close.code})`, close, undefined, close.code !== 1006 && close.code !== 1015);
    },

    drop() {
      if (clientClose) {
        if (closingHandshakePending) later(() => finish(ABNORMAL));
        return;
      }
      if (phase === 'ended') misuse('drop()');
      end('drop()', ABNORMAL);
    },

    refuse({ status, message }: RefuseOptions = {}) {
      if (clientClose) return;
      if (phase !== 'connecting') misuse('refuse()');
      if (status !== undefined && !(Number.isInteger(status) && status >= 100 && status <= 599 && status !== 101)) {
        throw new RangeError(`${name}: refuse(): ${status} is not an HTTP status that refuses an upgrade`);
      }
      end(
        'refuse()',
        ABNORMAL,
        message ?? (status === undefined ? undefined : `Unexpected server response: ${status}`),
      );
    },

    play(actions$) {
      if (closedWith) return Subscription.EMPTY;
      const subscription = actions$.subscribe((action) => applyAction(connection, action));
      plays.add(subscription);
      return subscription;
    },

    sentMessages: () => sent.map((frame) => frame.data),

    sentJson: () =>
      sent.map(({ data, time }, at) => {
        if (typeof data !== 'string' && !(data instanceof Uint8Array)) {
          throw new TypeError(
            `${name}: sentJson(): frame ${at} (sent at ${time} ms) is a Blob, which cannot be read synchronously`,
          );
        }
        const text = typeof data === 'string' ? data : decoder.decode(data);
        try {
          return JSON.parse(text) as Out;
        } catch {
          throw new SyntaxError(`${name}: sentJson(): frame ${at} (sent at ${time} ms) is not JSON: ${preview(text)}`);
        }
      }),
  };

  const wire: SocketWire = {
    send(data) {
      const frame = Object.freeze({ data, time: scheduler.now() });
      sent.push(frame);
      sentFrames.next(frame);
    },
    close(code, reason, from) {
      clientClose = Object.freeze({ code, reason, time: scheduler.now() });
      if (from === CONNECTING) {
        // Aborting a handshake fails the connection: error, then 1006.
        later(() => finish(ABNORMAL));
        return;
      }
      closingHandshakePending = true;
      if (!holdClose) {
        // The server echoes the client's close frame; without a code in it, the client sees 1005.
        later(() => {
          if (socket.readyState === CLOSING) finish({ code: code ?? 1005, reason, wasClean: true });
        }, closeDelayMs);
      }
    },
  };

  return { connection, wire };
}

function errorEvent(message: string | undefined): SocketEventInit {
  return message === undefined ? { type: 'error' } : { type: 'error', message, error: new Error(message) };
}

/** Validates a server's close and fills in its defaults. */
function serverClose(name: string, code = 1005, reason = '', wasClean?: boolean): CloseInfo {
  const reserved = code === 1005 || code === 1006 || code === 1015;
  if (!reserved && !isValidCloseCode(code, 'receive')) {
    throw new RangeError(
      `${name}: close(${code}): a server cannot send that code (valid: 1000-1003, 1007-1014, 3000-4999; 1005, 1006, 1015 are simulated)`,
    );
  }
  if (reserved && reason !== '')
    throw new RangeError(
      `${name}: close(${code}, ${JSON.stringify(reason)}): ${code} carries no close frame, so no reason`,
    );
  const bytes = utf8ByteLength(reason);
  if (bytes > 123)
    throw new RangeError(`${name}: close(${code}): the reason is ${bytes} UTF-8 bytes long; the limit is 123`);
  return Object.freeze({ code, reason, wasClean: wasClean ?? !(code === 1006 || code === 1015) });
}

/** Text stays text; binary is copied now, so that the spec may reuse its buffer. */
function copyMessage(data: MessageData): string | Uint8Array<ArrayBuffer> | Blob {
  if (typeof data === 'string') return data;
  if (typeof Blob !== 'undefined' && data instanceof Blob) return data;
  if (ArrayBuffer.isView(data)) return copyBytes(new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
  if (data instanceof ArrayBuffer || (typeof SharedArrayBuffer !== 'undefined' && data instanceof SharedArrayBuffer)) {
    return copyBytes(new Uint8Array(data));
  }
  throw new TypeError(`message(): ${typeof data} is neither text, binary data nor a Blob`);
}

function copyBytes(bytes: Uint8Array): Uint8Array<ArrayBuffer> {
  const copy = new Uint8Array(bytes.byteLength);
  copy.set(bytes);
  return copy;
}

/** Binary data as a browser hands it over for `binaryType`. */
function deliver(
  payload: string | Uint8Array<ArrayBuffer> | Blob,
  binaryType: BinaryTypeDouble,
  name: string,
): string | ArrayBuffer | Blob {
  if (typeof payload === 'string') return payload;
  if (payload instanceof Uint8Array) return binaryType === 'arraybuffer' ? payload.buffer : new Blob([payload]);
  if (binaryType === 'blob') return payload;
  throw blobToArrayBuffer(name);
}

function blobToArrayBuffer(name: string): Error {
  return new TypeError(
    `${name}: message(): the socket's binaryType is 'arraybuffer', and a Blob cannot be read synchronously in virtual time; pass an ArrayBuffer or a Uint8Array`,
  );
}

function preview(text: string): string {
  return JSON.stringify(text.length > 60 ? `${text.slice(0, 60)}…` : text);
}
