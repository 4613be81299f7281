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
  const failed = (cause: unknown): void => fail(new CallbackError(name, cause));
  const value = guard(
    source as () => T | PromiseLike<T> | Observable<T>,
    undefined,
    (cause) => new CallbackError(name, cause),
  );
  if (value instanceof Threw) {
    fail(value.error as CallbackError);
    return undefined;
  }
  // Reading `then` runs the application's code too (a getter, a Proxy).
  const kind = guard(kindOfValue, value, (cause) => new CallbackError(name, cause));
  if (kind instanceof Threw) {
    fail(kind.error as CallbackError);
    return undefined;
  }
  if (kind === 'value') {
    next(value as T);
    return undefined;
  }
  const waiting = new Subscription();
  /** Runs `settle` once, unless cancelled first. */
  const once =
    <A extends unknown[]>(settle: (...args: A) => void) =>
    (...args: A): void => {
      if (waiting.closed) return;
      waiting.unsubscribe();
      settle(...args);
    };
  if (kind === 'observable') {
    waiting.add(
      (value as Observable<T>).subscribe({
        next: once(next),
        error: once(failed),
        complete: once(() => failed(new EmptyError())),
      }),
    );
  } else {
    const settled = once(next);
    const rejected = once(failed);
    // A thenable's own `then` may throw: that is a rejection too.
    const called = guard(
      (thenable: PromiseLike<T>) => thenable.then(settled, rejected),
      value as PromiseLike<T>,
      (cause) => new CallbackError(name, cause),
    );
    if (called instanceof Threw) once(fail)(called.error as CallbackError);
  }
  return waiting.closed ? undefined : waiting;
}

/** Whether a provider gave an Observable, a Promise (or any thenable), or the value itself. */
function kindOfValue(value: unknown): 'observable' | 'promise' | 'value' {
  if (isObservable(value)) return 'observable';
  return typeof value === 'object' && value !== null && typeof (value as PromiseLike<unknown>).then === 'function'
    ? 'promise'
    : 'value';
}
