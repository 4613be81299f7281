import { type MonoTypeOperatorFunction, retry, throwError, timer } from 'rxjs';
import { assertValidAttempt, type BackoffStrategy, defaultBackoff, MAX_TIMER_DELAY_MS } from './backoff';
import { minimumRetryDelayMs } from './close-codes';
import { InvalidOptionError } from '../core/errors';

/** Configuration of {@link retryWithBackoff}. */
export interface RetryWithBackoffConfig {
  /**
   * The delay before each retry. 1012 (Service Restart) and 1013 (Try Again Later) closes wait at least 2 s and 5 s
   * whatever it says; see {@link retryDelayMs}.
   * @default {@link defaultBackoff}
   */
  readonly backoff?: BackoffStrategy;
  /**
   * How many retries to make before giving up and passing the error on: an integer ≥ 0, or `Infinity`.
   * @default Infinity
   */
  readonly maxAttempts?: number;
  /**
   * Whether to retry after `error`; `attempt` is the number of the retry that would be made, from 1.
   * @default {@link alwaysRetry}
   */
  readonly shouldRetry?: (error: unknown, attempt: number) => boolean;
  /**
   * Start counting attempts from 1 again (and restart the backoff) once the source emits a value after a retry.
   * @default false
   */
  readonly resetOnSuccess?: boolean;
}

/** The inputs of the retry decision, every one of them required: the caller applies its own defaults. */
export interface RetryPlanOptions {
  /** The delay before each retry. */
  readonly backoff: BackoffStrategy;
  /** Retries allowed in all: an integer ≥ 0, or `Infinity`. */
  readonly maxAttempts: number;
  /** Whether to retry after `error`; `attempt` is the number of the retry that would be made, from 1. */
  readonly shouldRetry: (error: unknown, attempt: number) => boolean;
}

/** What to do after a failure: retry after `delayMs`, or stop. */
export type RetryPlan =
  | {
      /** Retry. */
      readonly retry: true;
      /** After this many milliseconds. */
      readonly delayMs: number;
    }
  | {
      /** Stop: the error goes downstream. */
      readonly retry: false;
    };

/**
 * The delay before retry number `attempt` after `reason`: what `backoff` says, but never less than the minimum a
 * 1012 or 1013 close calls for ({@link minimumRetryDelayMs}).
 *
 * @throws {InvalidOptionError} when `attempt` is not an integer ≥ 1, or `backoff` returns something that is not a
 * delay a timer can honour (a finite number from 0 to {@link MAX_TIMER_DELAY_MS}).
 */
export function retryDelayMs(reason: unknown, attempt: number, backoff: BackoffStrategy): number {
  assertValidAttempt(attempt);
  const delayMs = backoff(attempt, reason);
  // NaN and ±Infinity fail the range test.
  if (typeof delayMs !== 'number' || !(delayMs >= 0 && delayMs <= MAX_TIMER_DELAY_MS)) {
    throw new InvalidOptionError(
      'backoff',
      delayMs,
      typeof __RXWS_DEV__ == 'undefined' || __RXWS_DEV__
        ? `it must return milliseconds from 0 to ${MAX_TIMER_DELAY_MS}`
        : '',
    );
  }
  return Math.max(delayMs, minimumRetryDelayMs(reason));
}

/**
 * The whole retry decision, in one pure function. `attempt` is the number of the retry about to be made, from 1.
 *
 * Stops when `attempt` exceeds `maxAttempts`, or when `shouldRetry(reason, attempt)` says no (it is not asked once
 * the attempts are spent); otherwise retries after {@link retryDelayMs}.
 */
export function planRetry(
  reason: unknown,
  attempt: number,
  { backoff, maxAttempts, shouldRetry }: RetryPlanOptions,
): RetryPlan {
  assertValidAttempt(attempt);
  if (attempt > maxAttempts || !shouldRetry(reason, attempt)) return { retry: false };
  return { retry: true, delayMs: retryDelayMs(reason, attempt, backoff) };
}

/**
 * Resubscribes to the source after it errors, waiting out a backoff first: RxJS `retry` with the decision made by
 * {@link planRetry} and the wait by `timer`, so that `TestScheduler.run` controls it. When the plan says stop, the
 * error that caused it goes downstream.
 *
 * @throws {InvalidOptionError} when `maxAttempts` is neither an integer ≥ 0 nor `Infinity`.
 */
export function retryWithBackoff<T>({
  backoff = defaultBackoff,
  maxAttempts = Infinity,
  shouldRetry = alwaysRetry,
  resetOnSuccess = false,
}: RetryWithBackoffConfig = {}): MonoTypeOperatorFunction<T> {
  if (
    typeof maxAttempts !== 'number' ||
    !(Number.isInteger(maxAttempts) || maxAttempts === Infinity) ||
    maxAttempts < 0
  ) {
    throw new InvalidOptionError('maxAttempts', maxAttempts, 'retryWithBackoff needs an integer ≥ 0, or Infinity');
  }
  if (typeof backoff !== 'function')
    throw new InvalidOptionError('backoff', backoff, 'retryWithBackoff needs a function (attempt, reason) => delayMs');
  if (typeof shouldRetry !== 'function')
    throw new InvalidOptionError(
      'shouldRetry',
      shouldRetry,
      'retryWithBackoff needs a function (error, attempt) => boolean',
    );
  const options: RetryPlanOptions = { backoff, maxAttempts, shouldRetry };
  return retry<T>({
    count: maxAttempts,
    resetOnSuccess,
    delay: (error: unknown, attempt: number) => {
      const plan = planRetry(error, attempt, options);
      return plan.retry ? timer(plan.delayMs) : throwError(() => error);
    },
  });
}

/** The default `shouldRetry`: every error is worth another try. */
export function alwaysRetry(): boolean {
  return true;
}
