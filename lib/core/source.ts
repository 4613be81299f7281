import { isObservable, Subscription, type Observable } from 'rxjs';

/** A value, or a function giving it (directly, as a Promise, or as an Observable) before every connection attempt. */
export type Source<T> = T | (() => T | PromiseLike<T> | Observable<T>);

/**
 * Takes the current value of `source` and hands it to `next`, or hands `fail` why there is none. A static value,
 * or a function returning one, is handed over synchronously and `undefined` is returned; otherwise the returned
 * Subscription cancels the wait (the Observable's first value, or the Promise's settlement).
 */
export function takeSource<T>(
  source: Source<T>,
  name: string,
  next: (value: T) => void,
  fail: (error: unknown) => void,
): Subscription | undefined {
  if (typeof source !== 'function') {
    next(source);
    return undefined;
  }
  let value: T | PromiseLike<T> | Observable<T>;
  try {
    value = (source as () => T | PromiseLike<T> | Observable<T>)();
  } catch (error) {
    fail(error);
    return undefined;
  }
  if (!isObservable(value) && !isPromiseLike(value)) {
    next(value);
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
  if (isObservable(value)) {
    waiting.add(
      value.subscribe({
        next: once(next),
        error: once(fail),
        complete: once(() => fail(new Error(`the ${name} provider completed without giving a value`))),
      }),
    );
  } else {
    value.then(once(next), once(fail));
  }
  return waiting.closed ? undefined : waiting;
}

function isPromiseLike<T>(value: unknown): value is PromiseLike<T> {
  return typeof value === 'object' && value !== null && typeof (value as PromiseLike<T>).then === 'function';
}
