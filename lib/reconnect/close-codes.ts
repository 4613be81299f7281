import type { CloseInfo } from '../core/events';
import {
  CallbackError,
  ConnectionTimeoutError,
  HandshakeError,
  InvalidCloseCodeError,
  InvalidCloseReasonError,
  InvalidOptionError,
  RxWebSocketError,
  TransportError,
  WebSocketCloseError,
} from '../core/errors';
import { utf8ByteLength } from '../core/utf8';

/**
 * Close codes from RFC 6455 §7.4.1 and the IANA WebSocket close code registry.
 * 3000–3999 are registered for libraries and frameworks, 4000–4999 are private to applications.
 */
export enum CloseCode {
  /** The purpose of the connection was fulfilled. */
  NormalClosure = 1000,
  /** The endpoint is going away: a server shutting down, a page navigating away. */
  GoingAway = 1001,
  /** The peer broke the WebSocket protocol. */
  ProtocolError = 1002,
  /** The peer sent a kind of data the endpoint cannot accept (binary to a text-only endpoint, say). */
  UnsupportedData = 1003,
  /** Reserved: never sent on the wire; reported when a close frame carried no code. */
  NoStatusReceived = 1005,
  /** Reserved: never sent on the wire; reported when the connection dropped without a close frame. */
  AbnormalClosure = 1006,
  /** A message's data did not match its type (text that is not valid UTF-8, for instance). */
  InvalidFramePayloadData = 1007,
  /** A message broke the endpoint's policy; the generic code when no other fits. */
  PolicyViolation = 1008,
  /** A message was too big to process. */
  MessageTooBig = 1009,
  /** Sent by a client: the server did not negotiate an extension the client requires. */
  MandatoryExtension = 1010,
  /** The server met an unexpected condition. */
  InternalError = 1011,
  /** The server is restarting; reconnect after a while. */
  ServiceRestart = 1012,
  /** The server is overloaded; reconnect later. */
  TryAgainLater = 1013,
  /** A gateway or proxy got an invalid response from the server behind it. */
  BadGateway = 1014,
  /** Reserved: never sent on the wire; reported when the TLS handshake failed. */
  TlsHandshake = 1015,
}

/** A close code, or an inclusive range of them such as `[4000, 4099]`. */
export type CloseCodeMatcher = number | readonly [from: number, to: number];

/** The range registered with IANA for libraries and frameworks. */
export const LIBRARY_CLOSE_CODES = [3000, 3999] as const satisfies CloseCodeMatcher;
/** The range private to applications. */
export const APPLICATION_CLOSE_CODES = [4000, 4999] as const satisfies CloseCodeMatcher;

/**
 * Whether `code` may appear in a close frame.
 * `'send'`: what a client may pass to `close()` (1000 or 3000–4999, as browsers enforce).
 * `'receive'`: what a peer may legally put on the wire (1000–1003, 1007–1014, 3000–4999).
 */
export function isValidCloseCode(code: number, direction: 'send' | 'receive' = 'receive'): boolean {
  if (!Number.isInteger(code)) return false;
  if (code >= 3000 && code <= 4999) return true;
  if (direction === 'send') return code === 1000;
  return code >= 1000 && code <= 1014 && code !== 1004 && code !== 1005 && code !== 1006;
}

/** Throws {@link InvalidCloseCodeError} or {@link InvalidCloseReasonError} unless `close(code, reason)` is one a client may send. */
export function assertValidClose(code: unknown, reason: unknown): void {
  // isValidCloseCode rejects anything that is not an integer, a numeric string included.
  if (code !== undefined && !isValidCloseCode(code as number, 'send')) throw new InvalidCloseCodeError(code);
  if (reason === undefined) return;
  const bytes = typeof reason === 'string' ? utf8ByteLength(reason) : NaN;
  // NaN, for a reason that is not a string, fails the test too.
  if (!(bytes <= 123)) throw new InvalidCloseReasonError(reason, bytes);
}

/** Decides, from why a connection ended and how many attempts have been made, whether to try again. */
export type ReconnectPolicy = (reason: unknown, attempt: number) => boolean;

/** The close code carried by `reason`: a {@link WebSocketCloseError}, a {@link CloseInfo} or a browser `CloseEvent`. */
export function closeCodeOf(reason: unknown): number | undefined {
  if (reason instanceof WebSocketCloseError) return reason.closeCode;
  if (typeof reason === 'object' && reason !== null && 'code' in reason && 'wasClean' in reason) {
    const { code } = reason as CloseInfo;
    return typeof code === 'number' ? code : undefined;
  }
  return undefined;
}

const TRANSIENT_CLOSE_CODES: ReadonlySet<number> = new Set([1001, 1005, 1006, 1011, 1012, 1013, 1014]);

/**
 * The default reconnection policy. It decides by the close code, then by the class of this library's error, never by
 * an error's text or by a `code` string it did not set.
 *
 * | reason | decision |
 * |---|---|
 * | 1001, 1005, 1006, 1011, 1012, 1013, 1014 | retry: the server went away, restarted, is overloaded, or the network dropped |
 * | 1000 | stop: the server ended the session normally; streams complete |
 * | 1002, 1003, 1007, 1008, 1009, 1010, 1015, 3000–4999, any other code | stop: retrying cannot fix it; streams error with {@link WebSocketCloseError} |
 * | {@link ConnectionTimeoutError} (the socket, or a URL or protocols provider, took longer than `connectTimeoutMs`), {@link TransportError} (refused, reset, TLS...), `HeartbeatTimeoutError` | retry |
 * | {@link CallbackError} from the `url` or `protocols` provider (it threw, rejected, errored or completed empty) | retry: a token service hiccup |
 * | {@link HandshakeError} with HTTP 408, 429 or 5xx | retry |
 * | {@link HandshakeError} with any other status, `WebSocketConstructorError` (the constructor refused its arguments), `UnsupportedUrlError`, `ProtocolNegotiationError`, {@link InvalidOptionError}, a `CallbackError` from any other hook, any other error of this library | stop: every attempt would fail the same way |
 * | anything else (not an {@link RxWebSocketError}: `retryWithBackoff` over an app's own errors, whatever their `code`) | retry |
 */
export function defaultCloseCodePolicy(reason: unknown): boolean {
  const code = closeCodeOf(reason);
  if (code !== undefined) return TRANSIENT_CLOSE_CODES.has(code);
  // Errors of other libraries and of Node (ERR_NETWORK, ERR_SOCKET_CONNECTION_TIMEOUT...) are not ours to judge fatal.
  if (!(reason instanceof RxWebSocketError)) return true;
  if (reason instanceof HandshakeError) {
    const { status } = reason;
    return status === 408 || status === 429 || status >= 500;
  }
  if (reason instanceof CallbackError) return reason.hook === 'url' || reason.hook === 'protocols';
  // Our own typed errors other than these name problems that retrying cannot fix (bad URL, options, protocols).
  // A heartbeat timeout is told by its code: the default path carries no heartbeat code.
  return (
    reason instanceof ConnectionTimeoutError ||
    reason instanceof TransportError ||
    reason.code === 'ERR_HEARTBEAT_TIMEOUT'
  );
}

/** Configuration of {@link closeCodePolicy}. */
export interface CloseCodePolicyConfig {
  /** Close codes (or ranges) to retry. */
  readonly retry?: readonly CloseCodeMatcher[];
  /** Close codes (or ranges) to stop on. Wins over `retry` where both match. */
  readonly stop?: readonly CloseCodeMatcher[];
  /**
   * Decides for closes matched by neither list, and for errors without a close code.
   * @default {@link defaultCloseCodePolicy}
   */
  readonly otherwise?: ReconnectPolicy;
}

/**
 * Builds a policy from close codes and ranges, e.g. `closeCodePolicy({ retry: [4000, [4500, 4599]], stop: [1001] })`.
 * A close the client asked for is never retried, whatever the policy says.
 */
export function closeCodePolicy({
  retry = [],
  stop = [],
  otherwise = defaultCloseCodePolicy,
}: CloseCodePolicyConfig): ReconnectPolicy {
  for (const matcher of [...retry, ...stop]) assertMatcher(matcher);
  return (reason, attempt) => {
    const code = closeCodeOf(reason);
    if (code !== undefined) {
      if (stop.some((m) => matches(m, code))) return false;
      if (retry.some((m) => matches(m, code))) return true;
    }
    return otherwise(reason, attempt);
  };
}

function matches(matcher: CloseCodeMatcher, code: number): boolean {
  return typeof matcher === 'number' ? matcher === code : code >= matcher[0] && code <= matcher[1];
}

function assertMatcher(matcher: CloseCodeMatcher): void {
  const ok =
    typeof matcher === 'number'
      ? Number.isInteger(matcher)
      : Array.isArray(matcher) &&
        matcher.length === 2 &&
        Number.isInteger(matcher[0]) &&
        Number.isInteger(matcher[1]) &&
        matcher[0] <= matcher[1];
  if (!ok) throw new InvalidOptionError('closeCodePolicy', matcher, 'each entry is a close code or a [from, to] range');
}

/** The least a reconnection waits after 1012 (Service Restart): a restart takes seconds, not milliseconds. */
export const SERVICE_RESTART_MIN_DELAY_MS = 2_000;
/** The least a reconnection waits after 1013 (Try Again Later): the server asked for relief. */
export const TRY_AGAIN_LATER_MIN_DELAY_MS = 5_000;

/** The least delay before retrying after `reason`: 0, or the minimum that 1012 and 1013 call for. */
export function minimumRetryDelayMs(reason: unknown): number {
  const code = closeCodeOf(reason);
  return code === CloseCode.ServiceRestart
    ? SERVICE_RESTART_MIN_DELAY_MS
    : code === CloseCode.TryAgainLater
      ? TRY_AGAIN_LATER_MIN_DELAY_MS
      : 0;
}
