import { concat, defer, of, take, throwError } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import {
  type BackoffStrategy,
  constantBackoff,
  exponentialBackoff,
  MAX_TIMER_DELAY_MS,
} from '../../lib/reconnect/backoff';
import { defaultCloseCodePolicy } from '../../lib/reconnect/close-codes';
import { InvalidOptionError, WebSocketCloseError } from '../../lib/core/errors';
import { alwaysRetry, planRetry, retryDelayMs, retryWithBackoff } from '../../lib/reconnect/retry-with-backoff';

const closedWith = (code: number): WebSocketCloseError => new WebSocketCloseError({ code, reason: '', wasClean: true });

/** 10 ms before retry 1, 20 ms before retry 2, and so on: easy to read off a marble diagram. */
const tenTimesAttempt: BackoffStrategy = (attempt) => attempt * 10;

function testScheduler(): TestScheduler {
  return new TestScheduler((actual, expected) => expect(actual).toEqual(expected));
}

describe('retryDelayMs', () => {
  it('is what the backoff says, given the attempt and the reason', () => {
    const backoff = jest.fn<number, [number, unknown?]>(() => 150);
    const reason = closedWith(1006);
    expect(retryDelayMs(reason, 3, backoff)).toBe(150);
    expect(backoff).toHaveBeenCalledWith(3, reason);
  });

  describe('after a 1012 (Service Restart) close', () => {
    it('waits at least 2 s', () => {
      expect(retryDelayMs(closedWith(1012), 1, () => 100)).toBe(2_000);
    });

    it('waits longer when the backoff says so', () => {
      expect(retryDelayMs(closedWith(1012), 1, () => 2_500)).toBe(2_500);
    });
  });

  describe('after a 1013 (Try Again Later) close', () => {
    it('waits at least 5 s', () => {
      expect(retryDelayMs(closedWith(1013), 1, () => 0)).toBe(5_000);
      expect(retryDelayMs({ code: 1013, reason: '', wasClean: true }, 1, () => 0)).toBe(5_000);
    });
  });

  describe('when the backoff returns something no timer can wait', () => {
    it.each([NaN, -1, Infinity, MAX_TIMER_DELAY_MS + 1])('rejects %p', (delayMs) => {
      expect(() => retryDelayMs(new Error('down'), 1, () => delayMs)).toThrow(InvalidOptionError);
    });

    it('rejects a number in a string, which a comparison alone would take', () => {
      expect(() => retryDelayMs(new Error('down'), 1, () => '500' as unknown as number)).toThrow(InvalidOptionError);
    });

    it('names the backoff and the range it must keep to', () => {
      expect(() => retryDelayMs(new Error('down'), 1, () => -1)).toThrow(
        expect.objectContaining({
          option: 'backoff',
          message: expect.stringContaining(`it must return milliseconds from 0 to ${MAX_TIMER_DELAY_MS}`),
        }),
      );
    });
  });

  it('accepts the longest delay a timer can wait, and none', () => {
    expect(retryDelayMs(new Error('down'), 1, () => MAX_TIMER_DELAY_MS)).toBe(MAX_TIMER_DELAY_MS);
    expect(retryDelayMs(new Error('down'), 1, () => 0)).toBe(0);
  });

  it.each([0, 1.5, -2])('rejects attempt %p', (attempt) => {
    expect(() => retryDelayMs(new Error('down'), attempt, () => 1)).toThrow(/integer ≥ 1/);
  });
});

describe('planRetry', () => {
  const options = { backoff: tenTimesAttempt, maxAttempts: 3, shouldRetry: alwaysRetry };

  it('retries after the backoff delay while attempts remain', () => {
    expect(planRetry(new Error('down'), 1, options)).toEqual({ retry: true, delayMs: 10 });
    expect(planRetry(new Error('down'), 3, options)).toEqual({ retry: true, delayMs: 30 });
  });

  it('stops once the attempt would exceed maxAttempts, without asking shouldRetry', () => {
    const shouldRetry = jest.fn(() => true);
    expect(planRetry(new Error('down'), 4, { ...options, shouldRetry })).toEqual({ retry: false });
    expect(shouldRetry).not.toHaveBeenCalled();
  });

  it('never retries with maxAttempts 0', () => {
    expect(planRetry(new Error('down'), 1, { ...options, maxAttempts: 0 })).toEqual({ retry: false });
  });

  it('retries for ever with maxAttempts Infinity', () => {
    expect(planRetry(new Error('down'), 1_000_000, { ...options, maxAttempts: Infinity })).toEqual({
      retry: true,
      delayMs: 10_000_000,
    });
  });

  it('stops when shouldRetry says no, and asks it with the reason and the attempt', () => {
    const reason = closedWith(1008);
    const shouldRetry = jest.fn(defaultCloseCodePolicy);
    expect(planRetry(reason, 2, { ...options, shouldRetry })).toEqual({ retry: false });
    expect(shouldRetry).toHaveBeenCalledWith(reason, 2);
  });

  it('applies the 1013 minimum delay', () => {
    expect(planRetry(closedWith(1013), 1, options)).toEqual({ retry: true, delayMs: 5_000 });
  });
});

describe('retryWithBackoff', () => {
  afterEach(() => jest.restoreAllMocks());

  describe('when the source keeps failing', () => {
    it('resubscribes after each backoff delay, then passes the error on once maxAttempts are spent', () => {
      testScheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
        const error = new Error('refused');
        const source = cold('#', undefined, error);
        expectObservable(source.pipe(retryWithBackoff({ backoff: tenTimesAttempt, maxAttempts: 3 }))).toBe(
          '60ms #',
          undefined,
          error,
        );
        expectSubscriptions(source.subscriptions).toBe(['(^!)', '10ms (^!)', '30ms (^!)', '60ms (^!)']);
      });
    });

    it('passes values through between failures', () => {
      testScheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
        const source = cold('a-#');
        expectObservable(source.pipe(retryWithBackoff({ backoff: tenTimesAttempt, maxAttempts: 1 }))).toBe(
          'a- 10ms a-#',
        );
        expectSubscriptions(source.subscriptions).toBe(['^-!', '12ms ^-!']);
      });
    });

    it('does not retry with maxAttempts 0', () => {
      testScheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
        const source = cold('#');
        expectObservable(source.pipe(retryWithBackoff({ backoff: tenTimesAttempt, maxAttempts: 0 }))).toBe('#');
        expectSubscriptions(source.subscriptions).toBe(['(^!)']);
      });
    });

    it('retries for ever by default', () => {
      testScheduler().run(({ cold, expectObservable }) => {
        const source = cold('a#');
        expectObservable(source.pipe(retryWithBackoff({ backoff: constantBackoff({ delayMs: 1_000 }) }), take(4))).toBe(
          'a 1000ms a 1000ms a 1000ms (a|)',
        );
      });
    });
  });

  describe('when shouldRetry says no', () => {
    it('stops at that attempt and passes the error on', () => {
      testScheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
        const source = cold('#');
        const shouldRetry = (_: unknown, attempt: number): boolean => attempt < 3;
        expectObservable(source.pipe(retryWithBackoff({ backoff: tenTimesAttempt, shouldRetry }))).toBe('30ms #');
        expectSubscriptions(source.subscriptions).toBe(['(^!)', '10ms (^!)', '30ms (^!)']);
      });
    });

    it('stops at once on an error the close-code policy will not retry', () => {
      testScheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
        const error = closedWith(1008);
        const source = cold('#', undefined, error);
        expectObservable(
          source.pipe(retryWithBackoff({ backoff: tenTimesAttempt, shouldRetry: defaultCloseCodePolicy })),
        ).toBe('#', undefined, error);
        expectSubscriptions(source.subscriptions).toBe(['(^!)']);
      });
    });
  });

  describe('with resetOnSuccess', () => {
    it('counts attempts from 1 again after the source emits', () => {
      testScheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
        const source = cold('a#');
        expectObservable(
          source.pipe(retryWithBackoff({ backoff: tenTimesAttempt, maxAttempts: 2, resetOnSuccess: true }), take(4)),
        ).toBe('a 10ms a 10ms a 10ms (a|)');
        expectSubscriptions(source.subscriptions).toBe(['^!', '11ms ^!', '22ms ^!', '33ms (^!)']);
      });
    });

    it('keeps counting without it', () => {
      testScheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
        const source = cold('a#');
        expectObservable(source.pipe(retryWithBackoff({ backoff: tenTimesAttempt, maxAttempts: 2 }))).toBe(
          'a 10ms a 20ms a#',
        );
        expectSubscriptions(source.subscriptions).toBe(['^!', '11ms ^!', '32ms ^!']);
      });
    });
  });

  describe('after a 1012 or 1013 close', () => {
    it.each([
      [1012, 2_000],
      [1013, 5_000],
    ])('waits at least the minimum %p calls for (%p ms)', (code, minimumMs) => {
      testScheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
        const error = new WebSocketCloseError({ code, reason: '', wasClean: true });
        const source = cold('#', undefined, error);
        expectObservable(
          source.pipe(retryWithBackoff({ backoff: constantBackoff({ delayMs: 100 }), maxAttempts: 1 })),
        ).toBe(`${minimumMs}ms #`, undefined, error);
        expectSubscriptions(source.subscriptions).toBe(['(^!)', `${minimumMs}ms (^!)`]);
      });
    });

    it('waits the backoff delay after other closes', () => {
      testScheduler().run(({ cold, expectObservable }) => {
        const source = cold('#', undefined, closedWith(1006));
        expectObservable(
          source.pipe(retryWithBackoff({ backoff: constantBackoff({ delayMs: 100 }), maxAttempts: 1 })),
        ).toBe('100ms #', undefined, closedWith(1006));
      });
    });
  });

  describe('by default', () => {
    it('waits the default backoff: 0–2 s, then 1.25–2.5 s', () => {
      jest.spyOn(Math, 'random').mockReturnValue(0.5);
      testScheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
        const source = cold('#');
        expectObservable(source.pipe(retryWithBackoff({ maxAttempts: 2 }))).toBe('2875ms #');
        expectSubscriptions(source.subscriptions).toBe(['(^!)', '1000ms (^!)', '2875ms (^!)']);
      });
    });
  });

  describe('with decorrelated jitter and resetOnSuccess', () => {
    it('restarts the jitter sequence when a success resets the attempt count', () => {
      testScheduler().run(({ expectObservable }) => {
        // 20 ms, then 35 ms; after the success at 55 ms, 20 ms and 35 ms again.
        const backoff = exponentialBackoff({
          initialDelayMs: 10,
          maxDelayMs: 1_000,
          jitter: 'decorrelated',
          random: () => 0.5,
        });
        let subscriptions = 0;
        const source = defer(() => {
          subscriptions++;
          return subscriptions === 3 || subscriptions === 5
            ? concat(
                of('a'),
                throwError(() => new Error('dropped')),
              )
            : throwError(() => new Error('refused'));
        });
        expectObservable(source.pipe(retryWithBackoff({ backoff, resetOnSuccess: true }), take(2))).toBe(
          '55ms a 54ms (a|)',
        );
      });
    });
  });

  describe('when created', () => {
    it.each([-1, 1.5, NaN, '3' as unknown as number])('rejects maxAttempts %p', (maxAttempts) => {
      expect(() => retryWithBackoff({ maxAttempts })).toThrow(InvalidOptionError);
    });

    it.each([0, 5, Infinity])('accepts maxAttempts %p', (maxAttempts) => {
      expect(() => retryWithBackoff({ maxAttempts })).not.toThrow();
    });

    it('names maxAttempts and what it takes', () => {
      expect(() => retryWithBackoff({ maxAttempts: -1 })).toThrow(
        expect.objectContaining({
          option: 'maxAttempts',
          message: expect.stringContaining('retryWithBackoff needs an integer ≥ 0, or Infinity'),
        }),
      );
    });

    it('rejects a backoff or shouldRetry that is not a function, naming the option and its signature', () => {
      expect(() => retryWithBackoff({ backoff: 100 as unknown as BackoffStrategy })).toThrow(
        expect.objectContaining({
          option: 'backoff',
          message: expect.stringContaining('retryWithBackoff needs a function (attempt, reason) => delayMs'),
        }),
      );
      expect(() => retryWithBackoff({ shouldRetry: true as unknown as () => boolean })).toThrow(
        expect.objectContaining({
          option: 'shouldRetry',
          message: expect.stringContaining('retryWithBackoff needs a function (error, attempt) => boolean'),
        }),
      );
    });
  });

  describe('when the backoff returns an invalid delay', () => {
    it('passes an InvalidOptionError on instead of retrying at once', () => {
      testScheduler().run(({ cold, expectObservable }) => {
        expectObservable(cold('#').pipe(retryWithBackoff({ backoff: () => NaN }))).toBe(
          '#',
          undefined,
          expect.any(InvalidOptionError),
        );
      });
    });
  });
});
