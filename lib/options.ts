import { defaultBackoff, type BackoffStrategy } from './backoff';
import { defaultCloseCodePolicy, type ReconnectPolicy } from './close-codes';
import { InvalidOptionError } from './errors';
import type { WebSocketMessageEvent, WebSocketPayload } from './events';
import { resolveHeartbeat, type HeartbeatOptions, type ResolvedHeartbeat } from './heartbeat';
import type { SendQueueOptions } from './send-queue';
import type { ResolvedReconnect } from './session';
import type { WebSocketConstructor } from './web-socket-like';

/** How `fromWebSocket` reconnects. */
export interface ReconnectOptions {
  /**
   * Delay before each reconnection attempt, from the attempt number (from 1) and why the last one ended.
   * @default {@link defaultBackoff}
   */
  readonly backoff?: BackoffStrategy;
  /**
   * Whether to try again after a close or an error. A close the client asked for is never retried.
   * @default {@link defaultCloseCodePolicy}
   */
  readonly shouldReconnect?: ReconnectPolicy;
  /**
   * The most reconnection attempts in a row before giving up; 0 never reconnects.
   * @default Infinity
   */
  readonly maxAttempts?: number;
  /**
   * After a reconnection, how long the socket must stay open before the attempt count starts from 1 again.
   * @default 5000
   */
  readonly resetAfterMs?: number;
  /**
   * How long an attempt may take to open before it is abandoned and counts as failed
   * ({@link ConnectionTimeoutError}); `Infinity` waits as long as the platform does.
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
   * Ping after silence and drop a connection that stays silent (half-open detection).
   * @default undefined (no heartbeat)
   */
  readonly heartbeat?: HeartbeatOptions;
  /** Bounds of the queue for messages sent while not open. @default {@link DEFAULT_SEND_QUEUE} */
  readonly sendQueue?: SendQueueOptions;
  /**
   * How long the socket stays open after the last subscriber leaves, so that a quick resubscribe
   * (a route change) reuses it.
   * @default 0
   */
  readonly lingerMs?: number;
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
  readonly heartbeat: ResolvedHeartbeat | undefined;
  readonly sendQueue: SendQueueOptions | undefined;
  readonly lingerMs: number;
  readonly WebSocketCtor: WebSocketConstructor | undefined;
  readonly socketOptions: object | undefined;
}

const rawData = <In>(event: WebSocketMessageEvent): In => event.data as In;

/** Applies defaults and checks every option, throwing {@link InvalidOptionError} on the first bad one. */
export function resolveOptions<In, Out>(options: WebSocketOptions<In, Out> = {}): ResolvedOptions<In, Out> {
  if (typeof options !== 'object' || options === null) throw new InvalidOptionError('options', options, 'an object');
  const {
    serializer,
    deserializer = rawData<In>,
    decodeErrors = 'report',
    binaryType = 'arraybuffer',
    reconnect = true,
    sendQueue,
    lingerMs = 0,
    WebSocketCtor,
    socketOptions,
    heartbeat,
  } = options;
  if (serializer !== undefined && typeof serializer !== 'function')
    throw new InvalidOptionError('serializer', serializer, 'a function');
  if (typeof deserializer !== 'function') throw new InvalidOptionError('deserializer', deserializer, 'a function');
  if (decodeErrors !== 'report' && decodeErrors !== 'fatal')
    throw new InvalidOptionError('decodeErrors', decodeErrors, "'report' or 'fatal'");
  assertBinaryType(binaryType);
  assertDelay('lingerMs', lingerMs, false);
  if (WebSocketCtor !== undefined && typeof WebSocketCtor !== 'function') {
    throw new InvalidOptionError('WebSocketCtor', WebSocketCtor, 'a WebSocket constructor');
  }
  if (socketOptions !== undefined && (typeof socketOptions !== 'object' || socketOptions === null)) {
    throw new InvalidOptionError('socketOptions', socketOptions, 'an object');
  }
  if (typeof reconnect !== 'boolean' && (typeof reconnect !== 'object' || reconnect === null)) {
    throw new InvalidOptionError('reconnect', reconnect, 'true, false or an object');
  }
  const {
    backoff = defaultBackoff,
    shouldReconnect = defaultCloseCodePolicy,
    maxAttempts = DEFAULT_RECONNECT.maxAttempts,
    resetAfterMs = DEFAULT_RECONNECT.resetAfterMs,
    connectTimeoutMs = DEFAULT_RECONNECT.connectTimeoutMs,
  } = typeof reconnect === 'object' ? reconnect : {};
  if (typeof backoff !== 'function')
    throw new InvalidOptionError('reconnect.backoff', backoff, 'a function (attempt, reason) => delayMs');
  if (typeof shouldReconnect !== 'function') {
    throw new InvalidOptionError(
      'reconnect.shouldReconnect',
      shouldReconnect,
      'a function (reason, attempt) => boolean',
    );
  }
  if (!(maxAttempts === Infinity || (Number.isInteger(maxAttempts) && maxAttempts >= 0))) {
    throw new InvalidOptionError('reconnect.maxAttempts', maxAttempts, 'an integer ≥ 0, or Infinity');
  }
  assertDelay('reconnect.resetAfterMs', resetAfterMs, false);
  assertDelay('reconnect.connectTimeoutMs', connectTimeoutMs, true);
  if (connectTimeoutMs === 0)
    throw new InvalidOptionError(
      'reconnect.connectTimeoutMs',
      connectTimeoutMs,
      'a number of milliseconds > 0, or Infinity',
    );
  return {
    serializer,
    deserializer,
    decodeErrors,
    binaryType,
    reconnect:
      reconnect === false || maxAttempts === 0 ? undefined : { backoff, shouldReconnect, maxAttempts, resetAfterMs },
    connectTimeoutMs,
    heartbeat: resolveHeartbeat(heartbeat),
    sendQueue,
    lingerMs,
    WebSocketCtor,
    socketOptions,
  };
}

export function assertBinaryType(value: unknown): asserts value is 'arraybuffer' | 'blob' {
  if (value !== 'arraybuffer' && value !== 'blob')
    throw new InvalidOptionError('binaryType', value, "'arraybuffer' or 'blob'");
}

function assertDelay(name: string, value: unknown, infinityAllowed: boolean): void {
  const ok =
    typeof value === 'number' && value >= 0 && (Number.isFinite(value) || (infinityAllowed && value === Infinity));
  if (!ok)
    throw new InvalidOptionError(name, value, `a number of milliseconds ≥ 0${infinityAllowed ? ', or Infinity' : ''}`);
}
