import { defaultBackoff, type BackoffStrategy } from '../reconnect/backoff';
import { defaultCloseCodePolicy, type ReconnectPolicy } from '../reconnect/close-codes';
import { InvalidOptionError } from './errors';
import type { WebSocketMessageEvent, WebSocketPayload } from './events';
import type { Heartbeat } from './heartbeat-contract';
import type { PageLifecycle } from './lifecycle-contract';
import type { SendQueueOptions } from './send-queue';
import type { ResolvedReconnect } from './session';
import type { TabSharing } from './tabs-contract';
import { validateOptions } from './validate-options';
import type { WebSocketConstructor } from './web-socket-like';

/** How `fromWebSocket` reconnects. */
export interface ReconnectOptions {
  /**
   * Delay before each reconnection attempt, from the attempt number (from 1) and why the last one ended. If it throws,
   * a `CallbackError` (hook `'backoff'`, what it threw as `cause`) is reported on `error$` and the connection stops with
   * it; a result that is not a number of milliseconds from 0 to {@link MAX_TIMER_DELAY_MS} does the same with an
   * `InvalidOptionError`.
   * @default {@link defaultBackoff}
   */
  readonly backoff?: BackoffStrategy;
  /**
   * Whether to try again after a close or an error. A close the client asked for is never retried. If it throws, a
   * `CallbackError` (hook `'shouldReconnect'`, what it threw as `cause`) is reported on `error$` and the connection
   * stops with it.
   * @default {@link defaultCloseCodePolicy}
   */
  readonly shouldReconnect?: ReconnectPolicy;
  /**
   * The most reconnection attempts in a row before giving up; 0 never reconnects.
   * @default Infinity
   */
  readonly maxAttempts?: number;
  /**
   * After a reconnection, how long the socket must stay open before the attempt count starts from 1 again, in
   * milliseconds: from 0 to {@link MAX_TIMER_DELAY_MS} (`Infinity` is refused: it would make `maxAttempts` a budget
   * for the socket's whole life).
   * @default 5000
   */
  readonly resetAfterMs?: number;
  /**
   * How long an attempt may take to open, in milliseconds, before it is abandoned and counts as failed
   * ({@link ConnectionTimeoutError}, then retried by policy). The attempt starts when the URL and protocols providers
   * are asked, so a provider that never answers times out too. Above 0 and up to {@link MAX_TIMER_DELAY_MS}, or
   * `Infinity` to wait as long as the providers and the platform do.
   * @default 10000
   */
  readonly connectTimeoutMs?: number;
}

/** Options of `fromWebSocket`. */
export interface WebSocketOptions<In, Out> {
  /**
   * Turns what is sent into what the socket sends. The default passes strings, `ArrayBuffer`s, `Blob`s
   * and `ArrayBufferView`s through as they are; anything else is an `EncodeError` on `error$`.
   * @default identity
   */
  readonly serializer?: (value: Out) => WebSocketPayload;
  /**
   * Turns each message event into what `message$` emits. If it throws, a `DecodeError` is reported
   * on `error$` and the stream goes on (see `decodeErrors`).
   * @default the event's `data`, as the browser gives it
   */
  readonly deserializer?: (event: WebSocketMessageEvent) => In;
  /**
   * `'report'`: a message the deserializer rejects is reported on `error$` and skipped.
   * `'fatal'`: it ends the connection, and `message$` errors with the `DecodeError`.
   * @default 'report'
   */
  readonly decodeErrors?: 'report' | 'fatal';
  /**
   * How binary messages arrive. Unlike the browser's `'blob'`, the default can be read synchronously
   * and is the same in every runtime.
   * @default 'arraybuffer'
   */
  readonly binaryType?: 'arraybuffer' | 'blob';
  /**
   * Reconnection settings, or `false` to never reconnect (a connect timeout still applies).
   * @default true (every default of {@link ReconnectOptions})
   */
  readonly reconnect?: boolean | ReconnectOptions;
  /**
   * Ping after silence and drop a connection that stays silent (half-open detection): a heartbeat made by
   * `heartbeat({ intervalMs, timeoutMs, ping, isPong, emitPongs })`, an opt-in import.
   * @default undefined (no heartbeat)
   */
  readonly heartbeat?: Heartbeat;
  /**
   * One connection shared by every tab of the origin: made by `shareAcrossTabs({ name })`, an opt-in import. The
   * socket object keeps its whole surface in every tab; where tabs cannot share (no Web Locks or no
   * `BroadcastChannel`, as in Node) each tab has its own connection.
   * @default undefined (a connection per socket object)
   */
  readonly tabs?: TabSharing;
  /**
   * Follow the page's lifecycle in a browser (hidden, frozen, back/forward cache): a lifecycle made by
   * `pageLifecycle({ hiddenCloseAfterMs })`, an opt-in import. Checks the connection as soon as the page is back and
   * reconnects at once, the attempt count reset, when it is gone.
   * @default undefined (the page lifecycle is not watched)
   */
  readonly lifecycle?: PageLifecycle;
  /** Bounds of the queue for messages sent while not open. @default {@link DEFAULT_SEND_QUEUE} */
  readonly sendQueue?: SendQueueOptions;
  /**
   * How long the socket stays open after the last subscriber leaves, so that a quick resubscribe
   * (a route change) reuses it, in milliseconds: from 0 to {@link MAX_TIMER_DELAY_MS} (`Infinity` is refused: a socket
   * nobody holds must close some day; `close()` it yourself to keep control).
   * @default 0
   */
  readonly lingerMs?: number;
  /**
   * How long a closing handshake the client starts (`close()`, or the last subscriber leaving) may take, in
   * milliseconds. A peer that has not answered by then is cut off: `terminate()` where the socket has it (Node's `ws`),
   * else the socket is let go, and the close is reported as 1006, not clean. A live peer answers within a round trip;
   * the bound is for one that never will, which would otherwise hold a Node process for `ws`'s own 30 s. `Infinity`
   * waits as long as the platform does.
   * @default 5000
   */
  readonly closeTimeoutMs?: number;
  /**
   * The WebSocket constructor. In a browser bundle the native `WebSocket`; in Node, `ws`.
   * @default the platform's WebSocket (through `isomorphic-ws`)
   */
  readonly WebSocketCtor?: WebSocketConstructor;
  /**
   * The constructor's third argument: in Node, `ws`'s client options (headers, TLS options, `maxPayload`...).
   * Browsers take none, so leave it unset there.
   * @default undefined
   */
  readonly socketOptions?: object;
}

/** The default {@link ReconnectOptions} values. */
export const DEFAULT_RECONNECT = {
  /** {@link ReconnectOptions.maxAttempts}: never give up. */
  maxAttempts: Infinity,
  /** {@link ReconnectOptions.resetAfterMs}: 5 s. */
  resetAfterMs: 5_000,
  /** {@link ReconnectOptions.connectTimeoutMs}: 10 s. */
  connectTimeoutMs: 10_000,
} as const;

export interface ResolvedOptions<In, Out> {
  readonly serializer: ((value: Out) => unknown) | undefined;
  readonly deserializer: (event: WebSocketMessageEvent) => In;
  readonly decodeErrors: 'report' | 'fatal';
  readonly binaryType: 'arraybuffer' | 'blob';
  readonly reconnect: ResolvedReconnect | undefined;
  readonly connectTimeoutMs: number;
  readonly closeTimeoutMs: number;
  readonly heartbeat: Heartbeat | undefined;
  readonly lifecycle: PageLifecycle | undefined;
  readonly sendQueue: SendQueueOptions | undefined;
  readonly lingerMs: number;
  readonly WebSocketCtor: WebSocketConstructor | undefined;
  readonly socketOptions: object | undefined;
}

const rawData = <In>(event: WebSocketMessageEvent): In => event.data as In;

/**
 * Applies the defaults. Every option is checked first ({@link validateOptions}, which throws `InvalidOptionError` on
 * the first bad one), except in the production browser build, where a setup mistake that TypeScript already types is
 * left to development builds and what reaches the socket at run time is still checked where it is used.
 */
export function resolveOptions<In, Out>(options: WebSocketOptions<In, Out> = {}): ResolvedOptions<In, Out> {
  if (typeof __RXWS_DEV__ == 'undefined' || __RXWS_DEV__) validateOptions(options);
  const { reconnect = true } = options;
  const given = typeof reconnect === 'object' ? reconnect : undefined;
  // One object of a fixed shape per socket; the default reconnection settings are shared by every socket.
  return {
    serializer: options.serializer,
    deserializer: options.deserializer ?? rawData,
    decodeErrors: options.decodeErrors ?? 'report',
    binaryType: options.binaryType ?? 'arraybuffer',
    reconnect:
      reconnect === false || given?.maxAttempts === 0
        ? undefined
        : given
          ? {
              backoff: given.backoff ?? defaultBackoff,
              shouldReconnect: given.shouldReconnect ?? defaultCloseCodePolicy,
              maxAttempts: given.maxAttempts ?? DEFAULT_RECONNECT.maxAttempts,
              resetAfterMs: given.resetAfterMs ?? DEFAULT_RECONNECT.resetAfterMs,
            }
          : DEFAULT_RESOLVED_RECONNECT,
    connectTimeoutMs: given?.connectTimeoutMs ?? DEFAULT_RECONNECT.connectTimeoutMs,
    closeTimeoutMs: options.closeTimeoutMs ?? DEFAULT_CLOSE_TIMEOUT_MS,
    heartbeat: options.heartbeat,
    lifecycle: options.lifecycle,
    sendQueue: options.sendQueue,
    lingerMs: options.lingerMs ?? 0,
    WebSocketCtor: options.tabs ? options.tabs.wrap(options.WebSocketCtor) : options.WebSocketCtor,
    socketOptions: options.socketOptions,
  };
}

/** {@link WebSocketOptions.closeTimeoutMs}'s default: 5 s. */
const DEFAULT_CLOSE_TIMEOUT_MS = 5_000;

/** `reconnect: true` resolved (the connect timeout is an option of its own once resolved). */
const DEFAULT_RESOLVED_RECONNECT: ResolvedReconnect = {
  backoff: defaultBackoff,
  shouldReconnect: defaultCloseCodePolicy,
  maxAttempts: DEFAULT_RECONNECT.maxAttempts,
  resetAfterMs: DEFAULT_RECONNECT.resetAfterMs,
};

/** Throws {@link InvalidOptionError} unless `value` is a `binaryType` this library takes. */
export function assertBinaryType(value: unknown): asserts value is 'arraybuffer' | 'blob' {
  if (value !== 'arraybuffer' && value !== 'blob')
    throw new InvalidOptionError(
      'binaryType',
      value,
      typeof __RXWS_DEV__ == 'undefined' || __RXWS_DEV__ ? "'arraybuffer' or 'blob'" : '',
    );
}
