import type { CloseInfo } from './events';
import { redactUrl } from './redact-url';

/**
 * Every error code this library reports, stable across versions.
 * Match on `error.code` rather than on messages, which may change.
 */
export type RxWebSocketErrorCode =
  | 'ERR_WEBSOCKET_CLOSED'
  | 'ERR_CONNECT_TIMEOUT'
  | 'ERR_SEND_QUEUE_OVERFLOW'
  | 'ERR_MESSAGE_NOT_SENT'
  | 'ERR_INVALID_CLOSE_CODE'
  | 'ERR_INVALID_CLOSE_REASON'
  | 'ERR_DECODE'
  | 'ERR_ENCODE'
  | 'ERR_UNSUPPORTED_URL'
  | 'ERR_PROTOCOL_NEGOTIATION'
  | 'ERR_HANDSHAKE'
  | 'ERR_TRANSPORT'
  | 'ERR_WEBSOCKET_CONSTRUCTOR'
  | 'ERR_HEARTBEAT_TIMEOUT'
  | 'ERR_INVALID_OPTION'
  | 'ERR_CALLBACK'
  | 'ERR_REQUEST_TIMEOUT';

/** Base class of every error this library creates. */
export abstract class RxWebSocketError extends Error {
  /** A stable, machine-readable code. */
  abstract readonly code: RxWebSocketErrorCode;

  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    // Keeps `instanceof` right where the class is compiled down to ES5.
    Object.setPrototypeOf(this, new.target.prototype);
  }
}

/**
 * The work every concrete error shares: its `name` (a string, so that minifiers renaming the class leave it alone),
 * its `code`, and the public properties it carries, all as own properties.
 */
/** @internal */
export function init(error: RxWebSocketError, name: string, code: RxWebSocketErrorCode, properties?: object): void {
  Object.assign(error, { name, code }, properties);
}

/**
 * The connection closed and the reconnection policy decided not to try again
 * (or reconnection is off). Carries the close frame's code, reason and `wasClean`.
 */
export class WebSocketCloseError extends RxWebSocketError {
  /** `'WebSocketCloseError'`. */
  declare readonly name: 'WebSocketCloseError';
  declare readonly code: 'ERR_WEBSOCKET_CLOSED';
  /** The close event as this library reports it on `close$`. */
  declare readonly close: CloseInfo;
  /** The close code received (or 1006 when the connection dropped without a close frame). */
  declare readonly closeCode: number;
  /** The close frame's reason ('' when it had none). */
  declare readonly reason: string;
  /** Whether the closing handshake completed. */
  declare readonly wasClean: boolean;

  /** @param close The close event as this library reports it on `close$`. */
  constructor(close: CloseInfo) {
    const { code, reason, wasClean } = close;
    super(
      typeof __RXWS_DEV__ == 'undefined' || __RXWS_DEV__
        ? `WebSocket closed with code ${code}${reason ? ` (${JSON.stringify(reason)})` : ''}${wasClean ? '' : ', not cleanly'}`
        : `ERR_WEBSOCKET_CLOSED ${code}`,
    );
    init(this, 'WebSocketCloseError', 'ERR_WEBSOCKET_CLOSED', { close, closeCode: code, reason, wasClean });
  }
}

/**
 * An attempt did not reach the open state within `connectTimeoutMs`, counted from when the URL and protocols providers
 * are asked: the socket did not open, or a provider gave no value in time (then `provider` names it).
 */
export class ConnectionTimeoutError extends RxWebSocketError {
  /** `'ConnectionTimeoutError'`. */
  declare readonly name: 'ConnectionTimeoutError';
  declare readonly code: 'ERR_CONNECT_TIMEOUT';
  /** The `connectTimeoutMs` that elapsed. */
  declare readonly timeoutMs: number;
  /** The provider still awaited when the time ran out, or `undefined` when the socket itself did not open in time. */
  declare readonly provider: 'url' | 'protocols' | undefined;

  /**
   * @param timeoutMs The `connectTimeoutMs` that elapsed.
   * @param url The URL of the attempt, when known; only its origin and path appear in the message.
   * @param provider The provider still awaited, if any.
   */
  constructor(timeoutMs: number, url: string | undefined, provider?: 'url' | 'protocols') {
    super(
      typeof __RXWS_DEV__ == 'undefined' || __RXWS_DEV__
        ? `WebSocket ${url === undefined ? '' : `to ${redactUrl(url)} `}did not open within ${timeoutMs} ms${
            provider ? `, waiting for the ${provider} provider` : ''
          }`
        : `ERR_CONNECT_TIMEOUT ${timeoutMs}`,
    );
    init(this, 'ConnectionTimeoutError', 'ERR_CONNECT_TIMEOUT', { timeoutMs, provider });
  }
}

/** A message was handed to `send` while the queue already held `maxMessages` or `maxBytes`. The message was not queued. */
export class SendQueueOverflowError<Out = unknown> extends RxWebSocketError {
  /** `'SendQueueOverflowError'`. */
  declare readonly name: 'SendQueueOverflowError';
  declare readonly code: 'ERR_SEND_QUEUE_OVERFLOW';
  /** The message that was rejected. */
  declare readonly rejected: Out;
  /** The queue's limits. */
  declare readonly limit: {
    /** The most messages the queue holds. */
    readonly maxMessages: number;
    /** The most bytes the queue holds. */
    readonly maxBytes: number;
  };

  /**
   * @param rejected The message that was rejected.
   * @param limit The queue's limits.
   */
  constructor(rejected: Out, limit: { readonly maxMessages: number; readonly maxBytes: number }) {
    const { maxMessages, maxBytes } = limit;
    super(
      typeof __RXWS_DEV__ == 'undefined' || __RXWS_DEV__
        ? `Send queue full (${maxMessages} messages / ${maxBytes} bytes): message not queued`
        : 'ERR_SEND_QUEUE_OVERFLOW',
    );
    // Exactly the two limits, whatever else the object handed in carries.
    init(this, 'SendQueueOverflowError', 'ERR_SEND_QUEUE_OVERFLOW', { rejected, limit: { maxMessages, maxBytes } });
  }
}

/**
 * Why messages were not sent (see {@link MessageNotSentError.reason}):
 * - `'close-called'`: `close()` was called while they waited in the send queue for the socket to open;
 * - `'sent-while-closing'`: they were sent after `close()`, while the connection was closing;
 * - `'send-threw'`: the socket threw when the queued messages were handed to it on open.
 */
export type MessageNotSentReason = 'close-called' | 'sent-while-closing' | 'send-threw';

/**
 * Messages handed to `send` that never went out, and why (`reason`). Reported on `error$`; `close()` also returns the
 * messages it did not send.
 */
export class MessageNotSentError<Out = unknown> extends RxWebSocketError {
  /** `'MessageNotSentError'`. */
  declare readonly name: 'MessageNotSentError';
  declare readonly code: 'ERR_MESSAGE_NOT_SENT';
  /** The messages, in the order they were handed to `send`. */
  declare readonly messages: readonly Out[];
  /** What happened to them. */
  declare readonly reason: MessageNotSentReason;

  /**
   * @param messages The messages, in the order they were handed to `send`.
   * @param reason What happened to them.
   * @param cause What the socket threw, for `'send-threw'`.
   */
  constructor(messages: readonly Out[], reason: MessageNotSentReason = 'close-called', cause?: unknown) {
    const threw = reason === 'send-threw';
    super(
      typeof __RXWS_DEV__ == 'undefined' || __RXWS_DEV__
        ? `${messages.length} message(s) not sent: ${
            threw
              ? `the socket threw ${kindOf(cause)} on open`
              : reason === 'sent-while-closing'
                ? 'sent while closing after close()'
                : 'close() was called before the socket opened'
          }`
        : `ERR_MESSAGE_NOT_SENT ${reason}`,
      threw ? { cause } : undefined,
    );
    init(this, 'MessageNotSentError', 'ERR_MESSAGE_NOT_SENT', { messages, reason });
  }
}

/** `close(code)` was given a code a client may not send. */
export class InvalidCloseCodeError extends RxWebSocketError {
  /** `'InvalidCloseCodeError'`. */
  declare readonly name: 'InvalidCloseCodeError';
  declare readonly code: 'ERR_INVALID_CLOSE_CODE';
  /** The code that was rejected, as given. */
  declare readonly closeCode: unknown;

  /** @param closeCode The code that was rejected, as given. */
  constructor(closeCode: unknown) {
    super(
      typeof __RXWS_DEV__ == 'undefined' || __RXWS_DEV__
        ? `Invalid close code ${String(closeCode)}: use 1000 or an integer in 3000-4999`
        : `ERR_INVALID_CLOSE_CODE ${String(closeCode)}`,
    );
    init(this, 'InvalidCloseCodeError', 'ERR_INVALID_CLOSE_CODE', { closeCode });
  }
}

/** `close(code, reason)` was given a reason longer than 123 UTF-8 bytes, or one that is not a string. */
export class InvalidCloseReasonError extends RxWebSocketError {
  /** `'InvalidCloseReasonError'`. */
  declare readonly name: 'InvalidCloseReasonError';
  declare readonly code: 'ERR_INVALID_CLOSE_REASON';
  /** The reason's UTF-8 length, or NaN when it was not a string. */
  declare readonly byteLength: number;

  constructor(reason: unknown, byteLength: number) {
    super(
      typeof __RXWS_DEV__ == 'undefined' || __RXWS_DEV__
        ? `Invalid close reason: ${
            typeof reason === 'string'
              ? `${byteLength} UTF-8 bytes, above the limit of 123`
              : `a string is needed, got ${reason === null ? 'null' : typeof reason}`
          }`
        : `ERR_INVALID_CLOSE_REASON ${byteLength}`,
    );
    init(this, 'InvalidCloseReasonError', 'ERR_INVALID_CLOSE_REASON', { byteLength });
  }
}

/**
 * The deserializer threw on an incoming message. The raw data is kept on `data` and what was thrown on `cause`; the
 * message names only the thrown value's class, since a parser's text may quote the payload.
 */
export class DecodeError extends RxWebSocketError {
  /** `'DecodeError'`. */
  declare readonly name: 'DecodeError';
  declare readonly code: 'ERR_DECODE';
  /** The message's raw data, as the socket delivered it. */
  declare readonly data: unknown;

  /**
   * @param data The message's raw data, as the socket delivered it.
   * @param cause What the deserializer threw.
   */
  constructor(data: unknown, cause: unknown) {
    super(
      typeof __RXWS_DEV__ == 'undefined' || __RXWS_DEV__
        ? `Could not decode a message: the deserializer threw ${kindOf(cause)}`
        : 'ERR_DECODE',
      { cause },
    );
    init(this, 'DecodeError', 'ERR_DECODE', { data });
  }
}

/**
 * The serializer threw, or returned something a WebSocket cannot send. The message was not sent. What went wrong is
 * on `cause`; the message names only its class, since a serializer's text may quote the value.
 */
export class EncodeError<Out = unknown> extends RxWebSocketError {
  /** `'EncodeError'`. */
  declare readonly name: 'EncodeError';
  declare readonly code: 'ERR_ENCODE';
  /** The message that could not be encoded. */
  declare readonly value: Out;

  /**
   * @param value The message that could not be encoded.
   * @param cause What the serializer threw, or what was wrong with what it returned.
   */
  constructor(value: Out, cause: unknown) {
    super(
      typeof __RXWS_DEV__ == 'undefined' || __RXWS_DEV__
        ? `Could not encode a message (cause: ${kindOf(cause)})`
        : 'ERR_ENCODE',
      { cause },
    );
    init(this, 'EncodeError', 'ERR_ENCODE', { value });
  }
}

/** The URL is not absolute `ws:`/`wss:`/`http:`/`https:`, or could not be parsed. */
export class UnsupportedUrlError extends RxWebSocketError {
  /** `'UnsupportedUrlError'`. */
  declare readonly name: 'UnsupportedUrlError';
  declare readonly code: 'ERR_UNSUPPORTED_URL';

  /**
   * @param url What was given as the URL; a string appears in the message without credentials, query or fragment.
   * @param why What is wrong with it.
   */
  constructor(url: unknown, why: string) {
    super(
      typeof __RXWS_DEV__ == 'undefined' || __RXWS_DEV__
        ? `Unsupported WebSocket URL ${typeof url === 'string' ? JSON.stringify(redactUrl(url)) : typeof url}: ${why}`
        : `ERR_UNSUPPORTED_URL ${why}`,
    );
    init(this, 'UnsupportedUrlError', 'ERR_UNSUPPORTED_URL');
  }
}

/** The server accepted none of the sub-protocols the client offered. */
export class ProtocolNegotiationError extends RxWebSocketError {
  /** `'ProtocolNegotiationError'`. */
  declare readonly name: 'ProtocolNegotiationError';
  declare readonly code: 'ERR_PROTOCOL_NEGOTIATION';
  /** The sub-protocols the client offered. */
  declare readonly offered: readonly string[];

  /**
   * @param offered The sub-protocols the client offered (never shown in the message: one may carry a token).
   * @param detail What the platform said.
   */
  constructor(offered: readonly string[], detail: string) {
    super(
      typeof __RXWS_DEV__ == 'undefined' || __RXWS_DEV__
        ? `Server accepted none of ${offered.length} offered sub-protocol(s): ${detail}`
        : `ERR_PROTOCOL_NEGOTIATION ${detail}`,
    );
    init(this, 'ProtocolNegotiationError', 'ERR_PROTOCOL_NEGOTIATION', { offered });
  }
}

/** The server answered the upgrade request with an HTTP status instead of switching protocols (Node only: browsers hide it). */
export class HandshakeError extends RxWebSocketError {
  /** `'HandshakeError'`. */
  declare readonly name: 'HandshakeError';
  declare readonly code: 'ERR_HANDSHAKE';
  /** The HTTP status the server answered with. */
  declare readonly status: number;

  /** @param status The HTTP status the server answered with. */
  constructor(status: number) {
    super(
      typeof __RXWS_DEV__ == 'undefined' || __RXWS_DEV__
        ? `Server refused the upgrade with HTTP ${status}`
        : `ERR_HANDSHAKE ${status}`,
    );
    init(this, 'HandshakeError', 'ERR_HANDSHAKE', { status });
  }
}

/** The transport reported an error (connection refused, reset, TLS failure...). A close event follows. */
export class TransportError extends RxWebSocketError {
  /** `'TransportError'`. */
  declare readonly name: 'TransportError';
  declare readonly code: 'ERR_TRANSPORT';

  constructor(detail: string, cause?: unknown) {
    super(
      typeof __RXWS_DEV__ == 'undefined' || __RXWS_DEV__
        ? `WebSocket transport error: ${detail}`
        : `ERR_TRANSPORT ${detail}`,
      { cause },
    );
    init(this, 'TransportError', 'ERR_TRANSPORT');
  }
}

/**
 * The WebSocket constructor refused its arguments in a way that repeats on every attempt: it threw a `TypeError`,
 * `SyntaxError` or `RangeError` (`ws`: a bad URL, sub-protocol or `socketOptions` value such as `protocolVersion: 7`;
 * a browser: a URL it cannot use), or a browser's `SecurityError` (an insecure `ws:` from an `https:` page, a blocked
 * port). Retrying cannot fix it, so the default policy stops. Whatever else a constructor throws is a
 * {@link TransportError}, retried.
 */
export class WebSocketConstructorError extends RxWebSocketError {
  /** `'WebSocketConstructorError'`. */
  declare readonly name: 'WebSocketConstructorError';
  declare readonly code: 'ERR_WEBSOCKET_CONSTRUCTOR';

  /**
   * @param detail What the constructor said, with any URL in it already stripped of credentials and query.
   * @param cause What it threw; leave it out when its message holds a URL secret.
   */
  constructor(detail: string, cause?: unknown) {
    super(
      typeof __RXWS_DEV__ == 'undefined' || __RXWS_DEV__
        ? `WebSocket constructor refused its arguments: ${detail}`
        : `ERR_WEBSOCKET_CONSTRUCTOR ${detail}`,
      { cause },
    );
    init(this, 'WebSocketConstructorError', 'ERR_WEBSOCKET_CONSTRUCTOR');
  }
}

/** An option was given a value outside its range. */
export class InvalidOptionError extends RxWebSocketError {
  /** `'InvalidOptionError'`. */
  declare readonly name: 'InvalidOptionError';
  declare readonly code: 'ERR_INVALID_OPTION';
  /** The option's name, as a path such as `reconnect.maxAttempts`. */
  declare readonly option: string;

  /**
   * @param option The option's name, as a path such as `reconnect.maxAttempts`.
   * @param value The value it was given.
   * @param rule What the option takes.
   * @param secret Leave the value out of the message (it may be a secret, such as a token in a sub-protocol).
   */
  constructor(option: string, value: unknown, rule: string, secret = false) {
    super(
      typeof __RXWS_DEV__ == 'undefined' || __RXWS_DEV__
        ? `Invalid option ${option}: ${secret ? `a ${typeof value} (not shown)` : describeValue(value)} (${rule})`
        : `ERR_INVALID_OPTION ${option}`,
    );
    init(this, 'InvalidOptionError', 'ERR_INVALID_OPTION', { option });
  }
}

/**
 * The user callbacks this library calls, by the option that holds them. The serializer and deserializer have errors of
 * their own ({@link EncodeError}, {@link DecodeError}); every other one's throw arrives as a {@link CallbackError}.
 */
export type CallbackHook =
  | 'url'
  | 'protocols'
  | 'shouldReconnect'
  | 'backoff'
  | 'heartbeat.ping'
  | 'heartbeat.isPong'
  | 'multiplex.subscribeMsg'
  | 'multiplex.unsubscribeMsg'
  | 'multiplex.filter'
  | 'multiplex.key'
  | 'request.make'
  | 'request.isReply'
  | 'request.replyIdOf'
  | 'request.cancel'
  | 'request.id'
  | 'multiplex.cursorOf'
  | 'multiplex.isRecovered'
  | 'multiplex.onResume';

/**
 * A callback of the application threw (or a provider rejected). The original is `cause`; the message names only the
 * hook and the thrown value's class, never its text, which may quote a payload or a secret.
 */
export class CallbackError extends RxWebSocketError {
  /** `'CallbackError'`. */
  declare readonly name: 'CallbackError';
  declare readonly code: 'ERR_CALLBACK';
  /** Which callback threw. */
  declare readonly hook: CallbackHook;

  /**
   * @param hook Which callback threw.
   * @param cause What it threw (or, with `returned`, what it returned).
   * @param returned What was wrong with what it returned, when it threw nothing, such as `'a symbol, not a string'`.
   */
  constructor(hook: CallbackHook, cause: unknown, returned?: string) {
    super(
      typeof __RXWS_DEV__ == 'undefined' || __RXWS_DEV__
        ? `The ${hook} callback ${returned === undefined ? `threw ${kindOf(cause)}` : `returned ${returned}`}`
        : `ERR_CALLBACK ${hook}`,
      { cause },
    );
    init(this, 'CallbackError', 'ERR_CALLBACK', { hook });
  }
}

/** What was thrown, by its class or type only: `a TypeError`, `an Error`, `a string`, `undefined`. */
export function kindOf(thrown: unknown): string {
  if (thrown === null || thrown === undefined) return String(thrown);
  if (typeof thrown !== 'object' && typeof thrown !== 'function') return `a ${typeof thrown}`;
  let name: unknown;
  try {
    name = (thrown as { name?: unknown }).name ?? (thrown as { constructor?: { name?: unknown } }).constructor?.name;
  } catch {
    // A getter that throws: say no more than the type.
  }
  return typeof name === 'string' && /^[A-Za-z_$][\w$]{0,63}$/.test(name)
    ? `${/^[AEIOU]/i.test(name) ? 'an' : 'a'} ${name}`
    : 'an object';
}

function describeValue(value: unknown): string {
  const type = typeof value;
  if (type === 'string') {
    const text = value as string;
    return JSON.stringify(text.length > 40 ? `${text.slice(0, 40)}…` : text);
  }
  // Numbers, booleans, undefined and null show as themselves; anything else (it may hold secrets) by its type.
  return value === null || type === 'number' || type === 'boolean' || type === 'undefined' ? String(value) : type;
}
