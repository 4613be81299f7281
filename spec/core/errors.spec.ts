import {
  ConnectionTimeoutError,
  DecodeError,
  EncodeError,
  HandshakeError,
  InvalidCloseCodeError,
  InvalidCloseReasonError,
  InvalidOptionError,
  kindOf,
  MessageNotSentError,
  ProtocolNegotiationError,
  RxWebSocketError,
  SendQueueOverflowError,
  TransportError,
  UnsupportedUrlError,
  WebSocketCloseError,
  WebSocketConstructorError,
} from '../../lib/core/errors';

const TOKEN_URL = 'wss://admin:hunter2@feed.example/live?token=s3cret#frag';
const cause = new SyntaxError('Unexpected token');

type AnyErrorClass = abstract new (...args: never[]) => RxWebSocketError;

const examples: [string, AnyErrorClass, string, () => RxWebSocketError][] = [
  [
    'WebSocketCloseError',
    WebSocketCloseError,
    'ERR_WEBSOCKET_CLOSED',
    () => new WebSocketCloseError({ code: 4001, reason: 'kicked', wasClean: true }),
  ],
  [
    'ConnectionTimeoutError',
    ConnectionTimeoutError,
    'ERR_CONNECT_TIMEOUT',
    () => new ConnectionTimeoutError(5_000, TOKEN_URL),
  ],
  [
    'SendQueueOverflowError',
    SendQueueOverflowError,
    'ERR_SEND_QUEUE_OVERFLOW',
    () => new SendQueueOverflowError('tick', { maxMessages: 2, maxBytes: 64 }),
  ],
  ['MessageNotSentError', MessageNotSentError, 'ERR_MESSAGE_NOT_SENT', () => new MessageNotSentError(['a', 'b'])],
  ['InvalidCloseCodeError', InvalidCloseCodeError, 'ERR_INVALID_CLOSE_CODE', () => new InvalidCloseCodeError(1006)],
  [
    'InvalidCloseReasonError',
    InvalidCloseReasonError,
    'ERR_INVALID_CLOSE_REASON',
    () => new InvalidCloseReasonError('x'.repeat(130), 130),
  ],
  ['DecodeError', DecodeError, 'ERR_DECODE', () => new DecodeError('not json', cause)],
  ['EncodeError', EncodeError, 'ERR_ENCODE', () => new EncodeError({ n: 1 }, cause)],
  [
    'UnsupportedUrlError',
    UnsupportedUrlError,
    'ERR_UNSUPPORTED_URL',
    () => new UnsupportedUrlError(TOKEN_URL, 'it is not ws:'),
  ],
  [
    'ProtocolNegotiationError',
    ProtocolNegotiationError,
    'ERR_PROTOCOL_NEGOTIATION',
    () => new ProtocolNegotiationError(['v2.feed', 'v1.feed'], 'Server sent no subprotocol'),
  ],
  ['HandshakeError', HandshakeError, 'ERR_HANDSHAKE', () => new HandshakeError(401)],
  [
    'TransportError',
    TransportError,
    'ERR_TRANSPORT',
    () => new TransportError('connect ECONNREFUSED 127.0.0.1:443', cause),
  ],
  [
    'WebSocketConstructorError',
    WebSocketConstructorError,
    'ERR_WEBSOCKET_CONSTRUCTOR',
    () => new WebSocketConstructorError('RangeError: Unsupported protocol version: 7', new RangeError('x')),
  ],
  [
    'InvalidOptionError',
    InvalidOptionError,
    'ERR_INVALID_OPTION',
    () => new InvalidOptionError('lingerMs', -1, 'a number of milliseconds ≥ 0'),
  ],
];

describe('the error classes', () => {
  describe.each(examples)('%s', (name, ErrorClass, code, make) => {
    it('is an instance of its class, of RxWebSocketError and of Error', () => {
      const error = make();
      expect(error).toBeInstanceOf(ErrorClass);
      expect(error).toBeInstanceOf(RxWebSocketError);
      expect(error).toBeInstanceOf(Error);
    });

    it(`has the name ${name}, shown by toString and the stack`, () => {
      const error = make();
      expect(error.name).toBe(name);
      expect(String(error)).toMatch(new RegExp(`^${name}: .+`));
      expect(error.stack).toContain(name);
    });

    it(`has the stable code ${code}`, () => {
      expect(make().code).toBe(code);
    });

    it('says what happened', () => {
      expect(make().message.length).toBeGreaterThan(10);
    });
  });

  it('each have a code of their own', () => {
    const codes = examples.map(([, , , make]) => make().code);
    expect(new Set(codes).size).toBe(examples.length);
  });

  it('are not instances of one another', () => {
    for (const [name, , , make] of examples) {
      const error = make();
      const others = examples.filter(([other, ErrorClass]) => other !== name && error instanceof ErrorClass);
      expect([name, others.map(([other]) => other)]).toEqual([name, []]);
    }
  });
});

describe('WebSocketCloseError', () => {
  it('carries the close: code, reason and wasClean', () => {
    const close = { code: 4001, reason: 'kicked', wasClean: false };
    const error = new WebSocketCloseError(close);
    expect([error.closeCode, error.reason, error.wasClean, error.close]).toEqual([4001, 'kicked', false, close]);
  });

  it('puts the code and reason in its message, and says when the close was not clean', () => {
    expect(new WebSocketCloseError({ code: 4001, reason: 'kicked', wasClean: true }).message).toBe(
      'WebSocket closed with code 4001 ("kicked")',
    );
    expect(new WebSocketCloseError({ code: 1006, reason: '', wasClean: false }).message).toMatch(/1006.*not cleanly/);
  });
});

describe('ConnectionTimeoutError', () => {
  it('carries the timeout and names it and the URL in its message', () => {
    const error = new ConnectionTimeoutError(5_000, 'wss://feed.example/live');
    expect(error.timeoutMs).toBe(5_000);
    expect(error.message).toContain('5000 ms');
    expect(error.message).toContain('wss://feed.example/live');
  });
});

describe('ConnectionTimeoutError and WebSocketConstructorError, their whole messages', () => {
  it('says no more than the URL and the timeout when no provider is awaited', () => {
    expect(new ConnectionTimeoutError(5_000, TOKEN_URL).message).toBe(
      'WebSocket to wss://feed.example/live did not open within 5000 ms',
    );
  });

  it('quotes what the constructor said after saying it refused its arguments', () => {
    expect(new WebSocketConstructorError('RangeError: Unsupported protocol version: 7').message).toBe(
      'WebSocket constructor refused its arguments: RangeError: Unsupported protocol version: 7',
    );
  });
});

describe('ConnectionTimeoutError for a provider that gave no value in time', () => {
  it('names the provider, and the URL only once it is known, without its secrets', () => {
    const url = new ConnectionTimeoutError(5_000, undefined, 'url');
    expect([url.timeoutMs, url.provider]).toEqual([5_000, 'url']);
    expect(url.message).toBe('WebSocket did not open within 5000 ms, waiting for the url provider');
    const protocols = new ConnectionTimeoutError(5_000, TOKEN_URL, 'protocols');
    expect(protocols.provider).toBe('protocols');
    expect(protocols.message).toBe(
      'WebSocket to wss://feed.example/live did not open within 5000 ms, waiting for the protocols provider',
    );
    expect(new ConnectionTimeoutError(5_000, TOKEN_URL).provider).toBeUndefined();
  });
});

describe('SendQueueOverflowError and MessageNotSentError', () => {
  it('carry the messages that were not sent', () => {
    const limit = { maxMessages: 2, maxBytes: 64 };
    const overflow = new SendQueueOverflowError({ n: 3 }, limit);
    expect([overflow.rejected, overflow.limit]).toEqual([{ n: 3 }, limit]);
    expect(overflow.message).toMatch(/2 messages.*64 bytes/);
    expect(new MessageNotSentError(['a', 'b']).messages).toEqual(['a', 'b']);
    expect(new MessageNotSentError(['a', 'b']).message).toMatch(/^2 /);
  });

  it('SendQueueOverflowError.limit holds exactly maxMessages and maxBytes, whatever else the limits given carry', () => {
    const limits = { maxMessages: 2, maxBytes: 64, overflow: 'report' } as const;
    const overflow = new SendQueueOverflowError('x', limits);
    expect(overflow.limit).toStrictEqual({ maxMessages: 2, maxBytes: 64 });
    expect(Object.keys(overflow.limit)).toEqual(['maxMessages', 'maxBytes']);
  });

  it.each([
    ['close-called', undefined, /close\(\) was called before the socket opened$/],
    ['sent-while-closing', undefined, /sent while closing after close\(\)$/],
    ['send-threw', new TypeError('secret payload text'), /the socket threw a TypeError on open$/],
  ] as const)(
    'MessageNotSentError with reason %s says what happened, keeping its code and messages',
    (reason, thrown, says) => {
      const error = new MessageNotSentError(['a'], reason, thrown);
      expect(error.reason).toBe(reason);
      expect(error.code).toBe('ERR_MESSAGE_NOT_SENT');
      expect(error.messages).toEqual(['a']);
      expect(error.message).toMatch(says);
      expect(error.message).not.toContain('secret');
      expect(error.cause).toBe(thrown);
    },
  );
});

describe('InvalidCloseCodeError and InvalidCloseReasonError', () => {
  it('carry what was wrong and state the rule', () => {
    const code = new InvalidCloseCodeError(1006);
    expect(code.closeCode).toBe(1006);
    expect(code.message).toMatch(/1006.*1000.*3000-4999/);
    const reason = new InvalidCloseReasonError('x'.repeat(130), 130);
    expect(reason.byteLength).toBe(130);
    expect(reason.message).toMatch(/130.*123/);
  });

  it('say what a reason that is not a string was', () => {
    expect(new InvalidCloseReasonError(null, NaN).message).toBe('Invalid close reason: a string is needed, got null');
    expect(new InvalidCloseReasonError(42, NaN).message).toBe('Invalid close reason: a string is needed, got number');
  });
});

describe('InvalidOptionError', () => {
  it('shows a short string, numbers, booleans, null and undefined as they are', () => {
    expect(new InvalidOptionError('o', 'x'.repeat(40), 'r').message).toBe(`Invalid option o: "${'x'.repeat(40)}" (r)`);
    expect(new InvalidOptionError('o', 7, 'r').message).toBe('Invalid option o: 7 (r)');
    expect(new InvalidOptionError('o', false, 'r').message).toBe('Invalid option o: false (r)');
    expect(new InvalidOptionError('o', null, 'r').message).toBe('Invalid option o: null (r)');
    expect(new InvalidOptionError('o', undefined, 'r').message).toBe('Invalid option o: undefined (r)');
  });

  it('cuts a string longer than 40 characters, and shows anything else by its type only', () => {
    expect(new InvalidOptionError('o', 'y'.repeat(41), 'r').message).toBe(`Invalid option o: "${'y'.repeat(40)}…" (r)`);
    expect(new InvalidOptionError('o', { token: 'secret' }, 'r').message).toBe('Invalid option o: object (r)');
    expect(new InvalidOptionError('o', 1n, 'r').message).toBe('Invalid option o: bigint (r)');
  });

  it('leaves a secret value out, saying only its type', () => {
    expect(new InvalidOptionError('protocols[0]', 'token abc', 'r', true).message).toBe(
      'Invalid option protocols[0]: a string (not shown) (r)',
    );
  });
});

describe('DecodeError and EncodeError', () => {
  it("carry the data and the cause, and name only the cause's class in their message", () => {
    const decode = new DecodeError('not json', cause);
    expect([decode.data, decode.cause]).toEqual(['not json', cause]);
    expect(decode.message).toBe('Could not decode a message: the deserializer threw a SyntaxError');
    const encode = new EncodeError({ n: 1 }, 'a string cause');
    expect([encode.value, encode.cause]).toEqual([{ n: 1 }, 'a string cause']);
    expect(encode.message).toBe('Could not encode a message (cause: a string)');
  });

  it('never quote the payload a parser or serializer put in its error text', () => {
    let parseError: unknown;
    try {
      JSON.parse('xsecret-password');
    } catch (error) {
      parseError = error;
    }
    // V8 quotes the start of the text it could not parse.
    expect((parseError as Error).message).toContain('secret');
    const decode = new DecodeError('xsecret-password', parseError);
    expect(decode.message).not.toContain('secret');
    expect(String(decode)).not.toContain('secret');
    expect(decode.cause).toBe(parseError);
    const encode = new EncodeError({ password: 'secret' }, new TypeError('cannot serialize secret'));
    expect(encode.message).not.toContain('secret');
    expect(encode.message).toContain('TypeError');
  });
});

describe('kindOf', () => {
  it('names a thrown value by its class or type, with the right article, and never by its text', () => {
    expect(kindOf(new Error('secret'))).toBe('an Error');
    expect(kindOf(new SyntaxError('secret'))).toBe('a SyntaxError');
    expect(kindOf('secret')).toBe('a string');
    expect(kindOf(42)).toBe('a number');
    expect(kindOf(undefined)).toBe('undefined');
    expect(kindOf(null)).toBe('null');
    expect(kindOf({ name: 'has spaces: secret' })).toBe('an object');
    expect(kindOf(Object.create(null))).toBe('an object');
    expect(kindOf(function Boom() {})).toBe('a Boom');
    expect(kindOf(class Unready {})).toBe('an Unready');
  });
});

describe('ProtocolNegotiationError', () => {
  it('keeps the offered sub-protocols on offered, and out of the message (they may carry tokens)', () => {
    const error = new ProtocolNegotiationError(['v2.feed', 'v1.feed'], 'Server sent no subprotocol');
    expect(error.offered).toEqual(['v2.feed', 'v1.feed']);
    expect(error.message).not.toMatch(/v2\.feed|v1\.feed/);
    expect(error.message).toContain('2 offered');
    expect(error.message).toContain('Server sent no subprotocol');
  });
});

describe('HandshakeError', () => {
  it('carries the HTTP status', () => {
    const error = new HandshakeError(429);
    expect(error.status).toBe(429);
    expect(error.message).toContain('HTTP 429');
  });
});

describe('TransportError', () => {
  it('carries its cause', () => {
    expect(new TransportError('reset', cause).cause).toBe(cause);
  });
});

describe('InvalidOptionError', () => {
  it('names the option, the value and the rule', () => {
    const error = new InvalidOptionError('reconnect.maxAttempts', 1.5, 'an integer ≥ 0, or Infinity');
    expect(error.option).toBe('reconnect.maxAttempts');
    expect(error.message).toBe('Invalid option reconnect.maxAttempts: 1.5 (an integer ≥ 0, or Infinity)');
  });

  it('quotes a long string value cut short, and describes other values by their type', () => {
    expect(new InvalidOptionError('binaryType', 'x'.repeat(100), 'rule').message).not.toContain('x'.repeat(41));
    expect(new InvalidOptionError('serializer', { secret: 'x' }, 'rule').message).toContain('object');
    expect(new InvalidOptionError('serializer', { secret: 'x' }, 'rule').message).not.toContain('secret');
  });
});

describe('error messages', () => {
  it.each([
    ['ConnectionTimeoutError', () => new ConnectionTimeoutError(5_000, TOKEN_URL)],
    ['UnsupportedUrlError', () => new UnsupportedUrlError(TOKEN_URL, 'it is not ws:')],
    ['UnsupportedUrlError for another scheme', () => new UnsupportedUrlError(TOKEN_URL.replace('wss', 'ftp'), 'no')],
  ])('of %s never contain the query string, fragment or credentials of the URL', (_, make) => {
    const { message } = make();
    expect(message).toContain('feed.example/live');
    expect(message).not.toContain('s3cret');
    expect(message).not.toContain('frag');
    expect(message).not.toContain('hunter2');
    expect(message).not.toContain('admin');
  });

  it.each([
    ['SendQueueOverflowError', () => new SendQueueOverflowError(TOKEN_URL, { maxMessages: 1, maxBytes: 1 })],
    ['MessageNotSentError', () => new MessageNotSentError([TOKEN_URL])],
  ])('of %s do not repeat the messages, which may carry URLs', (_, make) => {
    expect(make().message).not.toContain('s3cret');
  });
});
