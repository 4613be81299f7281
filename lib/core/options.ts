import { defaultBackoff, MAX_TIMER_DELAY_MS, type BackoffStrategy } from '../reconnect/backoff';
import { defaultCloseCodePolicy, type ReconnectPolicy } from '../reconnect/close-codes';
import { InvalidOptionError } from './errors';
import type { WebSocketMessageEvent, WebSocketPayload } from './events';
import { resolveHeartbeat, type HeartbeatOptions, type ResolvedHeartbeat } from '../features/heartbeat/heartbeat';
import type { SendQueueOptions } from './send-queue';
import type { ResolvedReconnect } from './session';
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
   * Ping after silence and drop a connection that stays silent (half-open detection).
   * @default undefined (no heartbeat)
   */
  readonly heartbeat?: HeartbeatOptions;
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
  readonly heartbeat: ResolvedHeartbeat | undefined;
  readonly sendQueue: SendQueueOptions | undefined;
  readonly lingerMs: number;
  readonly WebSocketCtor: WebSocketConstructor | undefined;
  readonly socketOptions: object | undefined;
}

const rawData = <In>(event: WebSocketMessageEvent): In => event.data as In;

/** A rule an option's value must follow: the test, and what the message says the option takes. */
type Rule = readonly [test: (value: unknown) => boolean, expected: string];

const oneOf = (...values: string[]): Rule => [
  (value) => values.includes(value as string),
  values.map((value) => `'${value}'`).join(' or '),
];
const FUNCTION: Rule = [(value) => typeof value === 'function', 'a function'];
const isObject = (value: unknown): value is object => typeof value === 'object' && value !== null;
const OBJECT: Rule = [isObject, 'an object'];

/** What a delay option takes, besides a finite number of milliseconds up to {@link MAX_TIMER_DELAY_MS}. */
export interface DelayRange {
  /** Whether 0 is refused (a timeout that would fire before anything could happen). @default false */
  readonly above0?: boolean;
  /** Whether `Infinity` is taken, meaning "never". @default false */
  readonly never?: boolean;
}

/**
 * The one range check of every delay option (`connectTimeoutMs`, `lingerMs`, `resetAfterMs`, the heartbeat's
 * `intervalMs` and `timeoutMs`): a number of milliseconds from 0 (or above 0) to {@link MAX_TIMER_DELAY_MS}, the longest
 * delay timers honour (browsers and Node fire a longer one at once), or `Infinity` where `range.never` allows it.
 * Returns the test and what the message says the option takes.
 * @internal
 */
export function delayRule({ above0 = false, never = false }: DelayRange = {}): Rule {
  return [
    (value) =>
      typeof value === 'number' &&
      ((never && value === Infinity) || (value <= MAX_TIMER_DELAY_MS && (above0 ? value > 0 : value >= 0))),
    `a number of milliseconds ${above0 ? 'above 0' : 'from 0'} to ${MAX_TIMER_DELAY_MS}${never ? ', or Infinity (never)' : ''}`,
  ];
}

/**
 * Throws {@link InvalidOptionError}, naming `option`, unless `value` follows {@link delayRule} for `range`.
 * @internal
 */
export function assertDelayMs(option: string, value: unknown, range?: DelayRange): asserts value is number {
  const [test, expected] = delayRule(range);
  if (!test(value)) throw new InvalidOptionError(option, value, expected);
}

const DELAY = delayRule();
const BINARY_TYPE = oneOf('arraybuffer', 'blob');

/**
 * Reads each option that `rules` lists from `source`, in order: the default where it is `undefined`, then the rule
 * (which `undefined`, left for options without a default, passes). Throws {@link InvalidOptionError} on the first
 * option that breaks its rule.
 */
function read(
  source: object,
  prefix: string,
  rules: Readonly<Record<string, readonly [rule: Rule, fallback?: unknown]>>,
): Record<string, unknown> {
  const values: Record<string, unknown> = {};
  for (const [name, [[test, expected], fallback]] of Object.entries(rules)) {
    const given = (source as Record<string, unknown>)[name];
    const value = given === undefined ? fallback : given;
    if (value !== undefined && !test(value)) throw new InvalidOptionError(prefix + name, value, expected);
    values[name] = value;
  }
  return values;
}

/** Applies defaults and checks every option, throwing {@link InvalidOptionError} on the first bad one. */
export function resolveOptions<In, Out>(options: WebSocketOptions<In, Out> = {}): ResolvedOptions<In, Out> {
  if (!isObject(options)) throw new InvalidOptionError('options', options, OBJECT[1]);
  const top = read(options, '', {
    serializer: [FUNCTION],
    deserializer: [FUNCTION, rawData],
    decodeErrors: [oneOf('report', 'fatal'), 'report'],
    binaryType: [BINARY_TYPE, 'arraybuffer'],
    lingerMs: [DELAY, 0],
    closeTimeoutMs: [DELAY, 5_000],
    WebSocketCtor: [FUNCTION],
    socketOptions: [OBJECT],
    reconnect: [[(value) => typeof value === 'boolean' || isObject(value), 'true, false or an object'], true],
  });
  const given = top.reconnect;
  const { connectTimeoutMs, ...reconnect } = isObject(given)
    ? read(given, 'reconnect.', {
        backoff: [FUNCTION, defaultBackoff],
        shouldReconnect: [FUNCTION, defaultCloseCodePolicy],
        maxAttempts: [
          [
            (value) => value === Infinity || (Number.isInteger(value) && (value as number) >= 0),
            'an integer ≥ 0, or Infinity',
          ],
          DEFAULT_RECONNECT.maxAttempts,
        ],
        resetAfterMs: [DELAY, DEFAULT_RECONNECT.resetAfterMs],
        connectTimeoutMs: [delayRule({ above0: true, never: true }), DEFAULT_RECONNECT.connectTimeoutMs],
      })
    : { ...DEFAULT_RESOLVED_RECONNECT, connectTimeoutMs: DEFAULT_RECONNECT.connectTimeoutMs };
  // One object of a fixed shape per socket; the default reconnection settings are shared by every socket.
  return {
    serializer: top.serializer,
    deserializer: top.deserializer,
    decodeErrors: top.decodeErrors,
    binaryType: top.binaryType,
    reconnect:
      given === false || reconnect.maxAttempts === 0
        ? undefined
        : given === true
          ? DEFAULT_RESOLVED_RECONNECT
          : (reconnect as unknown as ResolvedReconnect),
    connectTimeoutMs,
    closeTimeoutMs: top.closeTimeoutMs,
    heartbeat: resolveHeartbeat(options.heartbeat),
    sendQueue: options.sendQueue,
    lingerMs: top.lingerMs,
    WebSocketCtor: top.WebSocketCtor,
    socketOptions: top.socketOptions,
  } as ResolvedOptions<In, Out>;
}

/** `reconnect: true` resolved (the connect timeout is an option of its own once resolved). */
const DEFAULT_RESOLVED_RECONNECT: ResolvedReconnect = {
  backoff: defaultBackoff,
  shouldReconnect: defaultCloseCodePolicy,
  maxAttempts: DEFAULT_RECONNECT.maxAttempts,
  resetAfterMs: DEFAULT_RECONNECT.resetAfterMs,
};

/** Throws {@link InvalidOptionError} unless `value` is a `binaryType` this library takes. */
export function assertBinaryType(value: unknown): asserts value is 'arraybuffer' | 'blob' {
  if (!BINARY_TYPE[0](value)) throw new InvalidOptionError('binaryType', value, BINARY_TYPE[1]);
}
