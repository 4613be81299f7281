import { EventEmitter } from 'node:events';
import { catchError, map, Observable, of, timer, type Subscription } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { Connection, type ConnectionConfig, type NativeMessageEvent } from '../../lib/core/connection';
import type { CloseInfo } from '../../lib/core/events';
import type { WebSocketLike } from '../../lib/core/web-socket-like';

/** What a connection reports, in order, as the spec records it. */
type ConnectionEvent =
  | { readonly type: 'socket'; readonly socket: WebSocketLike }
  | { readonly type: 'open' }
  | { readonly type: 'error'; readonly error: unknown }
  | { readonly type: 'close'; readonly close: CloseInfo };

interface SpecConfig extends ConnectionConfig {
  readonly onMessage: (event: NativeMessageEvent) => void;
}

/**
 * A `Connection` per subscription, its listener calls turned into events: the socket first, then open, errors and
 * the close (which completes); a timeout or a throwing constructor errors; unsubscribing disposes of it.
 */
function connection(config: SpecConfig): Observable<ConnectionEvent> {
  return new Observable<ConnectionEvent>((subscriber) => {
    let created: Connection;
    try {
      created = new Connection(config, {
        opened: () => subscriber.next({ type: 'open' }),
        message: config.onMessage,
        failed: (error) => subscriber.next({ type: 'error', error }),
        closed: (close) => {
          subscriber.next({ type: 'close', close });
          subscriber.complete();
        },
        timedOut: (error) => subscriber.error(error),
      });
    } catch (error) {
      subscriber.error(error);
      return undefined;
    }
    subscriber.next({ type: 'socket', socket: created.socket });
    return () => created.dispose();
  });
}
import {
  ConnectionTimeoutError,
  HandshakeError,
  InvalidOptionError,
  ProtocolNegotiationError,
  RxWebSocketError,
  TransportError,
  WebSocketConstructorError,
} from '../../lib/core/errors';
import { CLOSED, CLOSING, CONNECTING, OPEN, type WebSocketConstructor } from '../../lib/core/web-socket-like';

/**
 * A WebSocket whose server side the spec plays. Like `ws` (an EventEmitter), it throws an error event that has no
 * listener, so a handler left unset where one is needed shows up as a failure.
 */
class FakeWebSocket {
  static created: FakeWebSocket[] = [];

  readonly url: string;
  readonly constructorArgs: unknown[];
  readonly closeCalls: unknown[][] = [];
  readyState = CONNECTING;
  protocol = '';
  extensions = '';
  bufferedAmount = 0;
  binaryType = 'blob';
  onopen: ((event: unknown) => void) | null = null;
  onmessage: ((event: unknown) => void) | null = null;
  onerror: ((event: unknown) => void) | null = null;
  onclose: ((event: unknown) => void) | null = null;

  constructor(...args: unknown[]) {
    this.constructorArgs = args;
    this.url = String(args[0]);
    FakeWebSocket.created.push(this);
  }

  send(): void {}

  close(...args: unknown[]): void {
    this.closeCalls.push(args);
    if (this.readyState === CONNECTING || this.readyState === OPEN) this.readyState = CLOSING;
  }

  serverOpens(protocol = ''): void {
    this.readyState = OPEN;
    this.protocol = protocol;
    this.onopen?.({ type: 'open', target: this });
  }

  serverSends(data: unknown): object {
    const event = { type: 'message', data, target: this };
    this.onmessage?.(event);
    return event;
  }

  reportsError(event: object): void {
    if (this.onerror === null) throw new Error('unhandled error event');
    this.onerror(event);
  }

  closes(code: number, reason = '', wasClean = true): void {
    this.readyState = CLOSED;
    this.onclose?.({ type: 'close', code, reason, wasClean, target: this });
  }
}

const FakeCtor = FakeWebSocket as unknown as WebSocketConstructor;

function latest(): FakeWebSocket {
  const socket = FakeWebSocket.created.at(-1);
  if (!socket) throw new Error('no socket was created');
  return socket;
}

/** The message events handed to the latest config's `onMessage`, in order. */
let delivered: unknown[] = [];

function config(overrides: Partial<SpecConfig> = {}): SpecConfig {
  const messages: unknown[] = [];
  delivered = messages;
  return {
    onMessage: (event) => messages.push(event),
    url: 'wss://feed.example/live',
    protocols: undefined,
    WebSocketCtor: FakeCtor,
    binaryType: 'arraybuffer',
    socketOptions: undefined,
    connectTimeoutMs: Infinity,
    ...overrides,
  };
}

interface Recording {
  events: ConnectionEvent[];
  error?: unknown;
  completed: boolean;
  subscription: Subscription;
}

function record(source: Observable<ConnectionEvent>): Recording {
  const recording = { events: [], completed: false } as unknown as Recording;
  recording.subscription = source.subscribe({
    next: (event) => recording.events.push(event),
    error: (error: unknown) => (recording.error = error),
    complete: () => (recording.completed = true),
  });
  return recording;
}

const types = (recording: Recording): string[] => recording.events.map((event) => event.type);

function errorEvent(recording: Recording): unknown {
  const event = recording.events.find((e) => e.type === 'error');
  if (!event || event.type !== 'error') throw new Error(`no error event among ${types(recording).join(', ')}`);
  return event.error;
}

/** What ws dispatches on an error: an ErrorEvent with the Error and its message. */
const wsError = (message: string): object => ({ type: 'error', error: new Error(message), message });

function testScheduler(): TestScheduler {
  return new TestScheduler((actual, expected) => expect(actual).toEqual(expected));
}

beforeEach(() => {
  FakeWebSocket.created = [];
});

describe('Connection', () => {
  describe('on subscribe', () => {
    it('creates nothing until subscribed, then one socket per subscription', () => {
      const socket$ = connection(config());
      expect(FakeWebSocket.created).toHaveLength(0);
      record(socket$);
      record(socket$);
      expect(FakeWebSocket.created).toHaveLength(2);
    });

    it('emits the socket synchronously, with binaryType already set', () => {
      let seen: { socket: unknown; binaryType: string } | undefined;
      connection(config({ binaryType: 'arraybuffer' })).subscribe((event) => {
        if (event.type === 'socket') seen = { socket: event.socket, binaryType: event.socket.binaryType };
      });
      expect(seen).toEqual({ socket: latest(), binaryType: 'arraybuffer' });
    });

    it('passes the URL and the sub-protocols to the constructor', () => {
      record(connection(config({ protocols: undefined })));
      expect(latest().constructorArgs).toEqual(['wss://feed.example/live', undefined]);
      record(connection(config({ protocols: 'v2.feed' })));
      expect(latest().constructorArgs).toEqual(['wss://feed.example/live', 'v2.feed']);
      record(connection(config({ protocols: ['v2.feed', 'v1.feed'] })));
      expect(latest().constructorArgs).toEqual(['wss://feed.example/live', ['v2.feed', 'v1.feed']]);
    });

    it('passes socketOptions as the third argument only when given', () => {
      record(connection(config({ socketOptions: undefined })));
      expect(latest().constructorArgs).toHaveLength(2);
      const socketOptions = { headers: { authorization: 'Bearer x' } };
      record(connection(config({ socketOptions })));
      expect(latest().constructorArgs).toHaveLength(3);
      expect(latest().constructorArgs[2]).toBe(socketOptions);
    });
  });

  describe('through the life of a socket', () => {
    it('emits socket, open and close, then completes, handing each message event to onMessage as it comes', () => {
      const recording = record(connection(config()));
      const socket = latest();
      socket.serverOpens('v2.feed');
      const first = socket.serverSends('{"n":1}');
      const second = socket.serverSends(new ArrayBuffer(2));
      expect(recording.completed).toBe(false);
      socket.closes(4001, 'kicked', true);

      expect(types(recording)).toEqual(['socket', 'open', 'close']);
      expect(delivered).toHaveLength(2);
      expect(delivered[0]).toBe(first);
      expect(delivered[1]).toBe(second);
      expect(recording.completed).toBe(true);
      expect(recording.error).toBeUndefined();
    });

    it('reports the close as exactly { code, reason, wasClean }', () => {
      const recording = record(connection(config()));
      latest().closes(1006, '', false);
      expect(recording.events.at(-1)).toStrictEqual({
        type: 'close',
        close: { code: 1006, reason: '', wasClean: false },
      });
    });

    it('does not close a socket that has closed by itself', () => {
      record(connection(config()));
      latest().serverOpens();
      latest().closes(1000);
      expect(latest().closeCalls).toEqual([]);
    });
  });

  describe('when the socket reports an error', () => {
    it('emits it as an event and goes on: the close that follows ends the stream', () => {
      const recording = record(connection(config()));
      latest().reportsError(wsError('read ECONNRESET'));
      expect(recording.error).toBeUndefined();
      expect(recording.completed).toBe(false);
      latest().closes(1006, '', false);
      expect(types(recording)).toEqual(['socket', 'error', 'close']);
      expect(recording.completed).toBe(true);
    });

    it('makes HandshakeError of an unexpected HTTP response, with its status', () => {
      const recording = record(connection(config()));
      latest().reportsError(wsError('Unexpected server response: 401'));
      const error = errorEvent(recording);
      expect(error).toBeInstanceOf(HandshakeError);
      expect((error as HandshakeError).status).toBe(401);
    });

    it.each([
      ['a single sub-protocol', 'v2.feed', ['v2.feed']],
      ['a list of sub-protocols', ['v2.feed', 'v1.feed'], ['v2.feed', 'v1.feed']],
    ])('makes ProtocolNegotiationError of a missing sub-protocol, listing %s offered', (_, protocols, offered) => {
      const recording = record(connection(config({ protocols })));
      latest().reportsError(wsError('Server sent no subprotocol'));
      const error = errorEvent(recording);
      expect(error).toBeInstanceOf(ProtocolNegotiationError);
      expect((error as ProtocolNegotiationError).offered).toEqual(offered);
      expect((error as Error).message).toContain('Server sent no subprotocol');
    });

    it('makes TransportError of anything else, keeping the cause', () => {
      const recording = record(connection(config()));
      const event = wsError('connect ECONNREFUSED 127.0.0.1:443') as { error: Error };
      latest().reportsError(event);
      const error = errorEvent(recording);
      expect(error).toBeInstanceOf(TransportError);
      expect((error as Error).message).toContain('connect ECONNREFUSED 127.0.0.1:443');
      expect((error as Error).cause).toBe(event.error);
    });

    it('makes TransportError of a browser error event, which has no detail', () => {
      const recording = record(connection(config()));
      const event = { type: 'error' };
      latest().reportsError(event);
      const error = errorEvent(recording);
      expect(error).toBeInstanceOf(TransportError);
      expect((error as Error).message).toMatch(/no detail/);
      expect((error as Error).cause).toBe(event);
    });

    it('leaves credentials and query strings out of a message that quotes a URL, and out of its cause', () => {
      const recording = record(connection(config()));
      latest().reportsError(
        wsError('Invalid WebSocket frame from wss://admin:hunter2@feed.example/live?token=s3cret#frag, closing'),
      );
      const { message, cause } = errorEvent(recording) as Error;
      expect(message).toContain('wss://feed.example/live');
      expect(message).not.toContain('s3cret');
      expect(message).not.toContain('hunter2');
      // The raw error would print the token wherever the error is logged with its cause.
      expect(cause).toBeUndefined();
    });

    it('keeps the cause of a message that quotes a URL without secrets, unchanged', () => {
      const recording = record(connection(config()));
      const event = wsError('Invalid WebSocket frame from ws://feed.example, closing') as { error: Error };
      latest().reportsError(event);
      const { message, cause } = errorEvent(recording) as Error;
      expect(message).toContain('from ws://feed.example, closing');
      expect(cause).toBe(event.error);
    });
  });

  describe('with a connect timeout', () => {
    const typesOrTimeout = (source: Observable<ConnectionEvent>): Observable<string> =>
      source.pipe(
        map((event) => event.type),
        catchError((error: unknown) =>
          of(error instanceof ConnectionTimeoutError ? `timeout after ${error.timeoutMs}` : `error ${String(error)}`),
        ),
      );

    it('errors with ConnectionTimeoutError after exactly connectTimeoutMs, and closes the socket with 1000', () => {
      testScheduler().run(({ expectObservable }) => {
        expectObservable(typesOrTimeout(connection(config({ connectTimeoutMs: 5_000 })))).toBe('s 4999ms (t|)', {
          s: 'socket',
          t: 'timeout after 5000',
        });
      });
      expect(latest().closeCalls).toEqual([[1000]]);
    });

    it('waits only what the providers left of connectTimeoutMs (spentMs), and reports the whole timeout', () => {
      testScheduler().run(({ expectObservable }) => {
        expectObservable(typesOrTimeout(connection(config({ connectTimeoutMs: 5_000, spentMs: 4_000 })))).toBe(
          's 999ms (t|)',
          { s: 'socket', t: 'timeout after 5000' },
        );
      });
    });

    it('leaves the query string and credentials out of the timeout message', () => {
      let recording: Recording | undefined;
      testScheduler().run(() => {
        recording = record(
          connection(config({ url: 'wss://admin:hunter2@feed.example/live?token=s3cret', connectTimeoutMs: 1_000 })),
        );
      });
      expect(recording?.error).toBeInstanceOf(ConnectionTimeoutError);
      const { message } = recording?.error as Error;
      expect(message).toContain('feed.example/live');
      expect(message).not.toContain('s3cret');
      expect(message).not.toContain('hunter2');
    });

    it('stops counting once the socket opens', () => {
      testScheduler().run(({ expectObservable }) => {
        timer(1_000).subscribe(() => latest().serverOpens());
        expectObservable(typesOrTimeout(connection(config({ connectTimeoutMs: 5_000 }))), '^ 60000ms !').toBe(
          's 999ms o',
          { s: 'socket', o: 'open' },
        );
      });
      expect(latest().closeCalls).toEqual([[1000]]);
    });

    it('stops counting when the socket closes before it opens', () => {
      testScheduler().run(({ expectObservable }) => {
        timer(100).subscribe(() => latest().closes(1006, '', false));
        expectObservable(typesOrTimeout(connection(config({ connectTimeoutMs: 5_000 })))).toBe('s 99ms (c|)', {
          s: 'socket',
          c: 'close',
        });
      });
      expect(latest().closeCalls).toEqual([]);
    });

    it('starts no count for a socket that is not connecting when made: its own events end it', () => {
      /** A WebSocket-like that has failed by the time its constructor returns, and says so in a close event later. */
      class FailedAtOnce extends FakeWebSocket {
        override readyState = CLOSED;
      }
      testScheduler().run(({ expectObservable }) => {
        timer(6_000).subscribe(() => latest().closes(1006, '', false));
        expectObservable(
          typesOrTimeout(
            connection(
              config({ WebSocketCtor: FailedAtOnce as unknown as WebSocketConstructor, connectTimeoutMs: 5_000 }),
            ),
          ),
        ).toBe('s 5999ms (c|)', { s: 'socket', c: 'close' });
      });
    });

    it('never times out with Infinity', () => {
      testScheduler().run(({ expectObservable }) => {
        expectObservable(typesOrTimeout(connection(config({ connectTimeoutMs: Infinity }))), '^ 3600000ms !').toBe(
          's',
          { s: 'socket' },
        );
      });
    });
  });

  describe('when unsubscribed', () => {
    it('closes an open socket with 1000, once', () => {
      const recording = record(connection(config()));
      latest().serverOpens();
      recording.subscription.unsubscribe();
      expect(latest().closeCalls).toEqual([[1000]]);
    });

    it('closes a socket that is still connecting with 1000', () => {
      record(connection(config())).subscription.unsubscribe();
      expect(latest().closeCalls).toEqual([[1000]]);
    });

    it('swallows a late error event, as ws emits one when a handshake is aborted', () => {
      const recording = record(connection(config()));
      recording.subscription.unsubscribe();
      expect(() =>
        latest().reportsError(wsError('WebSocket was closed before the connection was established')),
      ).not.toThrow();
      expect(types(recording)).toEqual(['socket']);
    });

    it('hears nothing more from the socket', () => {
      const recording = record(connection(config()));
      const socket = latest();
      socket.serverOpens();
      recording.subscription.unsubscribe();
      socket.serverSends('late');
      socket.closes(1000);
      expect(types(recording)).toEqual(['socket', 'open']);
      expect([socket.onopen, socket.onmessage, socket.onclose]).toEqual([null, null, null]);
      expect(recording.completed).toBe(false);
    });
  });

  describe('when the constructor throws', () => {
    it('keeps what it threw as the cause when its message holds no URL secret', () => {
      const thrown = new TypeError('WebSocket is not a constructor here');
      const Throwing = function () {
        throw thrown;
      } as unknown as WebSocketConstructor;
      const recording = record(connection(config({ WebSocketCtor: Throwing })));
      expect((recording.error as TransportError).cause).toBe(thrown);
    });

    it('errors with WebSocketConstructorError quoting the message with the URL redacted, without the raw error as its cause, and emits no socket', () => {
      const thrown = new SyntaxError(
        "Failed to construct 'WebSocket': The URL 'wss://admin:hunter2@feed.example/live?token=s3cret' is invalid.",
      );
      const Throwing = function () {
        throw thrown;
      } as unknown as WebSocketConstructor;
      const recording = record(connection(config({ WebSocketCtor: Throwing })));

      expect(recording.events).toEqual([]);
      expect(recording.error).toBeInstanceOf(WebSocketConstructorError);
      expect(recording.error).toBeInstanceOf(RxWebSocketError);
      const error = recording.error as WebSocketConstructorError;
      // The raw error would print the token wherever the error is logged with its cause.
      expect(error.cause).toBeUndefined();
      expect(error.message).toContain("The URL 'wss://feed.example/live' is invalid.");
      expect(error.message).not.toContain('s3cret');
      expect(error.message).not.toContain('hunter2');
    });

    describe('refusing its arguments the same way on every attempt', () => {
      /** A constructor that throws `thrown`, as ws and browsers do for arguments they will never take. */
      const throwing = (thrown: unknown): WebSocketConstructor =>
        function () {
          throw thrown;
        } as unknown as WebSocketConstructor;

      it.each([
        ['a RangeError (ws: socketOptions { protocolVersion: 7 })', new RangeError('Unsupported protocol version: 7')],
        [
          'a SyntaxError (ws: a URL or sub-protocol it cannot use)',
          new SyntaxError('Invalid URL: wss://feed.example/live'),
        ],
        ['a TypeError (a constructor that is not one)', new TypeError('WebSocketCtor is not a constructor')],
        [
          "a browser's SyntaxError DOMException for a bad URL",
          new DOMException("The URL 'x' is invalid.", 'SyntaxError'),
        ],
        [
          "a browser's SecurityError DOMException (an insecure ws: from an https: page)",
          new DOMException('insecure', 'SecurityError'),
        ],
        [
          "one of this library's own errors (a wrapper constructor checking its arguments)",
          new InvalidOptionError('socketOptions.protocolVersion', 7, '8 or 13'),
        ],
      ])('errors with WebSocketConstructorError for %s, naming it, the cause kept', (_, thrown) => {
        const recording = record(connection(config({ WebSocketCtor: throwing(thrown) })));
        expect(recording.error).toBeInstanceOf(WebSocketConstructorError);
        const error = recording.error as WebSocketConstructorError;
        expect(error.code).toBe('ERR_WEBSOCKET_CONSTRUCTOR');
        expect(error.cause).toBe(thrown);
        expect(error.message).toContain((thrown as Error).name);
        expect(error.message).toContain((thrown as Error).message);
      });

      it.each([
        ['an Error', new Error('out of file descriptors')],
        ['a DOMException of another kind', new DOMException('busy', 'InvalidStateError')],
      ])('errors with TransportError, to be retried, for %s', (_, thrown) => {
        const recording = record(connection(config({ WebSocketCtor: throwing(thrown) })));
        expect(recording.error).toBeInstanceOf(TransportError);
      });

      it('says the constructor threw, with what it said', () => {
        const recording = record(connection(config({ WebSocketCtor: throwing(new Error('out of file descriptors')) })));
        expect((recording.error as TransportError).message).toBe(
          'WebSocket transport error: the WebSocket constructor threw: out of file descriptors',
        );
      });

      it('errors with WebSocketConstructorError for a thrown object whose class name only starts like an error', () => {
        class ErrorDetails {
          readonly message = 'details';
        }
        const recording = record(connection(config({ WebSocketCtor: throwing(new ErrorDetails()) })));
        expect(recording.error).toBeInstanceOf(WebSocketConstructorError);
      });
    });

    it.each([
      ['a string', 'no sockets here'],
      [
        'an object whose name getter throws',
        Object.defineProperty({}, 'name', {
          get: () => {
            throw new Error('getter');
          },
        }),
      ],
      [
        'a proxy that throws on every read',
        new Proxy(
          {},
          {
            get: () => {
              throw new Error('read');
            },
          },
        ),
      ],
    ])(
      'errors with WebSocketConstructorError, not retried, when it throws something that is not an Error (%s)',
      (_, thrown) => {
        const Throwing = function () {
          // eslint-disable-next-line @typescript-eslint/only-throw-error -- the point: a constructor that throws a non-Error
          throw thrown;
        } as unknown as WebSocketConstructor;
        const recording = record(connection(config({ WebSocketCtor: Throwing })));
        expect(recording.error).toBeInstanceOf(WebSocketConstructorError);
      },
    );
  });

  describe('with an EventEmitter socket, as ws is in Node', () => {
    /** The events ws emits and the fields its CloseEvent reads; the browser-style handlers must stay unused. */
    class EmitterWebSocket extends EventEmitter {
      static created: EmitterWebSocket[] = [];
      readonly url: string;
      readyState = CONNECTING;
      protocol = '';
      extensions = '';
      bufferedAmount = 0;
      binaryType = 'nodebuffer';
      _closeFrameReceived = false;
      _closeFrameSent = false;
      readonly closeCalls: unknown[][] = [];
      constructor(url: string) {
        super();
        this.url = url;
        EmitterWebSocket.created.push(this);
      }
      set onmessage(_: unknown) {
        throw new Error('the browser-style handlers are not used on an EventEmitter socket');
      }
      send(): void {}
      close(...args: unknown[]): void {
        this.closeCalls.push(args);
        this.readyState = CLOSING;
      }
    }
    const emitter = (): EmitterWebSocket => {
      const socket = EmitterWebSocket.created.at(-1);
      if (!socket) throw new Error('no socket was created');
      return socket;
    };

    beforeEach(() => {
      EmitterWebSocket.created = [];
    });

    it("is told apart from a browser-style socket that has an 'on' method but no removeListener: that one is handled through its onopen, onmessage, onerror and onclose", () => {
      const calls: string[] = [];
      class OnOnly extends FakeWebSocket {
        on(event: string): void {
          calls.push(event);
        }
      }
      const recording = record(connection(config({ WebSocketCtor: OnOnly as unknown as WebSocketConstructor })));
      latest().serverOpens();
      latest().serverSends('hi');
      latest().closes(1000, 'done');
      expect(calls).toEqual([]);
      expect(types(recording)).toEqual(['socket', 'open', 'close']);
      expect(delivered).toHaveLength(1);
    });

    it('listens to its own events: text decoded from the Buffer, binary data as it comes, one event object each, with every field of a browser message event', () => {
      const recording = record(
        connection(config({ WebSocketCtor: EmitterWebSocket as unknown as WebSocketConstructor })),
      );
      const socket = emitter();
      socket.readyState = OPEN;
      socket.emit('open');
      const binary = new ArrayBuffer(2);
      socket.emit('message', Buffer.from('{"a":1}'), false);
      socket.emit('message', binary, true);
      expect(types(recording)).toEqual(['socket', 'open']);
      const fields = { type: 'message', origin: '', lastEventId: '', source: null };
      expect(delivered).toMatchObject([
        { ...fields, data: '{"a":1}' },
        { ...fields, data: binary },
      ]);
      expect((delivered[1] as { data: unknown }).data).toBe(binary);
      // What the deserializer's type promises, usable as a browser's: `ports` is an empty array.
      for (const event of delivered as { ports: readonly unknown[] }[]) expect(event.ports).toHaveLength(0);
    });

    it('reports wasClean as ws does, from both closing frames, and the reason as text', () => {
      const clean = record(connection(config({ WebSocketCtor: EmitterWebSocket as unknown as WebSocketConstructor })));
      Object.assign(emitter(), { _closeFrameReceived: true, _closeFrameSent: true, readyState: CLOSED });
      emitter().emit('close', 4000, Buffer.from('bye'));
      expect(clean.events.at(-1)).toEqual({ type: 'close', close: { code: 4000, reason: 'bye', wasClean: true } });
      expect(clean.completed).toBe(true);

      const abrupt = record(connection(config({ WebSocketCtor: EmitterWebSocket as unknown as WebSocketConstructor })));
      Object.assign(emitter(), { _closeFrameReceived: false, _closeFrameSent: true, readyState: CLOSED });
      emitter().emit('close', 1006, Buffer.alloc(0));
      expect(abrupt.events.at(-1)).toEqual({ type: 'close', close: { code: 1006, reason: '', wasClean: false } });
    });

    it('classifies an error from the Error itself', () => {
      const recording = record(
        connection(config({ WebSocketCtor: EmitterWebSocket as unknown as WebSocketConstructor })),
      );
      emitter().emit('error', new Error('Unexpected server response: 401'));
      const error = errorEvent(recording);
      expect(error).toBeInstanceOf(HandshakeError);
      expect((error as HandshakeError).status).toBe(401);
    });

    it('once disposed, hears nothing but keeps swallowing the error ws emits for an aborted handshake', () => {
      const recording = record(
        connection(config({ WebSocketCtor: EmitterWebSocket as unknown as WebSocketConstructor })),
      );
      const socket = emitter();
      recording.subscription.unsubscribe();
      expect(socket.closeCalls).toEqual([[1000]]);
      expect(socket.listenerCount('open') + socket.listenerCount('message') + socket.listenerCount('close')).toBe(0);
      expect(() =>
        socket.emit('error', new Error('WebSocket was closed before the connection was established')),
      ).not.toThrow();
      socket.emit('close', 1006, Buffer.alloc(0));
      expect(types(recording)).toEqual(['socket']);
    });
  });
});
