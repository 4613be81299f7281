import fc from 'fast-check';
import {
  type BackoffStrategy,
  constantBackoff,
  createDefaultBackoff,
  DEFAULT_BACKOFF_FIRST_MAX_DELAY_MS,
  DEFAULT_BACKOFF_MAX_DELAY_MS,
  defaultBackoff,
  exponentialBackoff,
  type Jitter,
  linearBackoff,
  MAX_TIMER_DELAY_MS,
  type RandomSource,
} from '../../lib/reconnect/backoff';
import { InvalidOptionError } from '../../lib/core/errors';

/** A random source that returns `values` in order, and fails the spec if asked for more. */
function randomSequence(...values: number[]): RandomSource {
  let index = 0;
  return () => {
    if (index >= values.length)
      throw new Error(`random source asked for draw ${index + 1}, only ${values.length} scripted`);
    return values[index++]!;
  };
}

const constantRandom =
  (value: number): RandomSource =>
  () =>
    value;

const noRandom: RandomSource = () => {
  throw new Error('this strategy should not draw a random number');
};

function delays(strategy: BackoffStrategy, attempts: readonly number[]): number[] {
  return attempts.map((attempt) => strategy(attempt));
}

function invalidOption(fn: () => unknown): InvalidOptionError {
  try {
    fn();
  } catch (error) {
    if (error instanceof InvalidOptionError) return error;
    throw new Error(`expected an InvalidOptionError, got ${String(error)}`, { cause: error });
  }
  throw new Error('expected an InvalidOptionError, nothing was thrown');
}

describe('exponentialBackoff', () => {
  const options = { initialDelayMs: 100, factor: 2, maxDelayMs: 1_000 };

  describe('without jitter', () => {
    it('waits initialDelayMs, then factor times more each attempt, capped at maxDelayMs', () => {
      const backoff = exponentialBackoff({ ...options, jitter: 'none', random: noRandom });
      expect(delays(backoff, [1, 2, 3, 4, 5, 6, 100])).toEqual([100, 200, 400, 800, 1_000, 1_000, 1_000]);
    });

    it('stays at 0 for ever when initialDelayMs is 0, even where factor^attempt overflows', () => {
      const backoff = exponentialBackoff({ initialDelayMs: 0, maxDelayMs: 1_000, factor: 10, jitter: 'none' });
      expect(delays(backoff, [1, 2, 1_000_000])).toEqual([0, 0, 0]);
    });

    it('reaches the cap, not Infinity, when factor^attempt overflows', () => {
      const backoff = exponentialBackoff({ initialDelayMs: 1, maxDelayMs: 1_000, factor: 10, jitter: 'none' });
      expect(backoff(1_000_000)).toBe(1_000);
    });

    it('keeps the delay constant with a factor of 1', () => {
      const backoff = exponentialBackoff({ ...options, factor: 1, jitter: 'none' });
      expect(delays(backoff, [1, 2, 50])).toEqual([100, 100, 100]);
    });
  });

  describe('with full jitter', () => {
    it('draws uniformly between 0 and the capped base', () => {
      const backoff = exponentialBackoff({
        ...options,
        jitter: 'full',
        random: randomSequence(0.5, 0.25, 0, 0.5, 0.5),
      });
      expect(delays(backoff, [1, 2, 3, 4, 10])).toEqual([50, 50, 0, 400, 500]);
    });

    it('applies the cap before the jitter', () => {
      const backoff = exponentialBackoff({ ...options, jitter: 'full', random: constantRandom(0.9) });
      expect(backoff(20)).toBe(900);
    });

    it('is the default jitter, over 1 s doubling to a 30 s cap', () => {
      const backoff = exponentialBackoff({ random: constantRandom(0.5) });
      expect(delays(backoff, [1, 2, 5, 6, 7])).toEqual([500, 1_000, 8_000, 15_000, 15_000]);
    });
  });

  describe('with equal jitter', () => {
    it('waits half the capped base plus a uniform share of the other half', () => {
      const backoff = exponentialBackoff({ ...options, jitter: 'equal', random: randomSequence(0, 0.5, 0.5, 0.5) });
      expect(delays(backoff, [1, 2, 3, 10])).toEqual([50, 150, 300, 750]);
    });
  });

  describe('with decorrelated jitter', () => {
    it('draws between initialDelayMs and three times the previous delay, capped at maxDelayMs', () => {
      const backoff = exponentialBackoff({ ...options, jitter: 'decorrelated', random: constantRandom(0.5) });
      // 100 + 0.5 × (300 − 100), 100 + 0.5 × (600 − 100), 100 + 0.5 × (1050 − 100), then capped.
      expect(delays(backoff, [1, 2, 3, 4, 5, 6])).toEqual([200, 350, 575, 912.5, 1_000, 1_000]);
    });

    it('draws initialDelayMs when the random source gives 0', () => {
      const backoff = exponentialBackoff({ ...options, jitter: 'decorrelated', random: constantRandom(0) });
      expect(delays(backoff, [1, 2, 3])).toEqual([100, 100, 100]);
    });

    it('starts again from initialDelayMs when asked for attempt 1', () => {
      const backoff = exponentialBackoff({ ...options, jitter: 'decorrelated', random: constantRandom(0.5) });
      expect(delays(backoff, [1, 2, 3, 1, 2])).toEqual([200, 350, 575, 200, 350]);
    });

    it('ignores factor', () => {
      const slow = exponentialBackoff({ ...options, factor: 1, jitter: 'decorrelated', random: constantRandom(0.5) });
      const fast = exponentialBackoff({ ...options, factor: 10, jitter: 'decorrelated', random: constantRandom(0.5) });
      expect(delays(slow, [1, 2, 3])).toEqual(delays(fast, [1, 2, 3]));
    });

    it('keeps one sequence per instance', () => {
      const a = exponentialBackoff({ ...options, jitter: 'decorrelated', random: constantRandom(0.5) });
      const b = exponentialBackoff({ ...options, jitter: 'decorrelated', random: constantRandom(0.5) });
      expect([a(1), a(2), b(1), a(3), b(2)]).toEqual([200, 350, 200, 575, 350]);
    });
  });

  describe('when created', () => {
    it('draws no random number until a delay is asked for', () => {
      const random = jest.fn(() => 0.5);
      const backoff = exponentialBackoff({ random });
      expect(random).not.toHaveBeenCalled();
      backoff(1);
      expect(random).toHaveBeenCalledTimes(1);
    });

    it.each<[string, Parameters<typeof exponentialBackoff>[0], string]>([
      ['a negative initialDelayMs', { initialDelayMs: -1 }, 'initialDelayMs'],
      ['a NaN initialDelayMs', { initialDelayMs: NaN }, 'initialDelayMs'],
      ['an infinite initialDelayMs', { initialDelayMs: Infinity }, 'initialDelayMs'],
      ['an infinite maxDelayMs', { maxDelayMs: Infinity }, 'maxDelayMs'],
      ['a maxDelayMs timers cannot honour', { maxDelayMs: MAX_TIMER_DELAY_MS + 1 }, 'maxDelayMs'],
      ['a negative maxDelayMs', { initialDelayMs: 0, maxDelayMs: -5 }, 'maxDelayMs'],
      ['initialDelayMs above maxDelayMs', { initialDelayMs: 2_000, maxDelayMs: 1_000 }, 'maxDelayMs'],
      ['a factor below 1', { factor: 0.5 }, 'factor'],
      ['a NaN factor', { factor: NaN }, 'factor'],
      ['an infinite factor', { factor: Infinity }, 'factor'],
      ['an unknown jitter', { jitter: 'some' as Jitter }, 'jitter'],
      ['a random source that is not a function', { random: 0.5 as unknown as RandomSource }, 'random'],
      [
        'a zero initialDelayMs with decorrelated jitter',
        { initialDelayMs: 0, jitter: 'decorrelated' },
        'initialDelayMs',
      ],
    ])('rejects %s, naming the option and the rule', (_, config, option) => {
      const error = invalidOption(() => exponentialBackoff(config));
      expect(error.option).toBe(option);
      expect(error.code).toBe('ERR_INVALID_OPTION');
      expect(error.message).toMatch(/exponentialBackoff/);
    });

    it('accepts a zero delay and a zero cap', () => {
      expect(exponentialBackoff({ initialDelayMs: 0, maxDelayMs: 0, jitter: 'none' })(3)).toBe(0);
    });
  });

  describe('when asked for a delay', () => {
    it.each([0, -1, 1.5, NaN, Infinity])('rejects attempt %p: attempts count from 1', (attempt) => {
      const error = invalidOption(() => exponentialBackoff()(attempt));
      expect(error.option).toBe('attempt');
      expect(error.message).toMatch(/integer ≥ 1/);
    });

    it.each([1, -0.1, NaN, 2])('rejects a random source that returns %p', (value) => {
      const error = invalidOption(() => exponentialBackoff({ random: () => value })(1));
      expect(error.option).toBe('random');
      expect(error.message).toMatch(/\[0, 1\)/);
    });
  });
});

describe('linearBackoff', () => {
  const options = { initialDelayMs: 100, incrementMs: 50, maxDelayMs: 300 };

  describe('without jitter', () => {
    it('waits initialDelayMs, then incrementMs more each attempt, capped at maxDelayMs', () => {
      const backoff = linearBackoff({ ...options, jitter: 'none', random: noRandom });
      expect(delays(backoff, [1, 2, 3, 4, 5, 6, 1_000_000])).toEqual([100, 150, 200, 250, 300, 300, 300]);
    });

    it('waits 1 s more each attempt from 1 s, capped at 30 s, by default', () => {
      const backoff = linearBackoff({ jitter: 'none' });
      expect(delays(backoff, [1, 2, 30, 31])).toEqual([1_000, 2_000, 30_000, 30_000]);
    });
  });

  describe('with full jitter', () => {
    it('draws uniformly between 0 and the capped base', () => {
      const backoff = linearBackoff({ ...options, jitter: 'full', random: randomSequence(0.5, 0.5, 0.5) });
      expect(delays(backoff, [1, 3, 10])).toEqual([50, 100, 150]);
    });

    it('is the default jitter', () => {
      expect(linearBackoff({ ...options, random: constantRandom(0.5) })(1)).toBe(50);
    });
  });

  describe('with equal jitter', () => {
    it('waits half the capped base plus a uniform share of the other half', () => {
      const backoff = linearBackoff({ ...options, jitter: 'equal', random: randomSequence(0.5, 0, 0.5) });
      expect(delays(backoff, [1, 3, 10])).toEqual([75, 100, 225]);
    });
  });

  describe('with decorrelated jitter', () => {
    it('draws between initialDelayMs and three times the previous delay, capped, and restarts on attempt 1', () => {
      const backoff = linearBackoff({ ...options, jitter: 'decorrelated', random: constantRandom(0.5) });
      expect(delays(backoff, [1, 2, 3, 1])).toEqual([200, 300, 300, 200]);
    });
  });

  describe('when created', () => {
    it.each<[string, Parameters<typeof linearBackoff>[0], string]>([
      ['a negative incrementMs', { incrementMs: -1 }, 'incrementMs'],
      ['an infinite incrementMs', { incrementMs: Infinity }, 'incrementMs'],
      ['a NaN initialDelayMs', { initialDelayMs: NaN }, 'initialDelayMs'],
      ['initialDelayMs above maxDelayMs', { initialDelayMs: 500, maxDelayMs: 400 }, 'maxDelayMs'],
      ['an infinite maxDelayMs', { maxDelayMs: Infinity }, 'maxDelayMs'],
      ['an unknown jitter', { jitter: 'random' as Jitter }, 'jitter'],
    ])('rejects %s, naming the option and the rule', (_, config, option) => {
      const error = invalidOption(() => linearBackoff(config));
      expect(error.option).toBe(option);
      expect(error.message).toMatch(/linearBackoff/);
    });
  });
});

describe('constantBackoff', () => {
  describe('without jitter', () => {
    it('waits delayMs before every attempt', () => {
      const backoff = constantBackoff({ delayMs: 250, random: noRandom });
      expect(delays(backoff, [1, 2, 1_000_000])).toEqual([250, 250, 250]);
    });

    it('waits 1 s, unjittered, by default', () => {
      expect(delays(constantBackoff({ random: noRandom }), [1, 7])).toEqual([1_000, 1_000]);
    });
  });

  describe('with full jitter', () => {
    it('draws uniformly between 0 and delayMs', () => {
      const backoff = constantBackoff({ delayMs: 250, jitter: 'full', random: randomSequence(0.4, 0) });
      expect(delays(backoff, [1, 2])).toEqual([100, 0]);
    });
  });

  describe('with equal jitter', () => {
    it('waits half of delayMs plus a uniform share of the other half', () => {
      const backoff = constantBackoff({ delayMs: 250, jitter: 'equal', random: randomSequence(0.4, 0) });
      expect(delays(backoff, [1, 2])).toEqual([175, 125]);
    });
  });

  describe('when created', () => {
    it('rejects decorrelated jitter, which has no room to wander between a constant floor and cap', () => {
      const error = invalidOption(() => constantBackoff({ jitter: 'decorrelated' as 'none' }));
      expect(error.option).toBe('jitter');
      expect(error.message).toMatch(/linearBackoff or exponentialBackoff/);
    });

    it.each([-1, NaN, Infinity, MAX_TIMER_DELAY_MS + 1])('rejects delayMs %p', (delayMs) => {
      expect(invalidOption(() => constantBackoff({ delayMs })).option).toBe('delayMs');
    });

    it('accepts a zero delay', () => {
      expect(constantBackoff({ delayMs: 0 })(1)).toBe(0);
    });
  });
});

describe('defaultBackoff', () => {
  afterEach(() => jest.restoreAllMocks());

  describe('with a random source', () => {
    it('waits uniformly 0–2 s before the first retry: a mean of 1 s', () => {
      expect(delays(createDefaultBackoff({ random: randomSequence(0, 0.5, 0.999) }), [1, 1, 1])).toEqual([
        0, 1_000, 1_998,
      ]);
      expect(DEFAULT_BACKOFF_FIRST_MAX_DELAY_MS / 2).toBe(1_000);
    });

    it('then waits between half and all of 2.5 s × 1.5^(attempt − 2), capped at 12 s', () => {
      const lowest = createDefaultBackoff({ random: constantRandom(0) });
      const middle = createDefaultBackoff({ random: constantRandom(0.5) });
      expect(delays(lowest, [2, 3, 4, 5, 6, 7, 1_000_000])).toEqual([
        1_250, 1_875, 2_812.5, 4_218.75, 6_000, 6_000, 6_000,
      ]);
      expect(delays(middle, [2, 3, 4, 5, 6, 100])).toEqual([1_875, 2_812.5, 4_218.75, 6_328.125, 9_000, 9_000]);
    });

    it('never waits more than DEFAULT_BACKOFF_MAX_DELAY_MS', () => {
      expect(createDefaultBackoff({ random: constantRandom(0.999_999) })(50)).toBeLessThan(
        DEFAULT_BACKOFF_MAX_DELAY_MS,
      );
    });

    it('keeps no state between sequences, so one instance serves many sockets', () => {
      const backoff = createDefaultBackoff({ random: constantRandom(0.5) });
      expect([backoff(3), backoff(1), backoff(3)]).toEqual([2_812.5, 1_000, 2_812.5]);
    });
  });

  describe('as exported', () => {
    it('draws from Math.random on every call', () => {
      const random = jest.spyOn(Math, 'random').mockReturnValue(0.25);
      expect(defaultBackoff(1)).toBe(500);
      random.mockReturnValue(0.75);
      expect(defaultBackoff(2)).toBe(1_250 + 0.75 * 1_250);
      expect(random).toHaveBeenCalledTimes(2);
    });

    it.each([0, 2.5, -3])('rejects attempt %p', (attempt) => {
      expect(invalidOption(() => defaultBackoff(attempt)).option).toBe('attempt');
    });
  });
});

describe('every strategy', () => {
  interface Case {
    readonly label: string;
    readonly maxDelayMs: number;
    readonly create: (random: RandomSource) => BackoffStrategy;
  }

  const delayMs = fc.double({ min: 0, max: MAX_TIMER_DELAY_MS, noNaN: true });
  const range = fc.tuple(delayMs, delayMs).map(([a, b]) => [Math.min(a, b), Math.max(a, b)] as const);
  const anyJitter = fc.constantFrom<Jitter>('full', 'equal', 'decorrelated', 'none');
  // Decorrelated jitter grows from its floor, which must be above 0.
  const floorFor = (jitter: Jitter, floor: number): number => (jitter === 'decorrelated' ? Math.max(floor, 1) : floor);

  const cases: fc.Arbitrary<Case> = fc.oneof(
    fc
      .record({ range, factor: fc.double({ min: 1, max: 1e6, noNaN: true }), jitter: anyJitter })
      .map(({ range: [initial, max], factor, jitter }) => {
        const initialDelayMs = Math.min(floorFor(jitter, initial), Math.max(max, 1));
        const maxDelayMs = Math.max(max, initialDelayMs);
        return {
          label: `exponentialBackoff(${JSON.stringify({ initialDelayMs, maxDelayMs, factor, jitter })})`,
          maxDelayMs,
          create: (random: RandomSource) => exponentialBackoff({ initialDelayMs, maxDelayMs, factor, jitter, random }),
        };
      }),
    fc
      .record({ range, incrementMs: delayMs, jitter: anyJitter })
      .map(({ range: [initial, max], incrementMs, jitter }) => {
        const initialDelayMs = Math.min(floorFor(jitter, initial), Math.max(max, 1));
        const maxDelayMs = Math.max(max, initialDelayMs);
        return {
          label: `linearBackoff(${JSON.stringify({ initialDelayMs, incrementMs, maxDelayMs, jitter })})`,
          maxDelayMs,
          create: (random: RandomSource) => linearBackoff({ initialDelayMs, incrementMs, maxDelayMs, jitter, random }),
        };
      }),
    fc
      .record({ delayMs, jitter: fc.constantFrom('full' as const, 'equal' as const, 'none' as const) })
      .map(({ delayMs: d, jitter }) => ({
        label: `constantBackoff(${JSON.stringify({ delayMs: d, jitter })})`,
        maxDelayMs: d,
        create: (random: RandomSource) => constantBackoff({ delayMs: d, jitter, random }),
      })),
    fc.constant({
      label: 'defaultBackoff',
      maxDelayMs: DEFAULT_BACKOFF_MAX_DELAY_MS,
      create: (random: RandomSource) => createDefaultBackoff({ random }),
    }),
  );

  it('returns a finite delay between 0 and maxDelayMs for every attempt from 1 to 1e6 and every random value in [0, 1)', () => {
    const draw = fc.tuple(
      fc.integer({ min: 1, max: 1_000_000 }),
      fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }),
    );
    fc.assert(
      fc.property(cases, fc.array(draw, { minLength: 1, maxLength: 20 }), ({ create, maxDelayMs }, draws) => {
        let next = 0;
        const backoff = create(() => next);
        for (const [attempt, random] of draws) {
          next = random;
          const result = backoff(attempt);
          if (!(Number.isFinite(result) && result >= 0 && result <= maxDelayMs)) return false;
        }
        return true;
      }),
      { numRuns: 2_000 },
    );
  });
});

describe('backoff arguments, in their messages', () => {
  it('refuses a random source that returns a numeric string, naming the strategy', () => {
    const backoff = createDefaultBackoff({ random: (() => '0.5') as unknown as RandomSource });
    expect(() => backoff(1)).toThrow(InvalidOptionError);
    expect(() => backoff(1)).toThrow(/createDefaultBackoff: the random source must return numbers in \[0, 1\)/);
  });

  it('lists every jitter it knows when given another', () => {
    expect(() => exponentialBackoff({ jitter: 'some' as Jitter })).toThrow(
      "exponentialBackoff needs one of 'full', 'equal', 'decorrelated', 'none'",
    );
  });
});
