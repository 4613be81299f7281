import fc from 'fast-check';
import { TestScheduler } from 'rxjs/testing';
import { WebSocketCloseError } from 'rx-websocket';
import { closeEvent, formatFrames, formatValue, readableFrames } from 'rx-websocket/testing';

const strictEqual = (actual: unknown, expected: unknown): void => expect(actual).toEqual(expected);

/** The failure a marble run throws, or a spec failure when it passes. */
function failureOf(work: (helpers: Parameters<Parameters<TestScheduler['run']>[0]>[0]) => void): Error {
  try {
    new TestScheduler(readableFrames(strictEqual)).run(work);
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected the marble run to fail');
}

describe('closeEvent', () => {
  it('builds the close that close$ reports, clean unless the code says otherwise', () => {
    expect(closeEvent(4401, 'unauthorized')).toEqual({ code: 4401, reason: 'unauthorized', wasClean: true });
    expect(closeEvent(1006)).toEqual({ code: 1006, reason: '', wasClean: false });
    expect(closeEvent(1015)).toEqual({ code: 1015, reason: '', wasClean: false });
    expect(closeEvent(1000, '', false)).toEqual({ code: 1000, reason: '', wasClean: false });
    expect(Object.isFrozen(closeEvent(1000))).toBe(true);
  });
});

describe('formatValue', () => {
  it.each<[string, unknown, string]>([
    ['a close', { code: 4401, reason: 'unauthorized', wasClean: true }, 'closeEvent(4401, "unauthorized", true)'],
    ['a close event', { type: 'close', code: 1006, reason: '', wasClean: false }, 'closeEvent(1006, "", false)'],
    [
      'a close inside a state',
      { status: 'reconnecting', lastClose: closeEvent(1006) },
      '{ status: "reconnecting", lastClose: closeEvent(1006, "", false) }',
    ],
    [
      'an error',
      new WebSocketCloseError(closeEvent(4401, 'unauthorized')),
      'WebSocketCloseError: WebSocket closed with code 4401 ("unauthorized")',
    ],
    ['bytes', new Uint8Array([1, 2, 3]), 'Uint8Array [1, 2, 3]'],
    ['many bytes', new ArrayBuffer(20), 'ArrayBuffer [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, … 4 more]'],
    ['a Blob', new Blob(['abc']), 'Blob(3 bytes)'],
    ['an array', ['a', 1, null, undefined], '["a", 1, null, undefined]'],
    ['an object without undefined keys', { a: 1, b: undefined, 'odd key': true }, '{ a: 1, "odd key": true }'],
    [
      'a class instance',
      new (class Point {
        x = 1;
      })(),
      'Point { x: 1 }',
    ],
    ['a function', function named() {}, '[Function named]'],
    ['a Map', new Map([['k', 1]]), 'Map { "k" => 1 }'],
    ['a Set', new Set([1, 2]), 'Set { 1, 2 }'],
    ['a typed array by its elements', new Uint16Array([1, 512]), 'Uint16Array [1, 512]'],
    ['a DataView by its bytes', new DataView(new Uint8Array([7, 8]).buffer), 'DataView [7, 8]'],
    ['deep nesting', { a: { b: { c: { d: { e: 1 } } } } }, '{ a: { b: { c: { d: {…} } } } }'],
    ['deep arrays', [[[[[1]]]]], '[[[[[…]]]]]'],
    [
      'deep Maps',
      new Map([[1, new Map([[2, new Map([[3, new Map([[4, [5]]])]])]])]]),
      'Map { 1 => Map { 2 => Map { 3 => Map { 4 => […] } } } }',
    ],
    ['deep Sets', new Set([new Set([new Set([new Set([[5]])])])]), 'Set { Set { Set { Set { […] } } } }'],
    ['a Map with a deep key', new Map([[{ a: { b: { c: { d: 1 } } } }, 1]]), 'Map { { a: { b: { c: {…} } } } => 1 }'],
    [
      'a Map of two entries',
      new Map<unknown, unknown>([
        ['a', 1],
        [2, 'b'],
      ]),
      'Map { "a" => 1, 2 => "b" }',
    ],
    ['an empty object', {}, '{}'],
    ['an object without a prototype', Object.assign(Object.create(null) as object, { a: 1 }), '{ a: 1 }'],
    ['an empty object without a prototype', Object.create(null), '{}'],
    [
      'an anonymous function',
      (
        () => () =>
          undefined
      )(),
      '[Function anonymous]',
    ],
    ['a bigint', 10n, '10n'],
    ['a Date', new Date(0), 'Date(1970-01-01T00:00:00.000Z)'],
    [
      'exactly as many bytes as are shown',
      new Uint8Array(16),
      'Uint8Array [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]',
    ],
    [
      'a close-like object whose wasClean is no boolean',
      { code: 1000, reason: '', wasClean: 'yes' },
      '{ code: 1000, reason: "", wasClean: "yes" }',
    ],
    [
      'a close-like object whose code is no number',
      { code: '1000', reason: '', wasClean: true },
      '{ code: "1000", reason: "", wasClean: true }',
    ],
    [
      'a close-like object whose reason is no string',
      { code: 1000, reason: 5, wasClean: true },
      '{ code: 1000, reason: 5, wasClean: true }',
    ],
    [
      'a close with another key',
      { code: 1000, reason: '', wasClean: true, extra: 1 },
      '{ code: 1000, reason: "", wasClean: true, extra: 1 }',
    ],
    [
      'a close event with another key',
      { type: 'close', code: 1000, reason: '', wasClean: true, extra: 1 },
      '{ type: "close", code: 1000, reason: "", wasClean: true, extra: 1 }',
    ],
    [
      "an event of another type with a close's keys",
      { type: 'message', code: 1000, reason: '', wasClean: true },
      '{ type: "message", code: 1000, reason: "", wasClean: true }',
    ],
  ])('prints %s readably', (_, value, printed) => {
    expect(formatValue(value)).toBe(printed);
  });

  it('prints objects where there is no Blob', () => {
    const { Blob: saved } = globalThis;
    Reflect.deleteProperty(globalThis, 'Blob');
    try {
      expect(formatValue({ a: new Uint8Array([1]) })).toBe('{ a: Uint8Array [1] }');
    } finally {
      globalThis.Blob = saved;
    }
  });

  it('prints a cycle without looping', () => {
    const cycle: Record<string, unknown> = { name: 'loop' };
    cycle.self = cycle;
    expect(formatValue(cycle)).toBe('{ name: "loop", self: [Circular] }');
  });

  it('prints in full an object met twice that is no cycle', () => {
    const shared = { id: 1 };
    expect(formatValue({ first: shared, second: [shared] })).toBe('{ first: { id: 1 }, second: [{ id: 1 }] }');
  });
});

describe('formatFrames', () => {
  it('prints one frame per line: time, kind, value', () => {
    const frames = [
      { frame: 0, notification: { kind: 'N', value: 'a', error: undefined } },
      { frame: 1004, notification: { kind: 'E', value: undefined, error: new WebSocketCloseError(closeEvent(1006)) } },
      { frame: 1005, notification: { kind: 'C', value: undefined, error: undefined } },
    ];
    expect(formatFrames(frames)).toBe(
      [
        '     0ms  next      "a"',
        '  1004ms  error     WebSocketCloseError: WebSocket closed with code 1006, not cleanly',
        '  1005ms  complete',
      ].join('\n'),
    );
  });

  it('prints subscription logs and empty runs', () => {
    expect(
      formatFrames([
        { subscribedFrame: 0, unsubscribedFrame: 5 },
        { subscribedFrame: 2, unsubscribedFrame: Infinity },
      ]),
    ).toBe('  subscribed 0ms, unsubscribed 5ms\n  subscribed 2ms, never unsubscribed');
    expect(formatFrames([])).toBe('  (nothing)');
  });

  it('prints anything else in a list as a value: what only looks like a frame or a subscription log too', () => {
    expect(formatFrames(['x', null, 5, { frame: 1 }, { notification: { kind: 'C' } }, { subscribedFrame: '0' }])).toBe(
      [
        '  "x"',
        '  null',
        '  5',
        '  { frame: 1 }',
        '  { notification: { kind: "C" } }',
        '  { subscribedFrame: "0" }',
      ].join('\n'),
    );
  });
});

describe('readableFrames', () => {
  it('passes a matching run through untouched', () => {
    expect(() =>
      new TestScheduler(readableFrames(strictEqual)).run(({ cold, expectObservable }) => {
        expectObservable(cold('-a|', { a: closeEvent(1000) })).toBe('-a|', { a: closeEvent(1000) });
      }),
    ).not.toThrow();
  });

  it('shows a close mismatch as close codes and reasons, marking the differing frames', () => {
    const failure = failureOf(({ cold, expectObservable }) => {
      expectObservable(cold('-a-b|', { a: 'open', b: closeEvent(4000, 'bye') })).toBe('-a-b|', {
        a: 'open',
        b: closeEvent(4401, 'unauthorized'),
      });
    });
    expect(failure.name).toBe('MarbleMismatchError');
    expect(failure.message).toContain(
      [
        'marble mismatch (- expected, + actual):',
        '       1ms  next      "open"',
        '-      3ms  next      closeEvent(4401, "unauthorized", true)',
        '+      3ms  next      closeEvent(4000, "bye", true)',
        '       4ms  complete',
      ].join('\n'),
    );
    // The assertion's own message follows.
    expect(failure.message).toContain('toEqual');
  });

  it('shows an error mismatch with the error’s class and message', () => {
    const failure = failureOf(({ cold, expectObservable }) => {
      expectObservable(cold('--#', undefined, new WebSocketCloseError(closeEvent(1006)))).toBe(
        '--#',
        undefined,
        new WebSocketCloseError(closeEvent(4401)),
      );
    });
    expect(failure.message).toContain('-      2ms  error     WebSocketCloseError: WebSocket closed with code 4401');
    expect(failure.message).toContain(
      '+      2ms  error     WebSocketCloseError: WebSocket closed with code 1006, not cleanly',
    );
  });

  it('says so when the frames print alike but the assertion still differs', () => {
    const failure = failureOf(({ cold, expectObservable }) => {
      expectObservable(cold('a', { a: Symbol('token') })).toBe('a', { a: Symbol('token') });
    });
    expect(failure.message).toContain(
      '       0ms  next      Symbol(token)\n  (the frames print alike: see the assertion’s own message below)',
    );
  });

  it('marks what is missing before what is extra, keeps what is common, and points its stack at the spec', () => {
    const failure = failureOf(({ cold, expectObservable }) => {
      expectObservable(cold('ab-d-e', { a: 1, b: 2, d: 4, e: 6 })).toBe('a-cd-e', { a: 1, c: 3, d: 4, e: 5 });
    });
    expect(failure.message.split('\n\n')[0]).toBe(
      [
        'marble mismatch (- expected, + actual):',
        '       0ms  next      1',
        '-      2ms  next      3',
        '+      1ms  next      2',
        '       3ms  next      4',
        '-      5ms  next      5',
        '+      5ms  next      6',
      ].join('\n'),
    );
    expect(failure.stack?.split('\n')[0]).toBe('MarbleMismatchError: marble mismatch (- expected, + actual):');
    // Its first frame is the spec's assertion, not this wrapper.
    expect(failure.stack?.split('\n').find((line) => /^\s+at /.test(line))).toContain('format-frames.spec.ts');
  });

  it('keeps its own stack when the failure it wraps has none to point at', () => {
    const assert = readableFrames(() => {
      const bare = new Error('differs');
      bare.stack = 'Error: differs';
      throw bare;
    });
    let thrown: Error | undefined;
    try {
      assert([1], [2]);
    } catch (error) {
      thrown = error as Error;
    }
    expect(thrown?.message).toBe('marble mismatch (- expected, + actual):\n-   2\n+   1\n\ndiffers');
    expect(thrown?.stack).toMatch(/\n\s+at /);
  });

  it('diffs any two runs as a longest common subsequence: the kept lines are common, and each side reads back whole', () => {
    /** The length of a longest common subsequence, by the textbook recurrence. */
    const lcs = (a: readonly number[], b: readonly number[]): number => {
      const table = a.map(() => b.map(() => 0));
      const get = (i: number, j: number): number => (i < 0 || j < 0 ? 0 : (table[i]?.[j] ?? 0));
      a.forEach((x, i) =>
        b.forEach((y, j) => {
          (table[i] as number[])[j] = x === y ? get(i - 1, j - 1) + 1 : Math.max(get(i - 1, j), get(i, j - 1));
        }),
      );
      return get(a.length - 1, b.length - 1);
    };
    const items = fc.array(fc.integer({ min: 0, max: 3 }), { maxLength: 9 });
    fc.assert(
      fc.property(items, items, (expected, actual) => {
        fc.pre(JSON.stringify(expected) !== JSON.stringify(actual));
        const assert = readableFrames(() => {
          throw new Error('differs');
        });
        let message = '';
        try {
          assert(actual, expected);
        } catch (error) {
          message = (error as Error).message;
        }
        const lines = message.split('\n\n')[0]?.split('\n').slice(1) ?? [];
        const side = (mark: string): string[] =>
          lines.filter((line) => line.startsWith('  ') || line.startsWith(mark)).map((line) => line.slice(2));
        expect(side('-').join('\n')).toBe(formatFrames(expected));
        expect(side('+').join('\n')).toBe(formatFrames(actual));
        const kept = lines.filter((line) => line.startsWith('  ')).length;
        const empty = expected.length === 0 || actual.length === 0;
        expect(kept).toBe(empty ? 0 : lcs(expected, actual));
        expect(message).not.toContain('the frames print alike');
      }),
      { numRuns: 300, seed: 20 },
    );
  });

  it('leaves failures on anything but frame lists as they are', () => {
    const assert = readableFrames(() => {
      throw new Error('plain');
    });
    expect(() => assert('x', 'y')).toThrow(/^plain$/);
  });
});
