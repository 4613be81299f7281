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
  ])('prints %s readably', (_, value, printed) => {
    expect(formatValue(value)).toBe(printed);
  });

  it('prints a cycle without looping', () => {
    const cycle: Record<string, unknown> = { name: 'loop' };
    cycle.self = cycle;
    expect(formatValue(cycle)).toBe('{ name: "loop", self: [Circular] }');
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

  it('leaves failures on anything but frame lists as they are', () => {
    const assert = readableFrames(() => {
      throw new Error('plain');
    });
    expect(() => assert('x', 'y')).toThrow(/^plain$/);
  });
});
