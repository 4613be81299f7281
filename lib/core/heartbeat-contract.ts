import type { NativeMessageEvent } from './connection';
import type { RxWebSocketError } from './errors';
import type { WebSocketPayload } from './events';
import type { Session } from './session';
import type { WebSocketLike } from './web-socket-like';

/**
 * A connection's incoming traffic, kept by its owner: each message, ping or pong adds one to `count` and sets `at`.
 * The heartbeat decides on `count`, which no clock step can move; `at` only places the last message within a window
 * that the heartbeat's own timers bound (timers run on the monotonic clock, and on virtual time in marble tests).
 */
export interface Traffic {
  /** Messages, pings and pongs received so far. */
  count: number;
  /** The scheduler's `now()` at the last one. */
  at: number;
}

/**
 * Keep-alive and dead-connection detection for the `heartbeat` option of `fromWebSocket`, made by `heartbeat()`
 * (an opt-in import: an app that does not use it carries none of its code). Its settings, defaults applied:
 */
export interface Heartbeat {
  /** Milliseconds of silence before a ping. */
  readonly intervalMs: number;
  /** Milliseconds after a ping before a silent connection counts as dead. */
  readonly timeoutMs: number;
  /** The application-level ping, or `undefined` for protocol pings where the socket has them. */
  readonly ping: WebSocketPayload | (() => WebSocketPayload) | undefined;
  /** Recognises the server's answer to an application ping. */
  readonly isPong: ((data: unknown) => boolean) | undefined;
  /** Whether recognised pongs are emitted on `message$` too. */
  readonly emitPongs: boolean;
  /**
   * Watches the session's open socket (in place of what it watched before), and drops it when it is found dead, to
   * reconnect by policy. What cannot be pinged is reported on `error$`. With `pingNow` (the page lifecycle checking a
   * connection the page is back to), it pings at once instead of after silence.
   * @internal
   */
  watch(session: Session<unknown>, socket: WebSocketLike, pingNow: boolean): void;
  /**
   * Counts one incoming message of the session's: true when `message$` must not have it (a recognised pong, unless
   * `emitPongs`; or the report of an `isPong` that threw ended or restarted the session).
   * @internal
   */
  heard(session: Session<unknown>, event: NativeMessageEvent): boolean;
  /**
   * The error a connection found dead ends with.
   * @internal
   */
  deathError(): RxWebSocketError;
}
