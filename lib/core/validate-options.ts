import { MAX_TIMER_DELAY_MS } from '../reconnect/backoff';
import { InvalidOptionError } from './errors';
import type { WebSocketOptions } from './options';

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

/**
 * Checks each option that `rules` lists in `source`, in order; `undefined` (the default) passes. Throws
 * {@link InvalidOptionError} on the first option that breaks its rule.
 */
function check(source: object, prefix: string, rules: Readonly<Record<string, Rule>>): void {
  for (const [name, [test, expected]] of Object.entries(rules)) {
    const value = (source as Record<string, unknown>)[name];
    if (value !== undefined && !test(value)) throw new InvalidOptionError(prefix + name, value, expected);
  }
}

/**
 * Checks every option of `fromWebSocket`, throwing {@link InvalidOptionError} on the first bad one. Development builds
 * and Node run it; the production browser build leaves it out (see `resolveOptions`).
 * @internal
 */
export function validateOptions(options: unknown): void {
  if (!isObject(options)) throw new InvalidOptionError('options', options, OBJECT[1]);
  check(options, '', {
    serializer: FUNCTION,
    deserializer: FUNCTION,
    decodeErrors: oneOf('report', 'fatal'),
    binaryType: oneOf('arraybuffer', 'blob'),
    lingerMs: DELAY,
    closeTimeoutMs: delayRule({ never: true }),
    WebSocketCtor: FUNCTION,
    socketOptions: OBJECT,
    reconnect: [(value) => typeof value === 'boolean' || isObject(value), 'true, false or an object'],
    // 0.1 took the heartbeat's settings here; they now go through heartbeat(), which checks them.
    heartbeat: [
      (value) => isObject(value) && typeof (value as { watch?: unknown }).watch === 'function',
      'a heartbeat made by heartbeat({ intervalMs, timeoutMs, ... })',
    ],
    tabs: [
      (value) => isObject(value) && typeof (value as { wrap?: unknown }).wrap === 'function',
      "a tab sharing made by shareAcrossTabs({ name: '...' })",
    ],
    lifecycle: [
      (value) => isObject(value) && typeof (value as { watch?: unknown }).watch === 'function',
      'a lifecycle made by pageLifecycle({ ... })',
    ],
  });
  const { reconnect } = options as WebSocketOptions<unknown, unknown>;
  if (isObject(reconnect))
    check(reconnect, 'reconnect.', {
      backoff: FUNCTION,
      shouldReconnect: FUNCTION,
      maxAttempts: [
        (value) => value === Infinity || (Number.isInteger(value) && (value as number) >= 0),
        'an integer ≥ 0, or Infinity',
      ],
      resetAfterMs: DELAY,
      connectTimeoutMs: delayRule({ above0: true, never: true }),
    });
}
