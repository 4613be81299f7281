import { CallbackError } from '../../lib/core/errors';
import { CURSOR, DECODE, FILTER, guard, REPLY, Threw } from '../../lib/core/guard';

describe('guard', () => {
  const wrap = (cause: unknown): CallbackError => new CallbackError('multiplex.filter', cause);

  describe.each([
    ['no path', undefined],
    ['DECODE', DECODE],
    ['FILTER', FILTER],
    ['CURSOR', CURSOR],
    ['REPLY', REPLY],
  ] as const)('through %s', (_name, path) => {
    it('calls the callback once with the argument and returns what it returns', () => {
      const calls: unknown[] = [];
      const result = guard(
        (arg: { n: number }) => {
          calls.push(arg);
          return arg.n + 1;
        },
        { n: 41 },
        wrap,
        path,
      );
      expect(result).toBe(42);
      expect(calls).toEqual([{ n: 41 }]);
    });

    it('returns what the callback threw, wrapped, as a Threw', () => {
      const boom = new Error('boom');
      const result = guard(
        () => {
          throw boom;
        },
        undefined,
        wrap,
        path,
      );
      expect(result).toBeInstanceOf(Threw);
      expect(result.error).toBeInstanceOf(CallbackError);
      expect(result.error.cause).toBe(boom);
    });
  });
});
