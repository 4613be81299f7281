import { firstValueFrom, type Observable, take, toArray, filter, timeout } from 'rxjs';
import type { ConnectionState, ConnectionStatus } from '../../lib/core/state';

/** Resolves with the first `count` values of `source` (bounded by `ms` so a broken spec fails instead of hanging). */
export function firstValues<T>(source: Observable<T>, count: number, ms = 5_000): Promise<T[]> {
  return firstValueFrom(source.pipe(take(count), toArray(), timeout(ms)));
}

/** Resolves when `state$` reaches `status`. */
export function whenStatus(
  state$: Observable<ConnectionState>,
  status: ConnectionStatus,
  ms = 5_000,
): Promise<ConnectionState> {
  return firstValueFrom(
    state$.pipe(
      filter((s) => s.status === status),
      timeout(ms),
    ),
  );
}

/** Collects every value and the way `source` ended. */
export function record<T>(source: Observable<T>): {
  values: T[];
  error?: unknown;
  completed: boolean;
  ended: Promise<void>;
} {
  const result: { values: T[]; error?: unknown; completed: boolean; ended: Promise<void> } = {
    values: [],
    completed: false,
    ended: Promise.resolve(),
  };
  result.ended = new Promise<void>((resolve) => {
    source.subscribe({
      next: (v) => result.values.push(v),
      error: (e: unknown) => {
        result.error = e;
        resolve();
      },
      complete: () => {
        result.completed = true;
        resolve();
      },
    });
  });
  return result;
}
