import { defer, from, isObservable, type Observable, of, take, throwIfEmpty } from 'rxjs';

/** A value, or a function giving it (directly, as a Promise, or as an Observable) before every connection attempt. */
export type Source<T> = T | (() => T | PromiseLike<T> | Observable<T>);

/** The current value of `source` as a one-value Observable. Static values stay synchronous. */
export function resolveSource<T>(source: Source<T>, name: string): Observable<T> {
  if (typeof source !== 'function') return of(source);
  return defer(() => {
    const value = (source as () => T | PromiseLike<T> | Observable<T>)();
    if (isObservable(value) || isPromiseLike(value)) {
      return from(value).pipe(
        take(1),
        throwIfEmpty(() => new Error(`the ${name} provider completed without giving a value`)),
      );
    }
    return of(value);
  });
}

function isPromiseLike<T>(value: unknown): value is PromiseLike<T> {
  return typeof value === 'object' && value !== null && typeof (value as PromiseLike<T>).then === 'function';
}
