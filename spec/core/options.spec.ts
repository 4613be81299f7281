import fc from 'fast-check';
import { defaultBackoff, MAX_TIMER_DELAY_MS } from '../../lib/reconnect/backoff';
import { defaultCloseCodePolicy } from '../../lib/reconnect/close-codes';
import { InvalidOptionError } from '../../lib/core/errors';
import type { WebSocketMessageEvent } from '../../lib/core/events';
import { assertBinaryType, DEFAULT_RECONNECT, resolveOptions, type WebSocketOptions } from '../../lib/core/options';
import { assertDelayMs } from '../../lib/core/validate-options';
import { heartbeat, type HeartbeatOptions } from '../../lib/features/heartbeat/heartbeat';
import type { WebSocketConstructor } from '../../lib/core/web-socket-like';

function invalid(options: unknown): InvalidOptionError {
  try {
    // The heartbeat's settings go through heartbeat(), which checks them as resolveOptions checks its own.
    const beat =
      typeof options === 'object' && options !== null ? (options as { heartbeat?: unknown }).heartbeat : undefined;
    resolveOptions(
      (beat === undefined
        ? options
        : { ...(options as object), heartbeat: heartbeat(beat as HeartbeatOptions) }) as WebSocketOptions<
        unknown,
        unknown
      >,
    );
  } catch (error) {
    if (error instanceof InvalidOptionError) return error;
    throw new Error(`expected an InvalidOptionError, got ${String(error)}`, { cause: error });
  }
  throw new Error('expected the options to be rejected, they were accepted');
}

const messageEvent = (data: unknown): WebSocketMessageEvent =>
  ({ data, origin: '', lastEventId: '', source: null, ports: [] }) as unknown as WebSocketMessageEvent;

describe('resolveOptions', () => {
  describe('without options', () => {
    it('applies every default', () => {
      for (const resolved of [resolveOptions(), resolveOptions({})]) {
        expect(resolved).toEqual({
          serializer: undefined,
          deserializer: expect.any(Function),
          decodeErrors: 'report',
          binaryType: 'arraybuffer',
          reconnect: {
            backoff: defaultBackoff,
            shouldReconnect: defaultCloseCodePolicy,
            maxAttempts: Infinity,
            resetAfterMs: 5_000,
          },
          connectTimeoutMs: 10_000,
          closeTimeoutMs: 5_000,
          sendQueue: undefined,
          lingerMs: 0,
          WebSocketCtor: undefined,
          socketOptions: undefined,
        });
      }
    });

    it('passes each message event on as its raw data', () => {
      const data = new ArrayBuffer(3);
      expect(resolveOptions().deserializer(messageEvent(data))).toBe(data);
      expect(resolveOptions().deserializer(messageEvent('text'))).toBe('text');
    });

    it('exports the reconnection defaults it applies', () => {
      expect(DEFAULT_RECONNECT).toEqual({ maxAttempts: Infinity, resetAfterMs: 5_000, connectTimeoutMs: 10_000 });
    });
  });

  describe('with valid options', () => {
    it('keeps the functions and objects it is given, as they are', () => {
      const serializer = (value: unknown): string => JSON.stringify(value);
      const deserializer = (event: WebSocketMessageEvent): unknown => event.data;
      const WebSocketCtor = class {} as unknown as WebSocketConstructor;
      const socketOptions = { headers: { authorization: 'Bearer x' } };
      const sendQueue = { maxMessages: 10 };
      const resolved = resolveOptions({
        serializer,
        deserializer,
        WebSocketCtor,
        socketOptions,
        sendQueue,
        decodeErrors: 'fatal',
        binaryType: 'blob',
        lingerMs: 250,
      });
      expect(resolved.serializer).toBe(serializer);
      expect(resolved.deserializer).toBe(deserializer);
      expect(resolved.WebSocketCtor).toBe(WebSocketCtor);
      expect(resolved.socketOptions).toBe(socketOptions);
      expect(resolved.sendQueue).toBe(sendQueue);
      expect([resolved.decodeErrors, resolved.binaryType, resolved.lingerMs]).toEqual(['fatal', 'blob', 250]);
    });

    it('takes the reconnection settings it is given', () => {
      const backoff = (): number => 100;
      const shouldReconnect = (): boolean => false;
      const resolved = resolveOptions({
        reconnect: { backoff, shouldReconnect, maxAttempts: 3, resetAfterMs: 0, connectTimeoutMs: 2_500 },
      });
      expect(resolved.reconnect).toEqual({ backoff, shouldReconnect, maxAttempts: 3, resetAfterMs: 0 });
      expect(resolved.connectTimeoutMs).toBe(2_500);
    });

    it('applies every reconnection default for reconnect: true and reconnect: {}', () => {
      expect(resolveOptions({ reconnect: true }).reconnect).toEqual(resolveOptions().reconnect);
      expect(resolveOptions({ reconnect: {} }).reconnect).toEqual(resolveOptions().reconnect);
    });

    it('waits as long as the platform does with connectTimeoutMs: Infinity', () => {
      expect(resolveOptions({ reconnect: { connectTimeoutMs: Infinity } }).connectTimeoutMs).toBe(Infinity);
    });
  });

  describe('with reconnection turned off', () => {
    it('resolves no reconnection for reconnect: false, keeping the default connect timeout', () => {
      const resolved = resolveOptions({ reconnect: false });
      expect(resolved.reconnect).toBeUndefined();
      expect(resolved.connectTimeoutMs).toBe(10_000);
    });
  });

  describe('for maxAttempts', () => {
    it('never reconnects with 0, keeping the connect timeout given beside it', () => {
      const resolved = resolveOptions({ reconnect: { maxAttempts: 0, connectTimeoutMs: 3_000 } });
      expect(resolved.reconnect).toBeUndefined();
      expect(resolved.connectTimeoutMs).toBe(3_000);
    });

    it('allows one attempt with 1, and no limit with Infinity', () => {
      expect(resolveOptions({ reconnect: { maxAttempts: 1 } }).reconnect?.maxAttempts).toBe(1);
      expect(resolveOptions({ reconnect: { maxAttempts: Infinity } }).reconnect?.maxAttempts).toBe(Infinity);
    });

    it.each([
      ['-1', -1],
      ['1.5', 1.5],
      ['NaN', NaN],
      ['-Infinity', -Infinity],
      ['a numeric string', '3'],
      ['null', null],
    ])('rejects %s', (_, maxAttempts) => {
      expect(invalid({ reconnect: { maxAttempts } }).option).toBe('reconnect.maxAttempts');
    });
  });

  describe('for delays', () => {
    const notADelay: [string, unknown][] = [
      ['negative', -1],
      ['NaN', NaN],
      ['-Infinity', -Infinity],
      ['a numeric string', '100'],
      ['null', null],
    ];

    it.each([...notADelay, ['Infinity', Infinity] as [string, unknown]])(
      'rejects a lingerMs that is %s',
      (_, lingerMs) => {
        expect(invalid({ lingerMs }).option).toBe('lingerMs');
      },
    );

    it.each([...notADelay, ['Infinity', Infinity] as [string, unknown]])(
      'rejects a resetAfterMs that is %s',
      (_, resetAfterMs) => {
        expect(invalid({ reconnect: { resetAfterMs } }).option).toBe('reconnect.resetAfterMs');
      },
    );

    it.each([...notADelay, ['0, which would time out before any handshake', 0] as [string, unknown]])(
      'rejects a connectTimeoutMs that is %s',
      (_, connectTimeoutMs) => {
        expect(invalid({ reconnect: { connectTimeoutMs } }).option).toBe('reconnect.connectTimeoutMs');
      },
    );

    it('says what a delay takes: from 0 for lingerMs, and Infinity as well for closeTimeoutMs', () => {
      expect(invalid({ lingerMs: -1 }).message).toBe(
        `Invalid option lingerMs: -1 (a number of milliseconds from 0 to ${MAX_TIMER_DELAY_MS})`,
      );
      expect(invalid({ closeTimeoutMs: -1 }).message).toBe(
        `Invalid option closeTimeoutMs: -1 (a number of milliseconds from 0 to ${MAX_TIMER_DELAY_MS}, or Infinity (never))`,
      );
    });

    it('accepts 0 for lingerMs and resetAfterMs', () => {
      expect(resolveOptions({ lingerMs: 0, reconnect: { resetAfterMs: 0 } }).lingerMs).toBe(0);
    });

    // Timers take a signed 32-bit delay: browsers and Node fire a longer one after about 1 ms.
    const tooLong: [string, unknown][] = [
      ['2^31 ms, one more than timers honour', MAX_TIMER_DELAY_MS + 1],
      ['30 days', 30 * 24 * 3_600_000],
      ['Number.MAX_VALUE', Number.MAX_VALUE],
    ];

    it.each(tooLong)('rejects a lingerMs of %s, naming the limit', (_, lingerMs) => {
      const error = invalid({ lingerMs });
      expect(error.option).toBe('lingerMs');
      expect(error.message).toContain(String(MAX_TIMER_DELAY_MS));
    });

    it.each(tooLong)('rejects a resetAfterMs of %s', (_, resetAfterMs) => {
      expect(invalid({ reconnect: { resetAfterMs } }).option).toBe('reconnect.resetAfterMs');
    });

    it.each(tooLong)('rejects a connectTimeoutMs of %s (Infinity is how to say never)', (_, connectTimeoutMs) => {
      const error = invalid({ reconnect: { connectTimeoutMs } });
      expect(error.option).toBe('reconnect.connectTimeoutMs');
      expect(error.message).toContain('Infinity');
    });

    it.each(tooLong)('rejects a heartbeat.intervalMs or heartbeat.timeoutMs of %s', (_, delayMs) => {
      expect(invalid({ heartbeat: { intervalMs: delayMs } }).option).toBe('heartbeat.intervalMs');
      expect(invalid({ heartbeat: { timeoutMs: delayMs } }).option).toBe('heartbeat.timeoutMs');
    });

    it('accepts the longest delay timers honour for every delay option', () => {
      const resolved = resolveOptions({
        lingerMs: MAX_TIMER_DELAY_MS,
        reconnect: { resetAfterMs: MAX_TIMER_DELAY_MS, connectTimeoutMs: MAX_TIMER_DELAY_MS },
        heartbeat: heartbeat({ intervalMs: MAX_TIMER_DELAY_MS, timeoutMs: MAX_TIMER_DELAY_MS }),
      });
      expect([resolved.lingerMs, resolved.reconnect?.resetAfterMs, resolved.connectTimeoutMs]).toEqual([
        MAX_TIMER_DELAY_MS,
        MAX_TIMER_DELAY_MS,
        MAX_TIMER_DELAY_MS,
      ]);
      expect([resolved.heartbeat?.intervalMs, resolved.heartbeat?.timeoutMs]).toEqual([
        MAX_TIMER_DELAY_MS,
        MAX_TIMER_DELAY_MS,
      ]);
    });

    it('rejects Infinity for the heartbeat timings: leave heartbeat unset for none', () => {
      expect(invalid({ heartbeat: { intervalMs: Infinity } }).option).toBe('heartbeat.intervalMs');
      expect(invalid({ heartbeat: { timeoutMs: Infinity } }).option).toBe('heartbeat.timeoutMs');
    });
  });

  describe('for the other options', () => {
    it.each([
      ['serializer', { serializer: 'json' }],
      ['serializer', { serializer: {} }],
      ['serializer', { serializer: null }],
      ['deserializer', { deserializer: 'json' }],
      ['deserializer', { deserializer: null }],
      ['decodeErrors', { decodeErrors: 'ignore' }],
      ['decodeErrors', { decodeErrors: null }],
      ['binaryType', { binaryType: 'nodebuffer' }],
      ['binaryType', { binaryType: 'fragments' }],
      ['binaryType', { binaryType: '' }],
      ['binaryType', { binaryType: null }],
      ['WebSocketCtor', { WebSocketCtor: 'ws' }],
      ['WebSocketCtor', { WebSocketCtor: {} }],
      ['socketOptions', { socketOptions: null }],
      ['socketOptions', { socketOptions: 'x' }],
      ['reconnect', { reconnect: 'yes' }],
      ['reconnect', { reconnect: 1 }],
      ['reconnect', { reconnect: null }],
      ['reconnect.backoff', { reconnect: { backoff: 1000 } }],
      ['reconnect.shouldReconnect', { reconnect: { shouldReconnect: [4000] } }],
    ])('rejects a bad %s in %p, naming it', (option, options) => {
      const error = invalid(options);
      expect(error.option).toBe(option);
      expect(error.message).toContain(option);
    });

    it.each([
      ['null', null],
      ['a number', 42],
      ['a string', 'wss://feed.example/'],
      ['a function', () => ({})],
    ])('rejects options that are %s', (_, options) => {
      expect(invalid(options).option).toBe('options');
    });
  });

  describe('for any option values', () => {
    const value = fc.oneof(
      fc.anything(),
      fc.double(),
      fc.constantFrom(
        NaN,
        Infinity,
        -Infinity,
        -0,
        0,
        -1,
        1.5,
        1,
        MAX_TIMER_DELAY_MS,
        MAX_TIMER_DELAY_MS + 1,
        'arraybuffer',
        'blob',
        'report',
        'fatal',
        true,
        false,
      ),
      fc.constant(() => 0),
    );
    const reconnect = fc.oneof(
      value,
      fc.record(
        { backoff: value, shouldReconnect: value, maxAttempts: value, resetAfterMs: value, connectTimeoutMs: value },
        { requiredKeys: [] },
      ),
    );
    const options = fc.oneof(
      value,
      fc.record(
        {
          serializer: value,
          deserializer: value,
          decodeErrors: value,
          binaryType: value,
          reconnect,
          sendQueue: value,
          lingerMs: value,
          WebSocketCtor: value,
          socketOptions: value,
        },
        { requiredKeys: [] },
      ),
    );

    it('returns options within their rules, or throws InvalidOptionError: never another error', () => {
      fc.assert(
        fc.property(options, (input) => {
          let resolved: ReturnType<typeof resolveOptions>;
          try {
            resolved = resolveOptions(input as WebSocketOptions<unknown, unknown>);
          } catch (error) {
            expect(error).toBeInstanceOf(InvalidOptionError);
            return;
          }
          expect(['arraybuffer', 'blob']).toContain(resolved.binaryType);
          expect(['report', 'fatal']).toContain(resolved.decodeErrors);
          expect(typeof resolved.deserializer).toBe('function');
          const isDelay = (ms: number): boolean => ms >= 0 && ms <= MAX_TIMER_DELAY_MS;
          expect(isDelay(resolved.lingerMs)).toBe(true);
          expect(resolved.connectTimeoutMs > 0).toBe(true);
          expect(resolved.connectTimeoutMs === Infinity || isDelay(resolved.connectTimeoutMs)).toBe(true);
          if (resolved.reconnect) {
            const { maxAttempts, resetAfterMs, backoff, shouldReconnect } = resolved.reconnect;
            expect(maxAttempts === Infinity || (Number.isInteger(maxAttempts) && maxAttempts >= 1)).toBe(true);
            expect(isDelay(resetAfterMs)).toBe(true);
            expect([typeof backoff, typeof shouldReconnect]).toEqual(['function', 'function']);
          }
        }),
        { numRuns: 1_000 },
      );
    });
  });
});

describe('assertDelayMs', () => {
  it('takes 0 to the timer limit by default, above 0 or Infinity when asked', () => {
    expect(() => assertDelayMs('x', 0)).not.toThrow();
    expect(() => assertDelayMs('x', MAX_TIMER_DELAY_MS)).not.toThrow();
    expect(() => assertDelayMs('x', 0, { above0: true })).toThrow(InvalidOptionError);
    expect(() => assertDelayMs('x', Infinity)).toThrow(InvalidOptionError);
    expect(() => assertDelayMs('x', Infinity, { never: true })).not.toThrow();
    expect(() => assertDelayMs('x', -Infinity, { never: true })).toThrow(InvalidOptionError);
    expect(() => assertDelayMs('closeTimeoutMs', MAX_TIMER_DELAY_MS + 1)).toThrow(/closeTimeoutMs/);
  });
});

describe('the messages of option errors', () => {
  /** What resolveOptions throws for `options`, as they are (a heartbeat not made by heartbeat() included). */
  function thrown(options: unknown): InvalidOptionError {
    try {
      resolveOptions(options as WebSocketOptions<unknown, unknown>);
    } catch (error) {
      if (error instanceof InvalidOptionError) return error;
      throw error;
    }
    throw new Error('expected the options to be rejected, they were accepted');
  }

  it.each([
    ['decodeErrors', { decodeErrors: 'ignore' }, "('report' or 'fatal')"],
    ['binaryType', { binaryType: 'nodebuffer' }, "('arraybuffer' or 'blob')"],
    ['serializer', { serializer: 'json' }, '(a function)'],
    ['socketOptions', { socketOptions: 'x' }, '(an object)'],
    ['options', 42, '(an object)'],
    ['reconnect', { reconnect: 'yes' }, '(true, false or an object)'],
  ])('say what %s takes', (option, options, rule) => {
    const error = thrown(options);
    expect(error.option).toBe(option);
    expect(error.message).toContain(rule);
  });

  it.each([
    ['heartbeat', { heartbeat: { intervalMs: 1000 } }, 'a heartbeat made by heartbeat({ intervalMs, timeoutMs, ... })'],
    ['heartbeat', { heartbeat: { watch: true } }, 'a heartbeat made by heartbeat('],
    ['tabs', { tabs: { name: 'feed' } }, "a tab sharing made by shareAcrossTabs({ name: '...' })"],
    ['tabs', { tabs: { wrap: 'yes' } }, 'a tab sharing made by shareAcrossTabs('],
    ['lifecycle', { lifecycle: { hiddenCloseAfterMs: 1000 } }, 'a lifecycle made by pageLifecycle({ ... })'],
    ['lifecycle', { lifecycle: () => ({}) }, 'a lifecycle made by pageLifecycle('],
  ])('refuse a %s that its import did not make (%p), saying which import makes one', (option, options, rule) => {
    const error = thrown(options);
    expect(error.option).toBe(option);
    expect(error.message).toContain(rule);
  });
});

describe('assertBinaryType', () => {
  it('names the option and what it takes', () => {
    expect(() => assertBinaryType('nodebuffer')).toThrow(
      expect.objectContaining({ option: 'binaryType', message: expect.stringContaining("'arraybuffer' or 'blob'") }),
    );
  });

  it("accepts 'arraybuffer' and 'blob' only", () => {
    expect(() => assertBinaryType('arraybuffer')).not.toThrow();
    expect(() => assertBinaryType('blob')).not.toThrow();
    for (const value of ['nodebuffer', 'ArrayBuffer', undefined, 1]) {
      expect(() => assertBinaryType(value)).toThrow(InvalidOptionError);
    }
  });
});
