import { EMPTY, EmptyError, firstValueFrom, lastValueFrom, Observable, of, toArray } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { CallbackError } from '../../lib/core/errors';
import { takeSource, type Source } from '../../lib/core/source';

/** The value `takeSource` hands over, as a one-value Observable: subscribing takes it, unsubscribing cancels the wait. */
function resolveSource<T>(source: Source<T>, name: 'url' | 'protocols'): Observable<T> {
  return new Observable<T>((subscriber) =>
    takeSource(
      source,
      name,
      (value) => {
        subscriber.next(value);
        subscriber.complete();
      },
      (error) => subscriber.error(error),
    ),
  );
}

function testScheduler(): TestScheduler {
  return new TestScheduler((actual, expected) => expect(actual).toEqual(expected));
}

/** What a provider's failure arrives as: a CallbackError naming its hook, with what it threw as the cause. */
const callbackError = (hook: 'url' | 'protocols', cause: unknown): unknown =>
  expect.objectContaining({ constructor: CallbackError, code: 'ERR_CALLBACK', hook, cause });

/** Subscribes and reports what arrived before `subscribe` returned. */
function synchronously<T>(source: Observable<T>): { values: T[]; completed: boolean; error?: unknown } {
  const seen: { values: T[]; completed: boolean; error?: unknown } = { values: [], completed: false };
  source
    .subscribe({
      next: (value) => seen.values.push(value),
      error: (error: unknown) => (seen.error = error),
      complete: () => (seen.completed = true),
    })
    .unsubscribe();
  return seen;
}

describe('takeSource', () => {
  describe('for a static value', () => {
    it('emits it synchronously, then completes', () => {
      expect(synchronously(resolveSource('wss://feed.example/', 'url'))).toEqual({
        values: ['wss://feed.example/'],
        completed: true,
      });
    });

    it('emits a URL object, an array, or undefined as it is', () => {
      const url = new URL('wss://feed.example/');
      const protocols = ['v2.feed'];
      expect(synchronously(resolveSource(url, 'url')).values[0]).toBe(url);
      expect(synchronously(resolveSource(protocols, 'protocols')).values[0]).toBe(protocols);
      expect(synchronously(resolveSource(undefined, 'protocols'))).toEqual({ values: [undefined], completed: true });
    });
  });

  describe('for a function', () => {
    it('calls it on each subscription, not before', () => {
      let calls = 0;
      const source = resolveSource(() => `wss://feed.example/?n=${++calls}`, 'url');
      expect(calls).toBe(0);
      expect(synchronously(source).values).toEqual(['wss://feed.example/?n=1']);
      expect(synchronously(source).values).toEqual(['wss://feed.example/?n=2']);
      expect(calls).toBe(2);
    });

    it('emits a plain return value synchronously, then completes', () => {
      expect(synchronously(resolveSource(() => 'wss://feed.example/', 'url'))).toEqual({
        values: ['wss://feed.example/'],
        completed: true,
      });
    });

    it.each([
      ['a URL object', new URL('wss://feed.example/')],
      ['null', null],
      ['undefined', undefined],
      ['an object whose then is not a function', { then: 'later' }],
    ])('emits %s it returns as it is: only an object with a then method is waited for', (_, value) => {
      expect(synchronously(resolveSource(() => value as never, 'url'))).toEqual({ values: [value], completed: true });
    });

    it('errors the subscription with a CallbackError, rather than throwing, when the function throws', () => {
      const failure = new Error('no token');
      const source = resolveSource<string>(() => {
        throw failure;
      }, 'url');
      const seen = synchronously(source);
      expect(seen).toEqual({ values: [], completed: false, error: callbackError('url', failure) });
      expect(seen.error).toBeInstanceOf(CallbackError);
      expect((seen.error as Error).message).not.toContain('no token');
    });

    it('names the hook of the provider that failed', () => {
      const failure = new TypeError('boom');
      const source = resolveSource<string[]>(() => {
        throw failure;
      }, 'protocols');
      expect(synchronously(source).error).toEqual(callbackError('protocols', failure));
    });

    it('errors with a CallbackError when reading what it returned throws (a getter for then)', () => {
      const failure = new Error('getter');
      const hostile = {
        get then(): unknown {
          throw failure;
        },
      };
      const seen = synchronously(resolveSource(() => hostile as unknown as string, 'url'));
      expect(seen.error).toEqual(callbackError('url', failure));
    });

    describe('returning a Promise', () => {
      it('emits what it resolves to, then completes', async () => {
        const source = resolveSource(() => Promise.resolve('wss://feed.example/'), 'url');
        expect(await lastValueFrom(source.pipe(toArray()))).toEqual(['wss://feed.example/']);
      });

      it('errors with a CallbackError holding what it rejects with', async () => {
        const failure = new Error('token service down');
        await expect(firstValueFrom(resolveSource<string>(() => Promise.reject(failure), 'url'))).rejects.toEqual(
          callbackError('url', failure),
        );
      });

      it("errors with a CallbackError when a thenable's then throws", () => {
        const failure = new Error('then');
        const thenable = {
          then(): never {
            throw failure;
          },
        };
        const seen = synchronously(resolveSource(() => thenable as unknown as PromiseLike<string>, 'url'));
        expect(seen.error).toEqual(callbackError('url', failure));
      });

      it('accepts any thenable', async () => {
        const thenable: PromiseLike<string> = {
          then: (resolve) => Promise.resolve('wss://feed.example/').then(resolve),
        };
        expect(await firstValueFrom(resolveSource(() => thenable, 'url'))).toBe('wss://feed.example/');
      });
    });

    describe('returning an Observable', () => {
      it('emits its first value when it comes, then completes and lets go of it', () => {
        testScheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
          const urls = cold('--a--b|', { a: 'wss://a.example/', b: 'wss://b.example/' });
          expectObservable(resolveSource(() => urls, 'url')).toBe('--(a|)', { a: 'wss://a.example/' });
          expectSubscriptions(urls.subscriptions).toBe('^-!');
        });
      });

      it('errors with a CallbackError holding its error', () => {
        testScheduler().run(({ cold, expectObservable }) => {
          const failure = new Error('no endpoint');
          expectObservable(resolveSource(() => cold<string>('---#', undefined, failure), 'url')).toBe(
            '---#',
            undefined,
            callbackError('url', failure),
          );
        });
      });

      it('errors with a CallbackError naming the provider, its cause an EmptyError, when it completes without a value', () => {
        const url = synchronously(resolveSource<string>(() => EMPTY, 'url'));
        expect(url.error).toEqual(callbackError('url', expect.any(EmptyError)));
        const protocols = synchronously(resolveSource<string[]>(() => EMPTY, 'protocols'));
        expect(protocols.error).toEqual(callbackError('protocols', expect.any(EmptyError)));
        expect((protocols.error as Error).message).toMatch(/\bprotocols\b.*EmptyError/);
      });

      it('errors when it completes without a value later, in virtual time', () => {
        testScheduler().run(({ cold, expectObservable }) => {
          const source = resolveSource(() => cold<string>('----|'), 'url');
          expectObservable(source).toBe('----#', undefined, callbackError('url', expect.any(EmptyError)));
        });
      });

      it('emits synchronously when the Observable does', () => {
        expect(synchronously(resolveSource(() => of('wss://feed.example/'), 'url'))).toEqual({
          values: ['wss://feed.example/'],
          completed: true,
        });
      });
    });
  });
});
