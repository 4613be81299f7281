import { EmptyError, isObservable, Subscription, type Observable } from 'rxjs';
import { CallbackError } from './errors';
import { guard, Threw } from './guard';

/**
 * A value, or a function giving it (directly, as a Promise, or as an Observable) before every connection attempt.
 * A function that throws, rejects, errors or completes without a value fails that attempt with a `CallbackError` (hook
 * `'url'` or `'protocols'`, the original as `cause`), reported on `error$`; one that gives no value within
 * `connectTimeoutMs` fails it with a `ConnectionTimeoutError`. Either way the reconnection policy decides what follows
 * (the default retries).
 */
export type Source<T> = T | (() => T | PromiseLike<T> | Observable<T>);

/**
 * Takes the current value of `source` and hands it to `next`, or hands `fail` why there is none: a
 * {@link CallbackError} for the hook `name`, whose cause is what the provider threw, rejected with or errored with (an
 * RxJS `EmptyError` when its Observable completed without a value). A static value, or a function returning one, is
 * handed over synchronously and `undefined` is returned; otherwise the returned Subscription cancels the wait (the
 * Observable's first value, or the Promise's settlement). Nothing the provider does throws out of here.
 */
export function takeSource<T>(
  source: Source<T>,
  name: 'url' | 'protocols',
  next: (value: T) => void,
  fail: (error: CallbackError) => void,
): Subscription | undefined {
  if (typeof source !== 'function') {
    next(source);
    return undefined;
  }
  const waiting = new Subscription();
  /** Runs `settle` once, unless cancelled first. */
  const once =
    <A>(settle: (arg: A) => void) =>
    (arg: A): void => {
      if (waiting.closed) return;
      waiting.unsubscribe();
      settle(arg);
    };
  const failed = once((cause: unknown) => fail(new CallbackError(name, cause)));
  let value: unknown;
  let plain = false;
  // The call, and whatever reading its result runs (a `then` getter, a thenable's own `then`), is the application's.
  // `next` runs outside, after it: a failure of ours must not pass for the provider's.
  const threw = guard(
    (provider: () => unknown) => {
      value = provider();
      if (isObservable(value)) {
        const observable = value as Observable<T>;
        waiting.add(
          observable.subscribe({ next: once(next), error: failed, complete: () => failed(new EmptyError()) }),
        );
      } else if (typeof value === 'object' && value !== null && typeof (value as PromiseLike<T>).then === 'function') {
        (value as PromiseLike<T>).then(once(next), failed);
      } else plain = true;
    },
    source as () => unknown,
    (cause) => new CallbackError(name, cause),
  );
  if (threw instanceof Threw) failed(threw.error.cause);
  else if (plain) once(next)(value as T);
  return waiting.closed ? undefined : waiting;
}
