import { firstValueFrom } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { InvalidOptionError, type WebSocketConstructor } from 'rx-websocket';
import {
  answerRequests,
  closeEvent,
  createFeedServerDouble,
  createWebSocketDouble,
  readableFrames,
  type ConnectionDouble,
  type ServerAction,
  type SocketDouble,
  type SocketEventDouble,
  type WebSocketDoubleOptions,
  type WebSocketServerDouble,
} from 'rx-websocket/testing';

const URL = 'wss://feed.example/ws';

const newTestScheduler = (): TestScheduler =>
  new TestScheduler(readableFrames((actual, expected) => expect(actual).toEqual(expected)));

/** What a socket saw, one line per event: `<time> <type> <readyState> <detail>`. */
function listen(socket: SocketDouble, server: WebSocketServerDouble): string[] {
  const seen: string[] = [];
  const note = (event: SocketEventDouble): void => {
    const detail =
      event.type === 'message'
        ? JSON.stringify(typeof event.data === 'string' ? event.data : event.data.constructor.name)
        : event.type === 'close'
          ? `${event.code} ${JSON.stringify(event.reason)} ${event.wasClean ? 'clean' : 'unclean'}`
          : event.type === 'error'
            ? (event.message ?? '(no detail)')
            : '';
    seen.push(`${server.scheduler.now()} ${event.type} ${socket.readyState} ${detail}`.trimEnd());
  };
  socket.onopen = note;
  socket.onmessage = note;
  socket.onerror = note;
  socket.onclose = note;
  return seen;
}

/** A server double and one socket, inside `TestScheduler.run`. */
function connect(options: WebSocketDoubleOptions = {}, protocols?: string | string[]) {
  const server = createWebSocketDouble<{ price: number }, { subscribe: string }>(options);
  const socket = new server.WebSocketCtor(URL, protocols);
  const events = listen(socket, server);
  return { server, socket, events, connection: server.latest };
}

function inVirtualTime(work: (helpers: Parameters<Parameters<TestScheduler['run']>[0]>[0]) => void): void {
  newTestScheduler().run(work);
}

describe('createWebSocketDouble', () => {
  describe('WebSocketCtor', () => {
    it('fits the WebSocketConstructor that fromWebSocket takes', () => {
      const server = createWebSocketDouble();
      const ctor: WebSocketConstructor = server.WebSocketCtor;
      expect(ctor.prototype).toBeDefined();
      expect([
        server.WebSocketCtor.CONNECTING,
        server.WebSocketCtor.OPEN,
        server.WebSocketCtor.CLOSING,
        server.WebSocketCtor.CLOSED,
      ]).toEqual([0, 1, 2, 3]);
    });

    it('starts a socket as a browser does: CONNECTING, blob, nothing negotiated', () => {
      inVirtualTime(() => {
        const { socket } = connect();
        expect(socket).toMatchObject({
          url: URL,
          readyState: 0,
          binaryType: 'blob',
          bufferedAmount: 0,
          protocol: '',
          extensions: '',
          OPEN: 1,
        });
      });
    });

    it('records every construction with url, protocols, options and virtual time', () => {
      inVirtualTime(({ flush }) => {
        const server = createWebSocketDouble();
        new server.WebSocketCtor('https://feed.example/ws#ignored', 'v1');
        server.scheduler.schedule(
          () =>
            new server.WebSocketCtor(new globalThis.URL('ws://other.example/'), ['a', 'b'], { headers: { x: '1' } }),
          7,
        );
        flush();
        expect(server.attempts).toEqual([
          { url: 'wss://feed.example/ws', protocols: ['v1'], time: 0 },
          { url: 'ws://other.example/', protocols: ['a', 'b'], time: 7 },
        ]);
        expect(server.connection(1).socketOptions).toEqual({ headers: { x: '1' } });
        expect(server.connections.map((connection) => connection.index)).toEqual([0, 1]);
        expect(server.latest).toBe(server.connection(1));
      });
    });

    it.each([
      ['a relative URL', '/ws', undefined],
      ['a scheme other than ws(s) and http(s)', 'ftp://feed.example/', undefined],
      ['a sub-protocol that is not a token', URL, 'v 1'],
      ['a sub-protocol offered twice', URL, ['v1', 'v1']],
    ])('throws SyntaxError, as a browser does, on %s', (_, url, protocols) => {
      const server = createWebSocketDouble();
      expect(() => new server.WebSocketCtor(url, protocols)).toThrow(expect.objectContaining({ name: 'SyntaxError' }));
      expect(server.attempts).toEqual([]);
    });
  });

  describe('open()', () => {
    it('fires open later in the same virtual frame, never inside the call', () => {
      inVirtualTime(({ flush }) => {
        const { socket, connection, events } = connect();
        connection.open({ extensions: 'permessage-deflate' });
        expect(events).toEqual([]);
        expect(socket.readyState).toBe(0);
        flush();
        expect(events).toEqual(['0 open 1']);
        expect(socket.extensions).toBe('permessage-deflate');
      });
    });

    it('selects the first offered sub-protocol unless told otherwise', () => {
      inVirtualTime(({ flush }) => {
        const { socket, connection } = connect({}, ['v1', 'v2']);
        connection.open();
        flush();
        expect(socket.protocol).toBe('v1');
      });
    });

    it.each([
      ['one the client did not offer', ['v1'], 'v3'],
      ['none when the client offered some', ['v1'], ''],
      ['one when the client offered none', undefined, 'v1'],
    ])('fails the connection when the server selects %s', (_, offered, protocol) => {
      inVirtualTime(({ flush }) => {
        const { connection, events } = connect({}, offered);
        connection.open({ protocol });
        flush();
        expect(events).toEqual([
          expect.stringMatching(/^0 error 3 the server chose .*subprotocol/),
          '0 close 3 1006 "" unclean',
        ]);
      });
    });

    it('explains why it cannot open twice', () => {
      inVirtualTime(() => {
        const { connection } = connect();
        connection.open();
        expect(() => connection.open()).toThrow(
          `connection #0 to ${URL}: cannot open(): it is already open (use drop() or close() to end it)`,
        );
      });
    });
  });

  describe('message()', () => {
    it('delivers text, and binary as ArrayBuffer or Blob per binaryType', () => {
      inVirtualTime(({ flush }) => {
        const { socket, connection, events } = connect();
        connection.open();
        connection.message('text');
        connection.message(new Uint8Array([1, 2]));
        flush();
        socket.binaryType = 'arraybuffer';
        connection.message(new Uint8Array([3]).buffer);
        flush();
        socket.binaryType = 'nodebuffer';
        expect(socket.binaryType).toBe('arraybuffer');
        expect(events).toEqual(['0 open 1', '0 message 1 "text"', '0 message 1 "Blob"', '0 message 1 "ArrayBuffer"']);
      });
    });

    it('copies binary data at the call, as it would leave the server then', () => {
      inVirtualTime(({ flush }) => {
        const { socket, connection } = connect();
        socket.binaryType = 'arraybuffer';
        const received: unknown[] = [];
        socket.addEventListener('message', (event) => received.push(event.data));
        connection.open();
        const bytes = new Uint8Array([1, 2, 3]);
        connection.message(bytes.subarray(1));
        bytes[1] = 9;
        flush();
        expect(received).toEqual([new Uint8Array([2, 3]).buffer]);
      });
    });

    it('fills in the message event as a browser does', () => {
      inVirtualTime(({ flush }) => {
        const { socket, connection } = connect();
        const received: unknown[] = [];
        socket.addEventListener('message', (event) => received.push(event));
        connection.open();
        connection.message('hi');
        flush();
        expect(received).toEqual([
          { type: 'message', data: 'hi', origin: 'wss://feed.example', lastEventId: '', source: null, ports: [] },
        ]);
        expect((received[0] as { target: unknown }).target).toBe(socket);
      });
    });

    it('sends JSON typed as what the client receives', () => {
      inVirtualTime(({ flush }) => {
        const { connection, events } = connect();
        connection.open();
        connection.messageJson({ price: 1 });
        flush();
        expect(events).toContain('0 message 1 "{\\"price\\":1}"');
      });
    });

    it('refuses a Blob for a socket that wants ArrayBuffers: it could not be read in virtual time', () => {
      inVirtualTime(() => {
        const { socket, connection } = connect();
        socket.binaryType = 'arraybuffer';
        connection.open();
        expect(() => connection.message(new Blob(['x']))).toThrow(/a Blob cannot be read synchronously/);
      });
    });

    it('explains that a message needs an open connection', () => {
      inVirtualTime(() => {
        const { connection } = connect();
        expect(() => connection.message('early')).toThrow(
          /cannot message\(\): it has not opened yet \(call open\(\) first/,
        );
      });
    });

    it('explains that nothing follows the server’s own close', () => {
      inVirtualTime(() => {
        const { connection } = connect();
        connection.open();
        connection.close(4000, 'bye');
        expect(() => connection.message('late')).toThrow(
          /cannot message\(\): the server already ended it with close\(4000\)/,
        );
      });
    });
  });

  describe('send()', () => {
    it('throws InvalidStateError while connecting, as a browser does', () => {
      inVirtualTime(() => {
        const { socket } = connect();
        expect(() => socket.send('too early')).toThrow(expect.objectContaining({ name: 'InvalidStateError' }));
      });
    });

    it('records each frame with its virtual time, binary as a copy of its bytes', () => {
      inVirtualTime(({ flush }) => {
        const { server, socket, connection } = connect({ autoOpen: true });
        const bytes = new Uint16Array([1]);
        server.scheduler.schedule(() => {
          socket.send('{"subscribe":"BTC"}');
          socket.send(bytes);
          bytes[0] = 2;
        }, 3);
        flush();
        expect(connection.sent).toEqual([
          { data: '{"subscribe":"BTC"}', time: 3 },
          { data: new Uint8Array([1, 0]), time: 3 },
        ]);
        expect(connection.sentMessages()).toEqual(['{"subscribe":"BTC"}', new Uint8Array([1, 0])]);
      });
    });

    it('discards what is sent once closing, as a browser does', () => {
      inVirtualTime(({ flush }) => {
        const { socket, connection } = connect({ autoOpen: true });
        flush();
        socket.close();
        socket.send('after close');
        expect(connection.sent).toEqual([]);
      });
    });

    it('parses sent frames as JSON, typed as what the client sends', () => {
      inVirtualTime(({ flush }) => {
        const { socket, connection } = connect({ autoOpen: true });
        flush();
        socket.send('{"subscribe":"BTC"}');
        socket.send(new TextEncoder().encode('{"subscribe":"ETH"}'));
        const sent: { subscribe: string }[] = connection.sentJson();
        expect(sent).toEqual([{ subscribe: 'BTC' }, { subscribe: 'ETH' }]);
        socket.send('not json');
        expect(() => connection.sentJson()).toThrow(
          'connection #0 to wss://feed.example/ws: sentJson(): frame 2 (sent at 0 ms) is not JSON: "not json"',
        );
      });
    });
  });

  describe('the client’s close()', () => {
    it('goes CLOSING at once and CLOSED with its own code on the next event, cleanly', () => {
      inVirtualTime(({ flush }) => {
        const { server, socket, connection, events } = connect({ autoOpen: true });
        server.scheduler.schedule(() => {
          socket.close(4000, 'bye');
          expect(socket.readyState).toBe(2);
        }, 2);
        flush();
        expect(events).toEqual(['0 open 1', '2 close 3 4000 "bye" clean']);
        expect(connection.clientClose).toEqual({ code: 4000, reason: 'bye', time: 2 });
        expect(connection.closedWith).toEqual(closeEvent(4000, 'bye'));
      });
    });

    it('reports 1005 when it closed without a code, and 1000 when it gave only a reason', () => {
      inVirtualTime(({ flush }) => {
        const server = createWebSocketDouble({ autoOpen: true });
        const quiet = new server.WebSocketCtor(URL);
        const polite = new server.WebSocketCtor(URL);
        flush();
        quiet.close();
        polite.close(undefined, 'done');
        flush();
        expect(server.connections.map((connection) => connection.closedWith)).toEqual([
          closeEvent(1005),
          closeEvent(1000, 'done'),
        ]);
      });
    });

    it('takes closeDelayMs for the server to answer', () => {
      inVirtualTime(({ flush }) => {
        const { socket, events } = connect({ autoOpen: true, closeDelayMs: 50 });
        flush();
        socket.close(1000);
        flush();
        expect(events).toEqual(['0 open 1', '50 close 3 1000 "" clean']);
      });
    });

    it('with holdClose, stays CLOSING until the server answers', () => {
      inVirtualTime(({ flush }) => {
        const { server, socket, connection, events } = connect({ autoOpen: true, holdClose: true });
        flush();
        socket.close(4000);
        server.scheduler.schedule(() => connection.message('ignored: the client is closing'), 10);
        flush();
        expect(socket.readyState).toBe(2);
        server.scheduler.schedule(() => connection.close(), 5);
        flush();
        expect(events).toEqual(['0 open 1', '15 close 3 4000 "" clean']);
      });
    });

    it('while connecting fails the connection: error, then 1006', () => {
      inVirtualTime(({ flush }) => {
        const { socket, connection, events } = connect();
        socket.close();
        expect(socket.readyState).toBe(2);
        connection.open(); // lost: the client gave up first
        flush();
        expect(events).toEqual(['0 error 3 (no detail)', '0 close 3 1006 "" unclean']);
      });
    });

    it.each([
      [1001, undefined, 'InvalidAccessError'],
      [2999, undefined, 'InvalidAccessError'],
      [1000, 'x'.repeat(124), 'SyntaxError'],
    ])('close(%s, reason) is rejected as a browser rejects it, with %s', (code, reason, name) => {
      inVirtualTime(() => {
        const { socket } = connect();
        expect(() => socket.close(code, reason)).toThrow(expect.objectContaining({ name }));
        expect(socket.readyState).toBe(0);
      });
    });
  });

  describe('the server’s close(), drop(), refuse() and error()', () => {
    it('close() defaults to 1005, as when a server sends a close frame without a code', () => {
      inVirtualTime(({ flush }) => {
        const { connection, events } = connect({ autoOpen: true });
        flush();
        connection.close();
        flush();
        expect(events).toEqual(['0 open 1', '0 close 3 1005 "" clean']);
      });
    });

    it('close(1006) is abnormal: error first, then an unclean close', () => {
      inVirtualTime(({ flush }) => {
        const { connection, events } = connect({ autoOpen: true });
        flush();
        connection.close(1006);
        flush();
        expect(events).toEqual(['0 open 1', '0 error 3 (no detail)', '0 close 3 1006 "" unclean']);
      });
    });

    it('drop() is error, then close 1006', () => {
      inVirtualTime(({ flush }) => {
        const { connection, events } = connect({ autoOpen: true });
        flush();
        connection.drop();
        flush();
        expect(events).toEqual(['0 open 1', '0 error 3 (no detail)', '0 close 3 1006 "" unclean']);
      });
    });

    it('refuse() fails the handshake; with a status, the error says so as ws does', () => {
      inVirtualTime(({ flush }) => {
        const server = createWebSocketDouble();
        const plain = listen(new server.WebSocketCtor(URL), server);
        server.latest.refuse();
        const withStatus = listen(new server.WebSocketCtor(URL), server);
        server.latest.refuse({ status: 401 });
        flush();
        expect(plain).toEqual(['0 error 3 (no detail)', '0 close 3 1006 "" unclean']);
        expect(withStatus).toEqual(['0 error 3 Unexpected server response: 401', '0 close 3 1006 "" unclean']);
      });
    });

    it('error() fires an error event and leaves the socket open', () => {
      inVirtualTime(({ flush }) => {
        const { connection, events } = connect({ autoOpen: true });
        flush();
        connection.error('boom');
        connection.message('after');
        flush();
        expect(events).toEqual(['0 open 1', '0 error 1 boom', '0 message 1 "after"']);
      });
    });

    it.each<[string, number, string | undefined, RegExp]>([
      ['a code a server may not send', 1004, undefined, /a server cannot send that code/],
      ['a reason with a code that carries no close frame', 1006, 'why', /1006 carries no close frame, so no reason/],
      ['a reason over 123 bytes', 4000, 'é'.repeat(62), /124 UTF-8 bytes long/],
    ])('close() rejects %s', (_, code, reason, message) => {
      inVirtualTime(({ flush }) => {
        const { connection } = connect({ autoOpen: true });
        flush();
        expect(() => connection.close(code, reason)).toThrow(message);
      });
    });

    it('explains refuse() after open and close() before it', () => {
      inVirtualTime(() => {
        const { connection } = connect();
        expect(() => connection.close(1000)).toThrow(
          /cannot close\(1000\): it has not opened yet \(call open\(\) first, or refuse\(\) to fail the handshake\)/,
        );
        connection.open();
        expect(() => connection.refuse()).toThrow(/cannot refuse\(\): it is already open/);
      });
    });
  });

  describe('options', () => {
    it('autoOpen opens every connection after handshakeDelayMs, with the given protocol', () => {
      inVirtualTime(({ flush }) => {
        const { socket, events } = connect({ autoOpen: { protocol: 'v2' }, handshakeDelayMs: 20 }, ['v1', 'v2']);
        flush();
        expect(events).toEqual(['20 open 1']);
        expect(socket.protocol).toBe('v2');
      });
    });

    it('autoRefuse refuses every connection', () => {
      inVirtualTime(({ flush }) => {
        const { events } = connect({ autoRefuse: { status: 503 }, handshakeDelayMs: 5 });
        flush();
        expect(events).toEqual(['5 error 3 Unexpected server response: 503', '5 close 3 1006 "" unclean']);
      });
    });

    it.each([[{ autoOpen: true, autoRefuse: true }], [{ handshakeDelayMs: -1 }], [{ closeDelayMs: Infinity }]])(
      'rejects %j',
      (options) => {
        expect(() => createWebSocketDouble(options)).toThrow(InvalidOptionError);
      },
    );

    it('uses the scheduler it is given', () => {
      const scheduler = new TestScheduler(() => true);
      const server = createWebSocketDouble({ scheduler, autoOpen: true, handshakeDelayMs: 30 });
      const socket = new server.WebSocketCtor(URL);
      scheduler.flush();
      expect(socket.readyState).toBe(1);
      expect(scheduler.now()).toBe(30);
    });
  });

  describe('scripts', () => {
    const actions: Record<string, ServerAction<{ price: number }>> = {
      o: 'open',
      a: { message: 'a' },
      j: { json: { price: 1 } },
      e: { error: 'hiccup' },
      x: { close: { code: 4001, reason: 'go away' } },
      d: 'drop',
    };

    it('play() applies marble actions on their frames', () => {
      inVirtualTime(({ cold, flush }) => {
        const { connection, events } = connect();
        connection.play(cold('-o-a-j-e-x', actions));
        flush();
        expect(events).toEqual([
          '1 open 1',
          '3 message 1 "a"',
          '5 message 1 "{\\"price\\":1}"',
          '7 error 1 hiccup',
          '9 close 3 4001 "go away" clean',
        ]);
      });
    });

    it('script() plays a cold script on each new connection, from its construction', () => {
      inVirtualTime(({ cold, flush }) => {
        const server = createWebSocketDouble();
        server.script(cold('-o-d', actions));
        const first = listen(new server.WebSocketCtor(URL), server);
        let second: string[] = [];
        server.scheduler.schedule(() => (second = listen(new server.WebSocketCtor(URL), server)), 10);
        flush();
        expect(first).toEqual(['1 open 1', '3 error 3 (no detail)', '3 close 3 1006 "" unclean']);
        expect(second).toEqual(['11 open 1', '13 error 3 (no detail)', '13 close 3 1006 "" unclean']);
      });
    });

    it('script() with a hot Observable follows the server’s own timeline', () => {
      inVirtualTime(({ hot, flush }) => {
        const server = createWebSocketDouble({ autoOpen: true });
        server.script(hot('-----a', actions));
        let late: string[] = [];
        server.scheduler.schedule(() => (late = listen(new server.WebSocketCtor(URL), server)), 3);
        flush();
        expect(late).toEqual(['3 open 1', '5 message 1 "a"']);
      });
    });

    it('script() with a function picks a script per connection', () => {
      inVirtualTime(({ cold, flush }) => {
        const server = createWebSocketDouble();
        server.script((connection) => (connection.index === 0 ? cold('r', { r: 'refuse' }) : cold('-o', actions)));
        const first = new server.WebSocketCtor(URL);
        const second = new server.WebSocketCtor(URL);
        flush();
        expect([first.readyState, second.readyState]).toEqual([3, 1]);
      });
    });

    it('a script stops when its connection closes, and when its subscription ends', () => {
      inVirtualTime(({ cold, flush }) => {
        const server = createWebSocketDouble({ autoOpen: true });
        const scripted = server.script(cold('-a-a-a', actions));
        const socket = new server.WebSocketCtor(URL);
        const events = listen(socket, server);
        server.scheduler.schedule(() => socket.close(), 2);
        flush();
        expect(events).toEqual(['0 open 1', '1 message 1 "a"', '2 close 3 1005 "" clean']);

        scripted.unsubscribe();
        const unscripted = listen(new server.WebSocketCtor(URL), server);
        flush();
        expect(unscripted).toEqual(['2 open 1']);
      });
    });

    it('reports an action it does not know, naming it', () => {
      expect(() =>
        inVirtualTime(({ cold }) => {
          const { connection } = connect({ autoOpen: true });
          connection.play(cold('-x', { x: { shout: 'hi' } as unknown as ServerAction<{ price: number }> }));
        }),
      ).toThrow('connection #0: {"shout":"hi"} is not a server action');
    });

    it('reports null, and an object with more than one action, listing the actions there are', () => {
      for (const action of [null, { open: true, close: true }]) {
        expect(() =>
          inVirtualTime(({ cold }) => {
            const { connection } = connect();
            connection.play(cold('-x', { x: action as unknown as ServerAction<{ price: number }> }));
          }),
        ).toThrow(
          `connection #0: ${JSON.stringify(action)} is not a server action; expected 'open', 'error', 'close', 'drop', 'refuse' or an object with one of the keys open, message, json, error, close, drop, refuse`,
        );
      }
    });

    it('takes each action as an object too: true for its defaults, or its options', () => {
      inVirtualTime(({ cold, flush }) => {
        const server = createWebSocketDouble<{ price: number }, { subscribe: string }>();
        const play = (
          protocols: string[] | undefined,
          script: string,
          values: Record<string, ServerAction<{ price: number }>>,
        ) => {
          const socket = new server.WebSocketCtor(URL, protocols);
          const events = listen(socket, server);
          server.latest.play(cold(script, values));
          return { socket, events };
        };
        const opened = play(['a', 'b'], '-o-e-c', { o: { open: true }, e: { error: true }, c: { close: true } });
        const chose = play(['a', 'b'], '-o-c', { o: { open: { protocol: 'b', extensions: 'x' } }, c: { close: 4001 } });
        const refused = play(undefined, '-r', { r: { refuse: true } });
        const refusedWith = play(undefined, '-r', { r: { refuse: { status: 503 } } });
        const dropped = play(undefined, '-o-d', { o: 'open', d: { drop: true } });
        const closed = play(undefined, '-o-c', { o: 'open', c: 'close' });
        flush();
        expect(opened.events).toEqual(['1 open 1', '3 error 1 (no detail)', '5 close 3 1005 "" clean']);
        expect(opened.socket.protocol).toBe('a');
        expect(chose.events).toEqual(['1 open 1', '3 close 3 4001 "" clean']);
        expect([chose.socket.protocol, chose.socket.extensions]).toEqual(['b', 'x']);
        expect(refused.events).toEqual(['1 error 3 (no detail)', '1 close 3 1006 "" unclean']);
        expect(refusedWith.events).toEqual(['1 error 3 Unexpected server response: 503', '1 close 3 1006 "" unclean']);
        expect(dropped.events).toEqual(['1 open 1', '3 error 3 (no detail)', '3 close 3 1006 "" unclean']);
        expect(closed.events).toEqual(['1 open 1', '3 close 3 1005 "" clean']);
      });
    });
  });

  describe('inspection', () => {
    it('connection$ emits each new connection', () => {
      inVirtualTime(({ expectObservable }) => {
        const server = createWebSocketDouble();
        expectObservable(server.connection$, '^ 5ms !').toBe('--a', {
          a: expect.objectContaining({ index: 0, createdAt: 2 }) as ConnectionDouble,
        });
        server.scheduler.schedule(() => new server.WebSocketCtor(URL), 2);
      });
    });

    it('explains what is missing when asked for a connection that does not exist', () => {
      const server = createWebSocketDouble();
      expect(() => server.latest).toThrow('server.latest: no connection has been made yet');
      expect(() => server.connection(0)).toThrow('no connection #0: none has been made yet');
      new server.WebSocketCtor(URL);
      expect(() => server.connection(3)).toThrow('no connection #3: only 1 (0-0) so far');
    });
  });

  describe('event listeners', () => {
    it('run after the handler property, in order, once each, until removed', () => {
      inVirtualTime(({ flush }) => {
        const { socket, connection } = connect();
        const calls: string[] = [];
        const first = (): void => void calls.push('first');
        socket.onopen = () => calls.push('onopen');
        socket.addEventListener('open', first);
        socket.addEventListener('open', first);
        socket.addEventListener('open', () => calls.push('second'));
        socket.addEventListener('message', first);
        socket.removeEventListener('message', first);
        connection.open();
        connection.message('x');
        flush();
        expect(calls).toEqual(['onopen', 'first', 'second']);
      });
    });

    it('all hear an event even when one throws; the error then fails the run', () => {
      const calls: string[] = [];
      expect(() =>
        inVirtualTime(({ flush }) => {
          const { socket, connection } = connect();
          socket.onopen = () => {
            throw new Error('handler bug');
          };
          socket.addEventListener('open', () => calls.push('listener'));
          connection.open();
          flush();
        }),
      ).toThrow('handler bug');
      expect(calls).toEqual(['listener']);
    });
  });

  describe('outside TestScheduler.run', () => {
    it('runs on the real asyncScheduler', async () => {
      const server = createWebSocketDouble({ autoOpen: true });
      const constructed = firstValueFrom(server.connection$);
      const socket = new server.WebSocketCtor(URL);
      const opened = new Promise<number>((resolve) =>
        socket.addEventListener('open', () => resolve(socket.readyState)),
      );
      expect(await constructed).toBe(server.latest);
      expect(await opened).toBe(1);
    });
  });
});

describe('what the test kit says of a bad option', () => {
  it.each<[string, () => unknown, string]>([
    [
      'a negative handshakeDelayMs',
      () => createWebSocketDouble({ handshakeDelayMs: -1 }),
      'Invalid option handshakeDelayMs: -1 (a finite number of milliseconds ≥ 0)',
    ],
    [
      'an infinite closeDelayMs',
      () => createWebSocketDouble({ closeDelayMs: Infinity }),
      'Invalid option closeDelayMs: Infinity (a finite number of milliseconds ≥ 0)',
    ],
    [
      'autoOpen with autoRefuse',
      () => createWebSocketDouble({ autoOpen: true, autoRefuse: true }),
      'Invalid option autoRefuse: true (autoOpen and autoRefuse cannot both be on)',
    ],
    [
      'server.latest before any connection',
      () => createWebSocketDouble().latest,
      'server.latest: no connection has been made yet',
    ],
    [
      'answerRequests with a negative delayMs',
      () => answerRequests(createWebSocketDouble(), { delayMs: -5 }),
      'answerRequests(): delayMs must be a finite number of milliseconds ≥ 0, not -5',
    ],
    [
      'answerRequests with an infinite delayMs',
      () => answerRequests(createWebSocketDouble(), { delayMs: Infinity }),
      'answerRequests(): delayMs must be a finite number of milliseconds ≥ 0, not Infinity',
    ],
    [
      'a feed double with a fractional historyLength',
      () => createFeedServerDouble(createWebSocketDouble(), { historyLength: 2.5 }),
      'Invalid option historyLength: 2.5 (an integer ≥ 0)',
    ],
    [
      'a feed double with a negative historyLength',
      () => createFeedServerDouble(createWebSocketDouble(), { historyLength: -1 }),
      'Invalid option historyLength: -1 (an integer ≥ 0)',
    ],
  ])('%s: an error that says so', (_name, make, message) => {
    expect(make).toThrow(message);
  });

  it('takes a delayMs of 0 for answerRequests, and a historyLength of 0 for the feed double', () => {
    expect(() => answerRequests(createWebSocketDouble(), { delayMs: 0 })).not.toThrow();
    expect(() => createFeedServerDouble(createWebSocketDouble(), { historyLength: 0 })).not.toThrow();
  });
});

describe('a script let go', () => {
  it('plays on no later connection', () => {
    new TestScheduler((actual, expected) => expect(actual).toEqual(expected)).run(({ cold, flush }) => {
      const server = createWebSocketDouble();
      const playing = server.script(cold('-o', { o: 'open' }));
      new server.WebSocketCtor('wss://a.example/');
      flush();
      playing.unsubscribe();
      new server.WebSocketCtor('wss://a.example/');
      flush();
      expect(server.connections.map((connection) => connection.readyState)).toEqual([1, 0]);
    });
  });
});

describe('the socket double, checked as a browser checks a WebSocket', () => {
  /** A socket of a double whose connections open at once, open after `flush()`. */
  const openSocket = (flush: () => void) => {
    const server = createWebSocketDouble({ autoOpen: true });
    const socket = new server.WebSocketCtor('wss://a.example/');
    flush();
    return { server, socket };
  };
  const virtual = (work: (flush: () => void) => void) =>
    new TestScheduler((actual, expected) => expect(actual).toEqual(expected)).run(({ flush }) => work(flush));

  it.each([3000, 4999, 1000])('close(%i) is taken', (code) => {
    virtual((flush) => {
      const { server, socket } = openSocket(flush);
      socket.close(code);
      flush();
      expect(server.connection(0).clientClose?.code).toBe(code);
    });
  });

  it.each([2999, 5000, 1001, 3000.5])(
    'close(%p) throws an InvalidAccessError that says which codes are taken',
    (code) => {
      virtual((flush) => {
        const { socket } = openSocket(flush);
        expect(() => socket.close(code)).toThrow(`close(${code}): the code must be 1000 or an integer in 3000-4999`);
      });
    },
  );

  it('takes a reason of 123 UTF-8 bytes, and refuses 124 with a SyntaxError that gives the length', () => {
    virtual((flush) => {
      const { server, socket } = openSocket(flush);
      expect(() => socket.close(1000, 'é'.repeat(62))).toThrow(
        'close(): the reason is 124 UTF-8 bytes long; the limit is 123',
      );
      socket.close(1000, 'x'.repeat(123));
      flush();
      expect(server.connection(0).clientClose?.reason).toBe('x'.repeat(123));
    });
  });

  it('send() while connecting throws an InvalidStateError that says so', () => {
    virtual(() => {
      const server = createWebSocketDouble();
      const socket = new server.WebSocketCtor('wss://a.example/');
      expect(() => socket.send('early')).toThrow(
        'send() was called while the socket was still connecting (readyState CONNECTING)',
      );
    });
  });

  it('records the bytes as sent: a buffer changed afterwards does not rewrite the record', () => {
    virtual((flush) => {
      const { server, socket } = openSocket(flush);
      const bytes = new Uint8Array([1, 2, 3]);
      socket.send(bytes.buffer);
      bytes[0] = 9;
      flush();
      expect([...(server.connection(0).sentMessages()[0] as Uint8Array)]).toEqual([1, 2, 3]);
    });
  });

  it.each<[string, string]>([
    ['http://a.example/feed', 'ws://a.example/feed'],
    ['https://a.example/feed#part', 'wss://a.example/feed'],
  ])('takes %s as %s', (given, url) => {
    virtual(() => {
      const server = createWebSocketDouble();
      expect(new server.WebSocketCtor(given).url).toBe(url);
    });
  });

  it.each<[string, string, string]>([
    ['a relative URL', 'feed', '"feed" is not an absolute URL'],
    ['another scheme', 'ftp://a.example/', 'the URL scheme "ftp:" is not ws:, wss:, http: or https:'],
    ['a user name read as a scheme', 'user:secret@a.example', 'the URL scheme is not ws:, wss:, http: or https:'],
    ['a scheme with no host', 'data:text', 'the URL scheme "data:" is not ws:, wss:, http: or https:'],
  ])('refuses %s with a SyntaxError that says why', (_name, url, message) => {
    virtual(() => {
      const server = createWebSocketDouble();
      expect(() => new server.WebSocketCtor(url)).toThrow(message);
    });
  });

  it.each<[string, unknown]>([
    ['a sub-protocol offered twice', ['feed', 'feed']],
    ['one that is no token', ['a b']],
    ['one that is no string', [7]],
  ])('refuses %s with a SyntaxError that names it', (_name, protocols) => {
    virtual(() => {
      const server = createWebSocketDouble();
      const protocol = JSON.stringify((protocols as unknown[]).at(-1));
      expect(() => new server.WebSocketCtor('wss://a.example/', protocols as string[])).toThrow(
        `the sub-protocol ${protocol} is not a token, or is offered twice`,
      );
    });
  });
});
