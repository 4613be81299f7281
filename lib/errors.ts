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
  | 'ERR_HEARTBEAT_TIMEOUT'
  | 'ERR_INVALID_OPTION';

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
 * The connection closed and the reconnection policy decided not to try again
 * (or reconnection is off). Carries the close frame's code, reason and `wasClean`.
 */
export class WebSocketCloseError extends RxWebSocketError {
  /** `'WebSocketCloseError'`: a string, so that minifiers renaming the class leave it alone. */
  override readonly name = 'WebSocketCloseError';
  readonly code = 'ERR_WEBSOCKET_CLOSED' as const;
  /** The close code received (or 1006 when the connection dropped without a close frame). */
  readonly closeCode: number;
  /** The close frame's reason ('' when it had none). */
  readonly reason: string;
  /** Whether the closing handshake completed. */
  readonly wasClean: boolean;

  constructor(
    /** The close event as this library reports it on `close$`. */
    readonly close: CloseInfo,
  ) {
    super(
      `WebSocket closed with code ${close.code}${close.reason ? ` (${JSON.stringify(close.reason)})` : ''}${
        close.wasClean ? '' : ', not cleanly'
      }`,
    );
    this.closeCode = close.code;
    this.reason = close.reason;
    this.wasClean = close.wasClean;
  }
}

/** An attempt did not reach the open state within `connectTimeoutMs`. */
export class ConnectionTimeoutError extends RxWebSocketError {
  /** `'ConnectionTimeoutError'`: a string, so that minifiers renaming the class leave it alone. */
  override readonly name = 'ConnectionTimeoutError';
  readonly code = 'ERR_CONNECT_TIMEOUT' as const;
  constructor(
    /** The `connectTimeoutMs` that elapsed. */
    readonly timeoutMs: number,
    url: string,
  ) {
    super(`WebSocket to ${redactUrl(url)} did not open within ${timeoutMs} ms`);
  }
}

/** A message was handed to `send` while the queue already held `maxMessages` or `maxBytes`. The message was not queued. */
export class SendQueueOverflowError<Out = unknown> extends RxWebSocketError {
  /** `'SendQueueOverflowError'`: a string, so that minifiers renaming the class leave it alone. */
  override readonly name = 'SendQueueOverflowError';
  readonly code = 'ERR_SEND_QUEUE_OVERFLOW' as const;
  constructor(
    /** The message that was rejected. */
    readonly rejected: Out,
    /** The queue's limits. */
    readonly limit: {
      /** The most messages the queue holds. */
      readonly maxMessages: number;
      /** The most bytes the queue holds. */
      readonly maxBytes: number;
    },
  ) {
    super(
      `Send queue is full (limit ${limit.maxMessages} messages / ${limit.maxBytes} bytes) while the socket is not open; the message was not queued`,
    );
  }
}

/** Messages were still queued when the client closed the socket, so they were never sent. */
export class MessageNotSentError<Out = unknown> extends RxWebSocketError {
  /** `'MessageNotSentError'`: a string, so that minifiers renaming the class leave it alone. */
  override readonly name = 'MessageNotSentError';
  readonly code = 'ERR_MESSAGE_NOT_SENT' as const;
  constructor(
    /** The messages, in the order they were handed to `send`. */
    readonly messages: readonly Out[],
  ) {
    super(`${messages.length} queued message(s) were not sent because the socket was closed before it opened`);
  }
}

/** `close(code)` was given a code a client may not send. */
export class InvalidCloseCodeError extends RxWebSocketError {
  /** `'InvalidCloseCodeError'`: a string, so that minifiers renaming the class leave it alone. */
  override readonly name = 'InvalidCloseCodeError';
  readonly code = 'ERR_INVALID_CLOSE_CODE' as const;
  constructor(
    /** The code that was rejected, as given. */
    readonly closeCode: unknown,
  ) {
    super(`Invalid close code ${String(closeCode)}: a client may only close with 1000 or an integer in 3000-4999`);
  }
}

/** `close(code, reason)` was given a reason longer than 123 UTF-8 bytes, or one that is not a string. */
export class InvalidCloseReasonError extends RxWebSocketError {
  override readonly name = 'InvalidCloseReasonError';
  readonly code = 'ERR_INVALID_CLOSE_REASON' as const;
  /** The reason's UTF-8 length, or NaN when it was not a string. */
  readonly byteLength: number;
  constructor(reason: unknown, byteLength: number) {
    super(
      typeof reason === 'string'
        ? `Invalid close reason: it is ${byteLength} UTF-8 bytes long and the limit is 123`
        : `Invalid close reason: it must be a string, got ${reason === null ? 'null' : typeof reason}`,
    );
    this.byteLength = byteLength;
  }
}

/** The deserializer threw on an incoming message. The raw data is kept on `data`. */
export class DecodeError extends RxWebSocketError {
  /** `'DecodeError'`: a string, so that minifiers renaming the class leave it alone. */
  override readonly name = 'DecodeError';
  readonly code = 'ERR_DECODE' as const;
  constructor(
    /** The message's raw data, as the socket delivered it. */
    readonly data: unknown,
    cause: unknown,
  ) {
    super(`Could not decode an incoming message: ${describe(cause)}`, { cause });
  }
}

/** The serializer threw, or returned something a WebSocket cannot send. The message was not sent. */
export class EncodeError<Out = unknown> extends RxWebSocketError {
  /** `'EncodeError'`: a string, so that minifiers renaming the class leave it alone. */
  override readonly name = 'EncodeError';
  readonly code = 'ERR_ENCODE' as const;
  constructor(
    /** The message that could not be encoded. */
    readonly value: Out,
    cause: unknown,
  ) {
    super(`Could not encode an outgoing message: ${describe(cause)}`, { cause });
  }
}

/** The URL is not absolute `ws:`/`wss:`/`http:`/`https:`, or could not be parsed. */
export class UnsupportedUrlError extends RxWebSocketError {
  /** `'UnsupportedUrlError'`: a string, so that minifiers renaming the class leave it alone. */
  override readonly name = 'UnsupportedUrlError';
  readonly code = 'ERR_UNSUPPORTED_URL' as const;
  constructor(url: unknown, why: string) {
    super(
      `Unsupported WebSocket URL ${typeof url === 'string' ? JSON.stringify(redactUrl(url)) : String(typeof url)}: ${why}`,
    );
  }
}

/** The server accepted none of the sub-protocols the client offered. */
export class ProtocolNegotiationError extends RxWebSocketError {
  /** `'ProtocolNegotiationError'`: a string, so that minifiers renaming the class leave it alone. */
  override readonly name = 'ProtocolNegotiationError';
  readonly code = 'ERR_PROTOCOL_NEGOTIATION' as const;
  constructor(
    /** The sub-protocols the client offered. */
    readonly offered: readonly string[],
    detail: string,
  ) {
    // The offered values stay out of the message: a sub-protocol may carry a token.
    super(`The server accepted none of the ${offered.length} offered sub-protocol(s): ${detail}`);
  }
}

/** The server answered the upgrade request with an HTTP status instead of switching protocols (Node only: browsers hide it). */
export class HandshakeError extends RxWebSocketError {
  /** `'HandshakeError'`: a string, so that minifiers renaming the class leave it alone. */
  override readonly name = 'HandshakeError';
  readonly code = 'ERR_HANDSHAKE' as const;
  constructor(
    /** The HTTP status the server answered with. */
    readonly status: number,
  ) {
    super(`The server refused the WebSocket upgrade with HTTP ${status}`);
  }
}

/** The transport reported an error (connection refused, reset, TLS failure...). A close event follows. */
export class TransportError extends RxWebSocketError {
  /** `'TransportError'`: a string, so that minifiers renaming the class leave it alone. */
  override readonly name = 'TransportError';
  readonly code = 'ERR_TRANSPORT' as const;
  constructor(detail: string, cause?: unknown) {
    super(`WebSocket transport error: ${detail}`, { cause });
  }
}

/** Nothing arrived within `intervalMs + timeoutMs` (a ping included): the connection is presumed dead and is dropped. */
export class HeartbeatTimeoutError extends RxWebSocketError {
  /** `'HeartbeatTimeoutError'`: a string, so that minifiers renaming the class leave it alone. */
  override readonly name = 'HeartbeatTimeoutError';
  readonly code = 'ERR_HEARTBEAT_TIMEOUT' as const;
  constructor(
    /** The heartbeat's `intervalMs`: how long the connection was silent before the ping. */
    readonly intervalMs: number,
    /** The heartbeat's `timeoutMs`: how long the ping went unanswered. */
    readonly timeoutMs: number,
  ) {
    super(`No traffic for ${intervalMs} ms and no answer to a ping within ${timeoutMs} ms: the connection is dead`);
  }
}

/** An option was given a value outside its range. */
export class InvalidOptionError extends RxWebSocketError {
  /** `'InvalidOptionError'`: a string, so that minifiers renaming the class leave it alone. */
  override readonly name = 'InvalidOptionError';
  readonly code = 'ERR_INVALID_OPTION' as const;
  constructor(
    /** The option's name, as a path such as `reconnect.maxAttempts`. */
    readonly option: string,
    value: unknown,
    rule: string,
    /** Leave the value out of the message (it may be a secret, such as a token in a sub-protocol). */
    secret = false,
  ) {
    super(`Invalid option ${option}: ${secret ? `a ${typeof value} (not shown)` : describeValue(value)} (${rule})`);
  }
}

function describe(cause: unknown): string {
  if (cause instanceof Error) return cause.message;
  try {
    return String(cause);
  } catch {
    // An object without a usable toString (no prototype, or a non-function toString).
    return Object.prototype.toString.call(cause);
  }
}

function describeValue(value: unknown): string {
  if (typeof value === 'number' || typeof value === 'boolean' || value === undefined || value === null)
    return String(value);
  if (typeof value === 'string') return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value);
  return typeof value;
}
