import { InvalidOptionError } from '../core/errors';

/**
 * How long to wait before a retry. `attempt` counts from 1 (the first retry); `reason` is the close event or
 * error that caused it. Returns the delay in milliseconds.
 */
export type BackoffStrategy = (attempt: number, reason?: unknown) => number;

/**
 * How a strategy spreads its delays, after the formulas in Marc Brooker's "Exponential Backoff And Jitter"
 * (AWS Architecture Blog), where `base` is the strategy's delay before jitter:
 *
 * | jitter | delay |
 * |---|---|
 * | `'full'` | uniform in [0, base) |
 * | `'equal'` | base / 2 + uniform in [0, base / 2) |
 * | `'decorrelated'` | min(maxDelayMs, uniform in [initialDelayMs, 3 × previous delay)), starting from initialDelayMs |
 * | `'none'` | base |
 */
export type Jitter = 'full' | 'equal' | 'decorrelated' | 'none';

/** A source of random numbers in [0, 1), such as `Math.random` or a seeded generator. */
export type RandomSource = () => number;

/** The longest delay timers honour: browsers and Node fire a longer timeout at once (it overflows a signed 32-bit integer). */
export const MAX_TIMER_DELAY_MS = 2_147_483_647;

/** Configuration of {@link exponentialBackoff}. */
export interface ExponentialBackoffConfig {
  /**
   * The delay of the first retry, before jitter. With `'decorrelated'` jitter it is also the least delay, so it must be above 0.
   * @default 1000
   */
  readonly initialDelayMs?: number;
  /**
   * The cap on every delay, applied before jitter (and to the result of `'decorrelated'` jitter).
   * @default 30_000
   */
  readonly maxDelayMs?: number;
  /**
   * How many times longer each retry waits than the one before, before jitter. `'decorrelated'` jitter grows by its own random factor and ignores it.
   * @default 2
   */
  readonly factor?: number;
  /**
   * How delays are spread so that clients that failed together do not retry together.
   * @default 'full'
   */
  readonly jitter?: Jitter;
  /**
   * Random numbers in [0, 1), drawn once per delay that needs one.
   * @default `Math.random`, read at every draw
   */
  readonly random?: RandomSource;
}

/**
 * Delays that grow geometrically: attempt 1 waits `initialDelayMs`, each next one `factor` times more, capped at
 * `maxDelayMs`, and then jittered.
 *
 * With `'decorrelated'` jitter the strategy remembers its previous delay, and starts again whenever it is asked
 * for attempt 1: give each retry sequence (each socket) its own instance.
 *
 * @throws {InvalidOptionError} when an option is out of range.
 */
export function exponentialBackoff({
  initialDelayMs = 1_000,
  maxDelayMs = 30_000,
  factor = 2,
  jitter = 'full',
  random = mathRandom,
}: ExponentialBackoffConfig = {}): BackoffStrategy {
  const name = 'exponentialBackoff';
  assertDelayRange(name, initialDelayMs, maxDelayMs);
  if (typeof factor !== 'number' || !Number.isFinite(factor) || factor < 1) {
    throw new InvalidOptionError('factor', factor, `${name} needs a finite number ≥ 1`);
  }
  // 0 × Infinity is NaN: a zero initial delay stays zero however far the attempts go.
  const baseDelayMs = (attempt: number): number =>
    initialDelayMs === 0 ? 0 : Math.min(maxDelayMs, initialDelayMs * factor ** (attempt - 1));
  return jittered(name, { jitter, random, initialDelayMs, maxDelayMs, baseDelayMs });
}

/** Configuration of {@link linearBackoff}. */
export interface LinearBackoffConfig {
  /**
   * The delay of the first retry, before jitter. With `'decorrelated'` jitter it is also the least delay, so it must be above 0.
   * @default 1000
   */
  readonly initialDelayMs?: number;
  /**
   * How much longer each retry waits than the one before, before jitter. `'decorrelated'` jitter grows by its own random factor and ignores it.
   * @default 1000
   */
  readonly incrementMs?: number;
  /**
   * The cap on every delay, applied before jitter (and to the result of `'decorrelated'` jitter).
   * @default 30_000
   */
  readonly maxDelayMs?: number;
  /**
   * How delays are spread so that clients that failed together do not retry together.
   * @default 'full'
   */
  readonly jitter?: Jitter;
  /**
   * Random numbers in [0, 1), drawn once per delay that needs one.
   * @default `Math.random`, read at every draw
   */
  readonly random?: RandomSource;
}

/**
 * Delays that grow by a fixed step: attempt 1 waits `initialDelayMs`, each next one `incrementMs` more, capped at
 * `maxDelayMs`, and then jittered.
 *
 * With `'decorrelated'` jitter the strategy remembers its previous delay, and starts again whenever it is asked
 * for attempt 1: give each retry sequence (each socket) its own instance.
 *
 * @throws {InvalidOptionError} when an option is out of range.
 */
export function linearBackoff({
  initialDelayMs = 1_000,
  incrementMs = 1_000,
  maxDelayMs = 30_000,
  jitter = 'full',
  random = mathRandom,
}: LinearBackoffConfig = {}): BackoffStrategy {
  const name = 'linearBackoff';
  assertDelayRange(name, initialDelayMs, maxDelayMs);
  if (typeof incrementMs !== 'number' || !Number.isFinite(incrementMs) || incrementMs < 0) {
    throw new InvalidOptionError('incrementMs', incrementMs, `${name} needs a finite number of milliseconds ≥ 0`);
  }
  const baseDelayMs = (attempt: number): number => Math.min(maxDelayMs, initialDelayMs + incrementMs * (attempt - 1));
  return jittered(name, { jitter, random, initialDelayMs, maxDelayMs, baseDelayMs });
}

/** Configuration of {@link constantBackoff}. */
export interface ConstantBackoffConfig {
  /**
   * The delay of every retry, before jitter.
   * @default 1000
   */
  readonly delayMs?: number;
  /**
   * How delays are spread. `'decorrelated'` is not offered: it wanders between a floor and a cap, and a constant
   * delay has no room between the two (use {@link linearBackoff} or {@link exponentialBackoff} for it).
   * @default 'none'
   */
  readonly jitter?: Exclude<Jitter, 'decorrelated'>;
  /**
   * Random numbers in [0, 1), drawn once per delay that needs one.
   * @default `Math.random`, read at every draw
   */
  readonly random?: RandomSource;
}

/**
 * The same delay before every retry, jittered if asked. Unjittered by default, because a constant delay is what
 * its name promises; add `jitter: 'full'` or `'equal'` when many clients share a server.
 *
 * @throws {InvalidOptionError} when an option is out of range.
 */
export function constantBackoff({
  delayMs = 1_000,
  jitter = 'none',
  random = mathRandom,
}: ConstantBackoffConfig = {}): BackoffStrategy {
  const name = 'constantBackoff';
  assertDelayMs(name, 'delayMs', delayMs);
  if ((jitter as Jitter) === 'decorrelated') {
    throw new InvalidOptionError(
      'jitter',
      jitter,
      `${name} cannot use 'decorrelated': a constant delay has no range to wander in; use linearBackoff or exponentialBackoff`,
    );
  }
  return jittered(name, { jitter, random, initialDelayMs: delayMs, maxDelayMs: delayMs, baseDelayMs: () => delayMs });
}

/** Configuration of {@link createDefaultBackoff}. */
export interface DefaultBackoffConfig {
  /**
   * Random numbers in [0, 1), one drawn per delay.
   * @default `Math.random`, read at every draw
   */
  readonly random?: RandomSource;
}

/** The default backoff's first retry waits uniformly between 0 and this: a mean of 1 s. */
export const DEFAULT_BACKOFF_FIRST_MAX_DELAY_MS = 2_000;
/** The default backoff's second retry waits between half of this and all of it (equal jitter). */
export const DEFAULT_BACKOFF_SECOND_DELAY_MS = 2_500;
/** How much the default backoff's base grows from each retry to the next, from the second on. */
export const DEFAULT_BACKOFF_FACTOR = 1.5;
/** The default backoff's cap: once reached, retries wait between half of this and all of it. */
export const DEFAULT_BACKOFF_MAX_DELAY_MS = 12_000;

/**
 * {@link defaultBackoff} drawing from your own random source: a seeded generator in simulations and specs.
 *
 * Stateless, so one instance may serve any number of sockets.
 */
export function createDefaultBackoff({ random = mathRandom }: DefaultBackoffConfig = {}): BackoffStrategy {
  const draw = drawFrom('createDefaultBackoff', random);
  return function jitteredDefaultBackoff(attempt: number): number {
    assertValidAttempt(attempt);
    // Retry 1: full jitter over the first maximum. Retry n ≥ 2: equal jitter over a base growing from the second delay.
    if (attempt === 1) return draw() * DEFAULT_BACKOFF_FIRST_MAX_DELAY_MS;
    const baseMs = Math.min(
      DEFAULT_BACKOFF_MAX_DELAY_MS,
      DEFAULT_BACKOFF_SECOND_DELAY_MS * DEFAULT_BACKOFF_FACTOR ** (attempt - 2),
    );
    return equalJitter(baseMs, draw());
  };
}

// Built on first use rather than at import: importing the library should cost nothing.
let mathRandomDefaultBackoff: BackoffStrategy | undefined;

/**
 * The library's default reconnection backoff.
 *
 * - Retry 1 waits uniformly 0–2 s (full jitter over {@link DEFAULT_BACKOFF_FIRST_MAX_DELAY_MS}).
 * - Retry n ≥ 2 waits uniformly between b/2 and b (equal jitter), where
 *   b = min(12 s, 2.5 s × 1.5^(n−2)): 1.25–2.5 s, 1.9–3.75 s, 2.8–5.6 s, 4.2–8.4 s, then 6–12 s for ever.
 *
 * Why these numbers. One user after a network blip wants to be back in about a second; ten thousand clients after a
 * server restart must not arrive at once. A uniform 0–2 s first wait is the fastest spread that keeps a crowd at
 * about 5% per 100 ms (a mean of 1 s; anything faster on average is denser somewhere). Equal jitter from the second
 * retry on keeps the crowd spread while guaranteeing a floor; growing by 1.5 rather than 2 keeps the bands narrow
 * enough that nobody overshoots a short outage by much. The 12 s cap keeps a dead server from being hit more than
 * about once per 9 s per client, and bounds how late anyone comes back: never more than 12 s after the server does.
 * The price: while the server is still down, first and second retries overlap, so in the first 2 s up to about 8%
 * of clients per 100 ms hit it (graphql-ws: about 4%); those attempts fail fast.
 *
 * Measured with `bench/storm.ts` (10,000 clients, all disconnected at t = 0, the server down for T seconds and
 * refusing every attempt at once until then, seed 1), as peak share of clients reconnecting per 100 ms once the
 * server is back / time until all are back, counted from the disconnection:
 *
 * | outage | this default | graphql-ws | socket.io-client | reconnecting-websocket |
 * |---|---|---|---|---|
 * | 0 s | 5.3% / 2.0 s | 4.1% / 4.0 s | 10.6% / 1.5 s | 2.8% / 5.0 s |
 * | 3 s | 5.1% / 6.7 s | 4.1% / 8.0 s | 5.4% / 8.0 s | 4.3% / 6.9 s |
 * | 10 s | 3.3% / 18.4 s | 3.0% / 20.9 s | 3.6% / 15.0 s | 2.6% / 17.3 s |
 * | 30 s | 1.5% / 41.8 s | 2.5% / 44.9 s | 3.4% / 35.0 s | 1.5% / 40.0 s |
 * | mean first retry | 1.0 s | 2.6 s | 1.0 s | 3.0 s |
 *
 * The 0 s peak is binomial noise around 5% (500 ± 22 clients per window), the price of a mean first retry of one
 * second; other seeds give 5.3–5.6%. The "all back" times are bounds that hold for every draw, not only this
 * one: by 2 s after a blip, 6.75 s after a 3 s outage, 18.44 s after 10 s, 42 s after 30 s.
 *
 * Stateless: one instance serves every socket. Uses `Math.random`; see {@link createDefaultBackoff} for another source.
 */
export function defaultBackoff(attempt: number, reason?: unknown): number {
  mathRandomDefaultBackoff ??= createDefaultBackoff();
  return mathRandomDefaultBackoff(attempt, reason);
}

/**
 * The default random source: reads `Math.random` on every draw (so that a spy or a patched `Math.random` is honoured),
 * never at import.
 */
export function mathRandom(): number {
  return Math.random();
}

/**
 * Throws unless `attempt` is what a {@link BackoffStrategy} accepts: an integer ≥ 1.
 * @internal
 */
export function assertValidAttempt(attempt: unknown): asserts attempt is number {
  if (!Number.isInteger(attempt) || (attempt as number) < 1) {
    throw new InvalidOptionError(
      'attempt',
      attempt,
      typeof __RXWS_DEV__ == 'undefined' || __RXWS_DEV__ ? 'an integer ≥ 1: retries count from 1' : '',
    );
  }
}

/**
 * Checks `random`, and returns a function drawing from it that checks every number drawn.
 * @throws {InvalidOptionError} when `random` is not a function; from the function returned, when a draw is not a
 * number in [0, 1).
 */
function drawFrom(name: string, random: RandomSource): () => number {
  if (typeof random !== 'function') {
    throw new InvalidOptionError(
      'random',
      random,
      typeof __RXWS_DEV__ == 'undefined' || __RXWS_DEV__ ? `${name} needs a function returning numbers in [0, 1)` : '',
    );
  }
  return () => {
    const value = random();
    if (typeof value !== 'number' || !(value >= 0 && value < 1)) {
      throw new InvalidOptionError(
        'random',
        value,
        typeof __RXWS_DEV__ == 'undefined' || __RXWS_DEV__
          ? `${name}: the random source must return numbers in [0, 1)`
          : '',
      );
    }
    return value;
  };
}

/** Half of `baseMs`, plus the share `draw` (in [0, 1)) of the other half. */
function equalJitter(baseMs: number, draw: number): number {
  // Halving a subnormal base rounds, and the sum could then exceed the base it must stay under.
  return Math.min(baseMs, baseMs / 2 + (draw * baseMs) / 2);
}

interface JitteredConfig {
  readonly jitter: Jitter;
  readonly random: RandomSource;
  readonly initialDelayMs: number;
  readonly maxDelayMs: number;
  readonly baseDelayMs: (attempt: number) => number;
}

const JITTERS: readonly Jitter[] = ['full', 'equal', 'decorrelated', 'none'];

function jittered(
  name: string,
  { jitter, random, initialDelayMs, maxDelayMs, baseDelayMs }: JitteredConfig,
): BackoffStrategy {
  if (!JITTERS.includes(jitter)) {
    throw new InvalidOptionError('jitter', jitter, `${name} needs one of ${JITTERS.map((j) => `'${j}'`).join(', ')}`);
  }
  const draw = drawFrom(name, random);
  if (jitter === 'decorrelated') {
    // Brooker's formula grows from its floor: with a floor of 0 it would stay at 0 for ever.
    if (initialDelayMs <= 0) {
      throw new InvalidOptionError(
        'initialDelayMs',
        initialDelayMs,
        `${name} with 'decorrelated' jitter needs it above 0`,
      );
    }
    let previousMs = initialDelayMs;
    return (attempt) => {
      assertValidAttempt(attempt);
      if (attempt === 1) previousMs = initialDelayMs;
      previousMs = Math.min(maxDelayMs, initialDelayMs + draw() * (previousMs * 3 - initialDelayMs));
      return previousMs;
    };
  }
  return (attempt) => {
    assertValidAttempt(attempt);
    const baseMs = baseDelayMs(attempt);
    switch (jitter) {
      case 'none':
        return baseMs;
      case 'full':
        return draw() * baseMs;
      case 'equal':
        return equalJitter(baseMs, draw());
    }
  };
}

function assertDelayMs(name: string, option: string, value: unknown): asserts value is number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0 || value > MAX_TIMER_DELAY_MS) {
    throw new InvalidOptionError(
      option,
      value,
      `${name} needs a finite number of milliseconds from 0 to ${MAX_TIMER_DELAY_MS}`,
    );
  }
}

function assertDelayRange(name: string, initialDelayMs: unknown, maxDelayMs: unknown): void {
  assertDelayMs(name, 'initialDelayMs', initialDelayMs);
  assertDelayMs(name, 'maxDelayMs', maxDelayMs);
  if (initialDelayMs > maxDelayMs) {
    throw new InvalidOptionError('maxDelayMs', maxDelayMs, `${name} needs it ≥ initialDelayMs (${initialDelayMs})`);
  }
}
