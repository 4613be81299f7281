import fc from 'fast-check';
import {
  APPLICATION_CLOSE_CODES,
  assertValidClose,
  CloseCode,
  closeCodeOf,
  closeCodePolicy,
  defaultCloseCodePolicy,
  isValidCloseCode,
  LIBRARY_CLOSE_CODES,
  minimumRetryDelayMs,
  SERVICE_RESTART_MIN_DELAY_MS,
  TRY_AGAIN_LATER_MIN_DELAY_MS,
} from '../../lib/reconnect/close-codes';
import {
  CallbackError,
  ConnectionTimeoutError,
  HandshakeError,
  InvalidCloseCodeError,
  InvalidCloseReasonError,
  InvalidOptionError,
  ProtocolNegotiationError,
  TransportError,
  UnsupportedUrlError,
  WebSocketCloseError,
  WebSocketConstructorError,
} from '../../lib/core/errors';
import { HeartbeatTimeoutError } from '../../lib/features/heartbeat/heartbeat-timeout-error';
import type { CloseInfo } from '../../lib/core/events';

// The oracle, written from the tables of RFC 6455 §7.4.1/§7.4.2 and the WHATWG `close()` algorithm rather than
// from the library's comparisons: every code that may travel in a close frame, listed one by one.
const RFC_6455_CODES_ON_THE_WIRE: readonly number[] = [
  1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 1012, 1013, 1014,
];

function isRegisteredOrPrivate(code: number): boolean {
  return Math.floor(code / 1000) === 3 || Math.floor(code / 1000) === 4;
}

function mayTravelOnTheWire(code: unknown): boolean {
  if (typeof code !== 'number' || Math.trunc(code) !== code || !Number.isFinite(code)) return false;
  return RFC_6455_CODES_ON_THE_WIRE.includes(code) || isRegisteredOrPrivate(code);
}

function mayBeSentByAClient(code: unknown): boolean {
  if (typeof code !== 'number' || Math.trunc(code) !== code || !Number.isFinite(code)) return false;
  return code === 1000 || isRegisteredOrPrivate(code);
}

const closeInfo = (code: number, reason = ''): CloseInfo => ({ code, reason, wasClean: code !== 1006 });

function thrownBy(fn: () => unknown): unknown {
  try {
    fn();
  } catch (error) {
    return error;
  }
  throw new Error('expected the call to throw, it returned');
}

describe('CloseCode', () => {
  it('names the codes of RFC 6455 and the IANA registry by their numbers', () => {
    expect(CloseCode.NormalClosure).toBe(1000);
    expect(CloseCode.GoingAway).toBe(1001);
    expect(CloseCode.ProtocolError).toBe(1002);
    expect(CloseCode.UnsupportedData).toBe(1003);
    expect(CloseCode.NoStatusReceived).toBe(1005);
    expect(CloseCode.AbnormalClosure).toBe(1006);
    expect(CloseCode.InvalidFramePayloadData).toBe(1007);
    expect(CloseCode.PolicyViolation).toBe(1008);
    expect(CloseCode.MessageTooBig).toBe(1009);
    expect(CloseCode.MandatoryExtension).toBe(1010);
    expect(CloseCode.InternalError).toBe(1011);
    expect(CloseCode.ServiceRestart).toBe(1012);
    expect(CloseCode.TryAgainLater).toBe(1013);
    expect(CloseCode.BadGateway).toBe(1014);
    expect(CloseCode.TlsHandshake).toBe(1015);
  });

  it('exports the library (3000–3999) and application (4000–4999) ranges', () => {
    expect(LIBRARY_CLOSE_CODES).toEqual([3000, 3999]);
    expect(APPLICATION_CLOSE_CODES).toEqual([4000, 4999]);
  });
});

describe('isValidCloseCode', () => {
  describe('for codes a client sends', () => {
    it('accepts 1000 and 3000–4999 only', () => {
      expect([1000, 3000, 3999, 4000, 4999].map((code) => isValidCloseCode(code, 'send'))).toEqual([
        true,
        true,
        true,
        true,
        true,
      ]);
      expect([0, 999, 1001, 1005, 1006, 1011, 1015, 2999, 5000, 65535].some((c) => isValidCloseCode(c, 'send'))).toBe(
        false,
      );
    });

    it('agrees with the WHATWG close() rule on every integer from 0 to 65535', () => {
      fc.assert(
        fc.property(fc.integer({ min: 0, max: 65_535 }), (code) => {
          expect(isValidCloseCode(code, 'send')).toBe(mayBeSentByAClient(code));
        }),
        { numRuns: 2_000 },
      );
      const disagreements: number[] = [];
      for (let code = 0; code <= 65_535; code++) {
        if (isValidCloseCode(code, 'send') !== mayBeSentByAClient(code)) disagreements.push(code);
      }
      expect(disagreements).toEqual([]);
    });
  });

  describe('for codes received from a peer', () => {
    it('accepts 1000–1003, 1007–1014 and 3000–4999', () => {
      for (const code of [1000, 1001, 1002, 1003, 1007, 1010, 1014, 3000, 4999]) {
        expect([code, isValidCloseCode(code, 'receive')]).toEqual([code, true]);
      }
    });

    it('rejects 1004, the reserved 1005, 1006 and 1015, and everything outside the registry', () => {
      for (const code of [0, 999, 1004, 1005, 1006, 1015, 1016, 2000, 2999, 5000, 65535]) {
        expect([code, isValidCloseCode(code, 'receive')]).toEqual([code, false]);
      }
    });

    it('is the default direction', () => {
      expect(isValidCloseCode(1001)).toBe(true);
      expect(isValidCloseCode(1005)).toBe(false);
    });

    it('agrees with RFC 6455 on every integer from 0 to 65535', () => {
      fc.assert(
        fc.property(fc.integer({ min: 0, max: 65_535 }), (code) => {
          expect(isValidCloseCode(code, 'receive')).toBe(mayTravelOnTheWire(code));
          expect(isValidCloseCode(code)).toBe(mayTravelOnTheWire(code));
        }),
        { numRuns: 2_000 },
      );
      const disagreements: number[] = [];
      for (let code = 0; code <= 65_535; code++) {
        if (isValidCloseCode(code, 'receive') !== mayTravelOnTheWire(code)) disagreements.push(code);
      }
      expect(disagreements).toEqual([]);
    });
  });

  describe('for numbers that are not integers', () => {
    it('rejects NaN, infinities and fractions in both directions', () => {
      for (const code of [NaN, Infinity, -Infinity, 1000.5, 3000.0001, 4999.999]) {
        expect([code, isValidCloseCode(code, 'send'), isValidCloseCode(code, 'receive')]).toEqual([code, false, false]);
      }
    });

    it('rejects every non-integer double, whatever its size', () => {
      fc.assert(
        fc.property(fc.double({ noInteger: true }), fc.constantFrom('send' as const, 'receive' as const), (code, d) => {
          expect(isValidCloseCode(code, d)).toBe(false);
        }),
      );
    });

    it('agrees with the oracle on any double, integers near the boundaries included', () => {
      const near = fc.constantFrom(999, 1000, 1001, 1003, 1004, 1006, 1007, 1014, 1015, 2999, 3000, 4999, 5000);
      fc.assert(
        fc.property(
          fc.oneof(
            fc.double(),
            near,
            near.map((c) => c + 0.5),
          ),
          (code) => {
            expect(isValidCloseCode(code, 'send')).toBe(mayBeSentByAClient(code));
            expect(isValidCloseCode(code, 'receive')).toBe(mayTravelOnTheWire(code));
          },
        ),
      );
    });
  });
});

describe('assertValidClose', () => {
  describe('for the code', () => {
    it('accepts no code, 1000, and 3000–4999', () => {
      for (const code of [undefined, 1000, 3000, 3999, 4000, 4999]) {
        expect(() => assertValidClose(code, undefined)).not.toThrow();
      }
    });

    it.each([
      ['a code the browser reserves', 1001],
      ['1005, which never travels', 1005],
      ['1006, which never travels', 1006],
      ['1015, which never travels', 1015],
      ['a code below the registry', 999],
      ['a code above the private range', 5000],
      ['a fraction', 1000.5],
      ['NaN', NaN],
      ['a numeric string', '1000'],
      ['null', null],
    ])('rejects %s with InvalidCloseCodeError', (_, code) => {
      const error = thrownBy(() => assertValidClose(code, undefined));
      expect(error).toBeInstanceOf(InvalidCloseCodeError);
      expect((error as InvalidCloseCodeError).closeCode).toBe(code);
      expect((error as InvalidCloseCodeError).code).toBe('ERR_INVALID_CLOSE_CODE');
    });
  });

  describe('for the reason', () => {
    it('accepts none, an empty one, and a reason without a code', () => {
      expect(() => assertValidClose(1000, undefined)).not.toThrow();
      expect(() => assertValidClose(1000, '')).not.toThrow();
      expect(() => assertValidClose(undefined, 'bye')).not.toThrow();
    });

    it('accepts 123 UTF-8 bytes of ASCII and rejects 124', () => {
      expect(() => assertValidClose(1000, 'a'.repeat(123))).not.toThrow();
      const error = thrownBy(() => assertValidClose(1000, 'a'.repeat(124)));
      expect(error).toBeInstanceOf(InvalidCloseReasonError);
      expect((error as InvalidCloseReasonError).byteLength).toBe(124);
    });

    it.each([
      ['2-byte characters', 'é'.repeat(61) + 'a', 'é'.repeat(62)],
      ['3-byte characters', '€'.repeat(41), '€'.repeat(41) + 'a'],
      ['4-byte characters (surrogate pairs)', '😀'.repeat(30) + 'abc', '😀'.repeat(31)],
      ['lone high surrogates (sent as U+FFFD, 3 bytes)', '\ud800'.repeat(41), '\ud800'.repeat(41) + 'a'],
      ['lone low surrogates (sent as U+FFFD, 3 bytes)', '\udc00'.repeat(41), '\udc00'.repeat(41) + 'a'],
      [
        'a low surrogate before a high one (two replacements)',
        '\udc00\ud800' + 'a'.repeat(117),
        '\udc00\ud800' + 'a'.repeat(118),
      ],
    ])('counts %s in UTF-8 bytes: 123 pass, 124 fail', (_, fits, tooLong) => {
      expect(() => assertValidClose(4000, fits)).not.toThrow();
      const error = thrownBy(() => assertValidClose(4000, tooLong));
      expect(error).toBeInstanceOf(InvalidCloseReasonError);
      expect((error as InvalidCloseReasonError).byteLength).toBe(124);
      expect((error as InvalidCloseReasonError).code).toBe('ERR_INVALID_CLOSE_REASON');
    });

    it.each([
      ['a number', 42],
      ['null', null],
      ['an object', { toString: () => 'bye' }],
      ['a boolean', false],
    ])('rejects %s with InvalidCloseReasonError', (_, reason) => {
      expect(thrownBy(() => assertValidClose(1000, reason))).toBeInstanceOf(InvalidCloseReasonError);
    });

    it('says that a reason which is not a string must be one, rather than calling it NaN bytes long', () => {
      const error = thrownBy(() => assertValidClose(1000, 42)) as Error;
      expect(error.message).toMatch(/string/);
      expect(error.message).not.toMatch(/NaN/);
    });

    it('checks the code before the reason', () => {
      expect(thrownBy(() => assertValidClose(1001, 'a'.repeat(200)))).toBeInstanceOf(InvalidCloseCodeError);
    });
  });
});

describe('closeCodeOf', () => {
  it('reads the code of a CloseInfo, a WebSocketCloseError and a browser CloseEvent', () => {
    class FakeCloseEvent {
      get code(): number {
        return 4001;
      }
      get wasClean(): boolean {
        return true;
      }
    }
    expect(closeCodeOf(closeInfo(1006))).toBe(1006);
    expect(closeCodeOf(new WebSocketCloseError(closeInfo(4000)))).toBe(4000);
    expect(closeCodeOf(new FakeCloseEvent())).toBe(4001);
  });

  it('finds none in errors, in objects without wasClean, or in nothing', () => {
    expect(closeCodeOf(new HandshakeError(401))).toBeUndefined();
    expect(closeCodeOf({ code: 1000 })).toBeUndefined();
    expect(closeCodeOf(undefined)).toBeUndefined();
    expect(closeCodeOf(null)).toBeUndefined();
    expect(closeCodeOf(1000)).toBeUndefined();
  });

  it('finds none in a close-like object whose code is not a number', () => {
    expect(closeCodeOf({ code: '1000', wasClean: true })).toBeUndefined();
  });
});

describe('defaultCloseCodePolicy', () => {
  const retried = [1001, 1005, 1006, 1011, 1012, 1013, 1014];
  // Together with `retried`, every code from 1000 to 1015, then the library and application ranges' ends.
  const stopped = [1000, 1002, 1003, 1004, 1007, 1008, 1009, 1010, 1015, 2000, 3000, 3999, 4000, 4999];

  describe('for close codes', () => {
    it.each(retried)('retries %i, as a CloseInfo and as a WebSocketCloseError', (code) => {
      expect(defaultCloseCodePolicy(closeInfo(code))).toBe(true);
      expect(defaultCloseCodePolicy(new WebSocketCloseError(closeInfo(code)))).toBe(true);
    });

    it.each(stopped)('stops on %i, as a CloseInfo and as a WebSocketCloseError', (code) => {
      expect(defaultCloseCodePolicy(closeInfo(code))).toBe(false);
      expect(defaultCloseCodePolicy(new WebSocketCloseError(closeInfo(code)))).toBe(false);
    });
  });

  describe('for errors without a close', () => {
    it.each([
      ['a connect timeout', new ConnectionTimeoutError(10_000, 'wss://feed.example/ws')],
      ['a transport error (refused, reset)', new TransportError('connect ECONNREFUSED 127.0.0.1:443')],
      ['HTTP 408 instead of an upgrade', new HandshakeError(408)],
      ['HTTP 429 instead of an upgrade', new HandshakeError(429)],
      ['HTTP 500 instead of an upgrade', new HandshakeError(500)],
      ['HTTP 503 instead of an upgrade', new HandshakeError(503)],
      ['a URL provider that never answered', new ConnectionTimeoutError(10_000, undefined, 'url')],
      ['a heartbeat timeout', new HeartbeatTimeoutError(30_000, 10_000)],
      ['a URL provider that failed', new CallbackError('url', new Error('token service unavailable'))],
      ['a protocols provider that failed', new CallbackError('protocols', new Error('token service unavailable'))],
      ["a plain Error that is not the library's", new Error('token service unavailable')],
    ])('retries %s', (_, reason) => {
      expect(defaultCloseCodePolicy(reason)).toBe(true);
    });

    /** An error of another library or of Node, with its own `code`. */
    const foreign = (code: string): Error => Object.assign(new Error(`failed (${code})`), { code });

    it.each([
      // Node's own codes.
      'ERR_SOCKET_CONNECTION_TIMEOUT',
      'ERR_STREAM_PREMATURE_CLOSE',
      // axios's, from a token fetch.
      'ERR_NETWORK',
      'ERR_BAD_RESPONSE',
      // Codes this library uses itself, on an error it did not make.
      'ERR_UNSUPPORTED_URL',
      'ERR_CALLBACK',
    ])(
      'retries an error of another library or of Node whose code is %s: the prefix says nothing of whose it is',
      (code) => {
        expect(defaultCloseCodePolicy(foreign(code))).toBe(true);
        expect(defaultCloseCodePolicy(new CallbackError('url', foreign(code)))).toBe(true);
      },
    );

    it.each([
      ['HTTP 401 instead of an upgrade', new HandshakeError(401)],
      ['HTTP 403 instead of an upgrade', new HandshakeError(403)],
      ['HTTP 404 instead of an upgrade', new HandshakeError(404)],
      ['a URL it cannot use', new UnsupportedUrlError('ftp://files.example/', 'the scheme "ftp:" is not supported')],
      ['no common sub-protocol', new ProtocolNegotiationError(['v2.feed'], 'Server sent no subprotocol')],
      [
        'a constructor that refused its arguments',
        new WebSocketConstructorError('RangeError: Unsupported protocol version: 7'),
      ],
      ['a protocols value it cannot offer', new InvalidOptionError('protocols[0]', 'a b', 'a token', true)],
      ['a multiplex callback that threw', new CallbackError('multiplex.filter', new Error('bug'))],
    ])('stops on %s', (_, reason) => {
      expect(defaultCloseCodePolicy(reason)).toBe(false);
    });
  });
});

describe('closeCodePolicy', () => {
  it('retries the codes it lists, even ones the default stops on', () => {
    const policy = closeCodePolicy({ retry: [4000, 1008] });
    expect(policy(closeInfo(4000), 1)).toBe(true);
    expect(policy(closeInfo(1008), 1)).toBe(true);
    expect(policy(closeInfo(4001), 1)).toBe(false);
  });

  it('matches ranges inclusively at both ends', () => {
    const policy = closeCodePolicy({ retry: [[4500, 4599]] });
    expect([4499, 4500, 4550, 4599, 4600].map((code) => policy(closeInfo(code), 1))).toEqual([
      false,
      true,
      true,
      true,
      false,
    ]);
  });

  it('stops on the codes it lists, even ones the default retries', () => {
    const policy = closeCodePolicy({ stop: [1001, [1011, 1013]] });
    expect([1001, 1011, 1012, 1013, 1014].map((code) => policy(closeInfo(code), 1))).toEqual([
      false,
      false,
      false,
      false,
      true,
    ]);
  });

  it('lets stop win over retry where both match', () => {
    const policy = closeCodePolicy({ retry: [[4000, 4999], 1008], stop: [4001, [4100, 4199], 1008] });
    expect(policy(closeInfo(4000), 1)).toBe(true);
    expect(policy(closeInfo(4001), 1)).toBe(false);
    expect(policy(closeInfo(4150), 1)).toBe(false);
    expect(policy(new WebSocketCloseError(closeInfo(1008)), 1)).toBe(false);
  });

  it('asks otherwise, with the reason and attempt, for closes neither list matches and for errors', () => {
    const otherwise = jest.fn((_: unknown, attempt: number) => attempt < 3);
    const policy = closeCodePolicy({ retry: [4000], stop: [4001], otherwise });
    const unmatched = closeInfo(1006);
    const error = new HandshakeError(503);

    expect(policy(unmatched, 2)).toBe(true);
    expect(policy(error, 3)).toBe(false);
    expect(otherwise.mock.calls).toEqual([
      [unmatched, 2],
      [error, 3],
    ]);
  });

  it('does not ask otherwise when a list matches', () => {
    const otherwise = jest.fn(() => true);
    const policy = closeCodePolicy({ retry: [4000], stop: [4001], otherwise });
    policy(closeInfo(4000), 1);
    policy(closeInfo(4001), 1);
    expect(otherwise).not.toHaveBeenCalled();
  });

  it('falls back to defaultCloseCodePolicy without otherwise', () => {
    const policy = closeCodePolicy({ retry: [4000] });
    expect(policy(closeInfo(1006), 1)).toBe(true);
    expect(policy(closeInfo(1000), 1)).toBe(false);
    expect(policy(new HandshakeError(401), 1)).toBe(false);
    expect(policy(new Error('token service unavailable'), 1)).toBe(true);
  });

  it('never matches its codes against errors, which carry none', () => {
    const policy = closeCodePolicy({ retry: [[0, 65_535]] });
    expect(policy(new HandshakeError(401), 1)).toBe(false);
    expect(policy(new UnsupportedUrlError('ftp://x/', 'no'), 1)).toBe(false);
  });

  it.each([
    ['a fraction', 4000.5],
    ['NaN', NaN],
    ['Infinity', Infinity],
    ['a numeric string', '4000'],
    ['null', null],
    ['an object', {}],
    ['a one-element range', [4000]],
    ['a three-element range', [4000, 4001, 4002]],
    ['a reversed range', [4001, 4000]],
    ['a range with a fraction', [4000, 4000.5]],
    ['a range of strings', ['4000', '4999']],
  ])('throws at once on %s among retry or stop', (_, matcher) => {
    expect(() => closeCodePolicy({ retry: [matcher as never] })).toThrow(/closeCodePolicy/);
    expect(() => closeCodePolicy({ stop: [4000, matcher as never] })).toThrow(/closeCodePolicy/);
  });

  it('takes a range of one code, and says what an entry must be when one is wrong', () => {
    expect(() => closeCodePolicy({ retry: [[4000, 4000]] })).not.toThrow();
    expect(() => closeCodePolicy({ retry: [[4001, 4000]] })).toThrow(
      'each entry is a close code or a [from, to] range',
    );
  });
});

describe('minimumRetryDelayMs', () => {
  it('waits at least 2 s after 1012 (Service Restart)', () => {
    expect(SERVICE_RESTART_MIN_DELAY_MS).toBe(2_000);
    expect(minimumRetryDelayMs(closeInfo(1012))).toBe(2_000);
    expect(minimumRetryDelayMs(new WebSocketCloseError(closeInfo(1012)))).toBe(2_000);
  });

  it('waits at least 5 s after 1013 (Try Again Later)', () => {
    expect(TRY_AGAIN_LATER_MIN_DELAY_MS).toBe(5_000);
    expect(minimumRetryDelayMs(closeInfo(1013))).toBe(5_000);
    expect(minimumRetryDelayMs(new WebSocketCloseError(closeInfo(1013)))).toBe(5_000);
  });

  it('asks no minimum after other codes, errors, or nothing', () => {
    for (const reason of [
      closeInfo(1000),
      closeInfo(1006),
      closeInfo(1011),
      closeInfo(1014),
      closeInfo(4000),
      new HandshakeError(503),
      new Error('boom'),
      undefined,
    ]) {
      expect(minimumRetryDelayMs(reason)).toBe(0);
    }
  });
});
