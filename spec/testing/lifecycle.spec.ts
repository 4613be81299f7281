import { map, type Observable } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import {
  ConnectionTimeoutError,
  constantBackoff,
  exponentialBackoff,
  fromWebSocket,
  WebSocketCloseError,
  type ConnectionState,
  type WebSocketOptions,
} from 'rx-websocket';
import { closeEvent, createWebSocketDouble, readableFrames, type WebSocketDoubleOptions } from 'rx-websocket/testing';
import { at } from '../helpers/virtual-time';

// The lifecycle and reconnection contract of fromWebSocket (DESIGN.md), pinned down in virtual time with the test double.

const URL = 'wss://feed.example/ws';

const newTestScheduler = (): TestScheduler =>
  new TestScheduler(readableFrames((actual, expected) => expect(actual).toEqual(expected)));

function setup(options: WebSocketOptions<unknown, unknown> = {}, doubleOptions: WebSocketDoubleOptions = {}) {
  const server = createWebSocketDouble(doubleOptions);
  const socket = fromWebSocket(URL, { WebSocketCtor: server.WebSocketCtor, ...options });
  return { server, socket };
}

const statuses = (state$: Observable<ConnectionState>): Observable<string> => state$.pipe(map((state) => state.status));

const OPEN = { status: 'open', protocol: '', extensions: '' } as const;

/** Runs `work` at virtual frame `frame`. */
describe('fromWebSocket lifecycle, in virtual time', () => {
  describe('state$', () => {
    it('goes idle → connecting → open → reconnecting → connecting → open across a dropped connection', () => {
      newTestScheduler().run(({ cold, expectObservable }) => {
        const { server, socket } = setup({ reconnect: { backoff: constantBackoff({ delayMs: 10 }) } });
        server.script((connection) => cold(connection.index === 0 ? '-o-x' : '-o', { o: 'open', x: 'drop' }));
        expectObservable(socket.state$).toBe('abc-d 9ms ef', {
          a: { status: 'idle' },
          b: { status: 'connecting', attempt: 0 },
          c: OPEN,
          d: { status: 'reconnecting', attempt: 1, delayMs: 10, lastClose: closeEvent(1006) },
          e: { status: 'connecting', attempt: 1 },
          f: OPEN,
        });
        at(server, 1, () => socket.connect());
      });
    });

    it('does not connect by itself', () => {
      newTestScheduler().run(({ expectObservable, flush }) => {
        const { server, socket } = setup();
        expectObservable(socket.state$).toBe('a', { a: { status: 'idle' } });
        flush();
        expect(server.attempts).toEqual([]);
      });
    });
  });

  describe('open$', () => {
    it('emits on every open, with the sub-protocol the server chose and the attempt that succeeded', () => {
      newTestScheduler().run(({ cold, expectObservable }) => {
        const server = createWebSocketDouble({ autoOpen: { protocol: 'v2' } });
        server.script(cold('--x', { x: 'drop' }));
        const socket = fromWebSocket(URL, ['v1', 'v2'], {
          WebSocketCtor: server.WebSocketCtor,
          reconnect: { backoff: constantBackoff({ delayMs: 10 }) },
        });
        const connected = socket.connect();
        at(server, 16, () => connected.unsubscribe());
        expectObservable(socket.open$, '^ 15ms !').toBe('a 11ms b', {
          a: { url: URL, protocol: 'v2', extensions: '', attempt: 0 },
          b: { url: URL, protocol: 'v2', extensions: '', attempt: 1 },
        });
      });
    });
  });

  describe('when the server drops the connection (1006)', () => {
    it('reconnects after exactly the backoff delay, growing per attempt', () => {
      newTestScheduler().run(({ expectObservable, flush }) => {
        const { server, socket } = setup(
          { reconnect: { backoff: exponentialBackoff({ initialDelayMs: 100, factor: 2, jitter: 'none' }) } },
          { autoRefuse: true },
        );
        expectObservable(statuses(socket.state$), '^ 400ms !').toBe('(ab) 96ms (ab) 196ms (ab) 96ms c', {
          a: 'connecting',
          b: 'reconnecting',
          c: 'closed',
        });
        const connected = socket.connect();
        // Retries never end by themselves here, and run() flushes until nothing is scheduled.
        at(server, 400, () => connected.unsubscribe());
        flush();
        expect(server.attempts.map((attempt) => attempt.time)).toEqual([0, 100, 300]);
      });
    });
  });

  describe('reconnect.connectTimeoutMs', () => {
    it('abandons an attempt that has not opened in time, reports ConnectionTimeoutError and retries', () => {
      newTestScheduler().run(({ expectObservable, flush }) => {
        const { server, socket } = setup({
          reconnect: { connectTimeoutMs: 500, backoff: constantBackoff({ delayMs: 1000 }) },
        });
        const timeout = new ConnectionTimeoutError(500, URL);
        socket.connect();
        // error$ reports each failed attempt, and does not end when close() stops the connection.
        expectObservable(socket.error$).toBe('500ms a 1499ms a', { a: timeout });
        expectObservable(socket.state$).toBe('a 499ms b 999ms c 499ms de', {
          a: { status: 'connecting', attempt: 0 },
          b: { status: 'reconnecting', attempt: 1, delayMs: 1000, lastError: timeout },
          c: { status: 'connecting', attempt: 1 },
          d: { status: 'reconnecting', attempt: 2, delayMs: 1000, lastError: timeout },
          e: { status: 'closed' },
        });
        at(server, 2001, () => socket.close());
        flush();
        expect(server.attempts.map((attempt) => attempt.time)).toEqual([0, 1500]);
        // The abandoned handshake was aborted, not left running.
        expect(server.connection(0).clientClose?.time).toBe(500);
        expect(server.connection(0).closedWith).toEqual(closeEvent(1006));
      });
    });

    it('does not fire once the socket is open', () => {
      newTestScheduler().run(({ cold, expectObservable }) => {
        const { server, socket } = setup({ reconnect: { connectTimeoutMs: 5 } });
        server.script(cold('---o', { o: 'open' }));
        socket.connect();
        expectObservable(statuses(socket.state$), '^ 20ms !').toBe('a--b', { a: 'connecting', b: 'open' });
      });
    });
  });

  describe('reconnect.maxAttempts', () => {
    it('stops after that many reconnection attempts in a row, erroring message$ with the last close', () => {
      newTestScheduler().run(({ expectObservable, flush }) => {
        const { server, socket } = setup(
          { reconnect: { maxAttempts: 2, backoff: constantBackoff({ delayMs: 100 }) } },
          { autoRefuse: true },
        );
        expectObservable(socket.message$).toBe('200ms #', undefined, new WebSocketCloseError(closeEvent(1006)));
        expectObservable(socket.state$.pipe(map((state) => (state.status === 'closed' ? state : state.status)))).toBe(
          '(ab) 96ms (ab) 96ms (a c)',
          {
            a: 'connecting',
            b: 'reconnecting',
            c: { status: 'closed', close: closeEvent(1006), error: new WebSocketCloseError(closeEvent(1006)) },
          },
        );
        flush();
        expect(server.attempts.map((attempt) => attempt.time)).toEqual([0, 100, 200]);
      });
    });
  });

  describe('reconnect.resetAfterMs', () => {
    const backoff = (): WebSocketOptions<unknown, unknown> => ({
      reconnect: {
        resetAfterMs: 5000,
        backoff: exponentialBackoff({ initialDelayMs: 1000, factor: 2, jitter: 'none' }),
      },
    });
    const delays = (states: ConnectionState[]): number[] =>
      states.flatMap((state) => (state.status === 'reconnecting' ? [state.delayMs] : []));

    it('keeps counting attempts when a reconnection drops before resetAfterMs', () => {
      newTestScheduler().run(({ cold, flush }) => {
        const { server, socket } = setup(backoff());
        // Connection 1 opens, then drops 4999 ms later: not yet stable.
        server.script((connection) =>
          connection.index === 1 ? cold('o 4998ms x', { o: 'open', x: 'drop' }) : cold('ox', { o: 'open', x: 'drop' }),
        );
        const states: ConnectionState[] = [];
        socket.state$.subscribe((state) => states.push(state));
        const connected = socket.connect();
        at(server, 20_000, () => connected.unsubscribe());
        flush();
        expect(delays(states).slice(0, 2)).toEqual([1000, 2000]);
      });
    });

    it('starts again from attempt 1 once a reconnection has stayed open for resetAfterMs', () => {
      newTestScheduler().run(({ cold, flush }) => {
        const { server, socket } = setup(backoff());
        // Connection 1 opens, then drops 5001 ms later: stable by then.
        server.script((connection) =>
          connection.index === 1 ? cold('o 5000ms x', { o: 'open', x: 'drop' }) : cold('ox', { o: 'open', x: 'drop' }),
        );
        const states: ConnectionState[] = [];
        socket.state$.subscribe((state) => states.push(state));
        const connected = socket.connect();
        at(server, 20_000, () => connected.unsubscribe());
        flush();
        expect(delays(states).slice(0, 2)).toEqual([1000, 1000]);
        expect(
          states
            .filter((state) => state.status === 'reconnecting')
            .map((state) => (state as { attempt: number }).attempt)
            .slice(0, 2),
        ).toEqual([1, 1]);
      });
    });
  });

  describe('close()', () => {
    it('during a backoff wait cancels it at once: closed, message$ completes, no further attempt', () => {
      newTestScheduler().run(({ cold, expectObservable, flush }) => {
        const { server, socket } = setup({ reconnect: { backoff: constantBackoff({ delayMs: 1000 }) } });
        server.script(cold('-o-x', { o: 'open', x: 'drop' }));
        expectObservable(socket.message$).toBe('---------|');
        // close$ only observes: it does not end with the connection.
        expectObservable(socket.close$).toBe('---c', { c: closeEvent(1006) });
        expectObservable(statuses(socket.state$)).toBe('ab-c 5ms d', {
          a: 'connecting',
          b: 'open',
          c: 'reconnecting',
          d: 'closed',
        });
        at(server, 9, () => socket.close());
        flush();
        expect(server.attempts).toHaveLength(1);
      });
    });

    it('while open goes closing, then closed when the close event arrives; it is not retried', () => {
      newTestScheduler().run(({ cold, expectObservable, flush }) => {
        const { server, socket } = setup({}, { closeDelayMs: 5 });
        server.script(cold('-o', { o: 'open' }));
        expectObservable(socket.message$).toBe('--------|');
        expectObservable(socket.close$).toBe('--------c', { c: closeEvent(4000, 'bye') });
        expectObservable(statuses(socket.state$)).toBe('ab-c 4ms d', {
          a: 'connecting',
          b: 'open',
          c: 'closing',
          d: 'closed',
        });
        at(server, 3, () => socket.close(4000, 'bye'));
        flush();
        expect(server.latest.clientClose).toEqual({ code: 4000, reason: 'bye', time: 3 });
        expect(server.attempts).toHaveLength(1);
      });
    });
  });

  describe('reconnect()', () => {
    it('drops the open socket and connects again at once, with attempt 0', () => {
      newTestScheduler().run(({ expectObservable, flush }) => {
        const { server, socket } = setup({}, { autoOpen: true, handshakeDelayMs: 1 });
        socket.connect();
        expectObservable(socket.open$).toBe('-a 3ms a', { a: { url: URL, protocol: '', extensions: '', attempt: 0 } });
        at(server, 4, () => socket.reconnect());
        flush();
        expect(server.attempts.map((attempt) => attempt.time)).toEqual([0, 4]);
        expect(server.connection(0).clientClose).toEqual({ code: 1000, reason: '', time: 4 });
      });
    });

    it('during a backoff wait skips the rest of the wait and resets the attempt count', () => {
      newTestScheduler().run(({ cold, expectObservable, flush }) => {
        const { server, socket } = setup({ reconnect: { backoff: constantBackoff({ delayMs: 1000 }) } });
        server.script((connection) => cold(connection.index === 0 ? '-o-x' : '-o', { o: 'open', x: 'drop' }));
        socket.connect();
        expectObservable(
          socket.state$.pipe(map((state) => (state.status === 'connecting' ? state : state.status))),
        ).toBe('ab-c 5ms db', {
          a: { status: 'connecting', attempt: 0 },
          b: 'open',
          c: 'reconnecting',
          d: { status: 'connecting', attempt: 0 },
        });
        at(server, 9, () => socket.reconnect());
        flush();
        expect(server.attempts.map((attempt) => attempt.time)).toEqual([0, 9]);
      });
    });
  });

  describe('the send queue', () => {
    it('flushes in order on open, before what open$ subscribers send', () => {
      newTestScheduler().run(({ cold, flush }) => {
        const { server, socket } = setup();
        server.script(cold('--o', { o: 'open' }));
        socket.send('queued 1');
        socket.open$.subscribe(() => socket.send('from open$'));
        socket.connect();
        socket.send('queued 2');
        flush();
        expect(server.latest.sent).toEqual([
          { data: 'queued 1', time: 2 },
          { data: 'queued 2', time: 2 },
          { data: 'from open$', time: 2 },
        ]);
      });
    });
  });

  describe('when the last subscriber leaves', () => {
    it('closes the socket with 1000 at once, closing then closed with that close', () => {
      newTestScheduler().run(({ expectObservable, flush }) => {
        const { server, socket } = setup({}, { autoOpen: true, handshakeDelayMs: 1 });
        expectObservable(socket.message$, '^----!').toBe('');
        expectObservable(statuses(socket.state$)).toBe('ab---(cd)', {
          a: 'connecting',
          b: 'open',
          c: 'closing',
          d: 'closed',
        });
        flush();
        expect(server.latest.clientClose).toEqual({ code: 1000, reason: '', time: 5 });
        expect(server.latest.closedWith).toEqual(closeEvent(1000));
      });
    });

    it('with lingerMs, closes only after the linger', () => {
      newTestScheduler().run(({ expectObservable, flush }) => {
        const { server, socket } = setup({ lingerMs: 100 }, { autoOpen: true });
        expectObservable(socket.message$, '^----!').toBe('');
        flush();
        expect(server.latest.clientClose).toEqual({ code: 1000, reason: '', time: 105 });
      });
    });

    it('with lingerMs, keeps the socket for a subscriber that comes back within the linger', () => {
      newTestScheduler().run(({ expectObservable, flush }) => {
        const { server, socket } = setup({ lingerMs: 100 }, { autoOpen: true });
        expectObservable(socket.message$, '^----!').toBe('');
        expectObservable(socket.message$, '50ms ^ 100ms !').toBe('');
        flush();
        expect(server.attempts).toHaveLength(1);
        expect(server.latest.clientClose?.time).toBe(251);
      });
    });
  });

  describe('ending', () => {
    it('completes message$ when the server closes with 1000; close$ reports the close and goes on', () => {
      newTestScheduler().run(({ cold, expectObservable }) => {
        const { server, socket } = setup();
        server.script(cold('-o-a-x', { o: 'open', a: { message: 'a' }, x: { close: 1000 } }));
        expectObservable(socket.message$).toBe('---a-|');
        expectObservable(socket.close$).toBe('-----c', { c: closeEvent(1000) });
        expectObservable(socket.state$.pipe(map((state) => (state.status === 'closed' ? state : state.status)))).toBe(
          'ab---c',
          {
            a: 'connecting',
            b: 'open',
            c: { status: 'closed', close: closeEvent(1000) },
          },
        );
      });
    });

    it('errors message$ with WebSocketCloseError when reconnection is off', () => {
      newTestScheduler().run(({ cold, expectObservable }) => {
        const { server, socket } = setup({ reconnect: false });
        server.script(cold('-o-x', { o: 'open', x: 'drop' }));
        expectObservable(socket.message$).toBe('---#', undefined, new WebSocketCloseError(closeEvent(1006)));
      });
    });

    it('starts a new connection, from attempt 0, when subscribed again after a stop', () => {
      newTestScheduler().run(({ cold, expectObservable, flush }) => {
        const { server, socket } = setup();
        server.script(cold('-o-x', { o: 'open', x: { close: 4401 } }));
        expectObservable(socket.message$).toBe('---#', undefined, new WebSocketCloseError(closeEvent(4401)));
        // open$, subscribed throughout, reports both connections and does not end with the first.
        expectObservable(socket.open$).toBe('-a 9ms a', {
          a: { url: URL, protocol: '', extensions: '', attempt: 0 },
        });
        expectObservable(socket.message$, '10ms ^').toBe(
          '13ms #',
          undefined,
          new WebSocketCloseError(closeEvent(4401)),
        );
        flush();
        expect(server.attempts.map((attempt) => attempt.time)).toEqual([0, 10]);
      });
    });

    it('shares one socket among every stream', () => {
      newTestScheduler().run(({ expectObservable, flush }) => {
        const { server, socket } = setup({}, { autoOpen: true });
        expectObservable(socket.message$, '^-!').toBe('');
        expectObservable(socket.close$, '^-!').toBe('');
        expectObservable(socket.open$, '^-!').toBe('a', { a: { url: URL, protocol: '', extensions: '', attempt: 0 } });
        flush();
        expect(server.attempts).toHaveLength(1);
      });
    });
  });

  describe('errors and refusals', () => {
    it('reports a transport error on error$ without tearing the connection down', () => {
      newTestScheduler().run(({ cold, expectObservable }) => {
        const { server, socket } = setup();
        server.script(
          cold('-o-e-a', { o: 'open', e: { error: 'ECONNRESET-ish hiccup' }, a: { message: 'still here' } }),
        );
        expectObservable(socket.error$.pipe(map((error) => (error as Error).name))).toBe('---e', {
          e: 'TransportError',
        });
        expectObservable(socket.message$).toBe('-----a', { a: 'still here' });
        expectObservable(statuses(socket.state$)).toBe('ab', { a: 'connecting', b: 'open' });
      });
    });

    it('retries an upgrade refused with HTTP 503 and stops on 401, with HandshakeError', () => {
      newTestScheduler().run(({ cold, expectObservable, flush }) => {
        const { server, socket } = setup({ reconnect: { backoff: constantBackoff({ delayMs: 100 }) } });
        server.script((connection) => cold('-r', { r: { refuse: { status: connection.index === 0 ? 503 : 401 } } }));
        expectObservable(socket.message$).toBe(
          '102ms #',
          undefined,
          expect.objectContaining({ name: 'HandshakeError', status: 401 }),
        );
        flush();
        expect(server.attempts.map((attempt) => attempt.time)).toEqual([0, 101]);
      });
    });

    it('stops with ProtocolNegotiationError when the server picks a sub-protocol the client did not offer', () => {
      newTestScheduler().run(({ cold, flush }) => {
        const server = createWebSocketDouble();
        server.script(cold('-o', { o: { open: { protocol: 'v3' } } }));
        const socket = fromWebSocket(URL, ['v1', 'v2'], { WebSocketCtor: server.WebSocketCtor });
        let failure: unknown;
        socket.message$.subscribe({ error: (error: unknown) => (failure = error) });
        flush();
        expect(failure).toMatchObject({ name: 'ProtocolNegotiationError', offered: ['v1', 'v2'] });
        expect(server.attempts).toHaveLength(1);
        expect(server.latest.closedWith).toEqual(closeEvent(1006));
      });
    });

    it('waits at least 5 s after 1013 (Try Again Later), whatever the backoff says', () => {
      newTestScheduler().run(({ cold, flush }) => {
        const { server, socket } = setup({ reconnect: { backoff: constantBackoff({ delayMs: 100 }) } });
        server.script((connection) => cold(connection.index === 0 ? '-o-x' : '-o', { o: 'open', x: { close: 1013 } }));
        const states: ConnectionState[] = [];
        socket.state$.subscribe((state) => states.push(state));
        socket.connect();
        flush();
        expect(states.find((state) => state.status === 'reconnecting')).toMatchObject({
          delayMs: 5000,
          lastClose: closeEvent(1013),
        });
        expect(server.attempts.map((attempt) => attempt.time)).toEqual([0, 5003]);
      });
    });
  });

  describe('sending', () => {
    it('send$.complete() flushes the queue on open, then closes with 1000', () => {
      newTestScheduler().run(({ cold, flush }) => {
        const { server, socket } = setup();
        server.script(cold('--o', { o: 'open' }));
        socket.connect();
        socket.send$.next('last words');
        socket.send$.complete();
        flush();
        expect(server.latest.sentMessages()).toEqual(['last words']);
        expect(server.latest.clientClose).toEqual({ code: 1000, reason: '', time: 2 });
      });
    });

    it('send$ ignores next() after complete(), as a completed Subject does', () => {
      newTestScheduler().run(({ flush }) => {
        const { server, socket } = setup({}, { autoOpen: true });
        const first = socket.connect();
        flush();
        socket.send$.complete();
        flush();
        socket.send$.next('after complete');
        first.unsubscribe();
        socket.connect();
        flush();
        expect(server.connections.map((connection) => connection.sentMessages())).toEqual([[], []]);
      });
    });

    it('counts queued bytes in bufferedAmount', () => {
      newTestScheduler().run(() => {
        const { socket } = setup();
        socket.send('héllo');
        expect(socket.bufferedAmount).toBe(6);
      });
    });
  });

  describe('receiving', () => {
    it('delivers binary messages per binaryType, as ArrayBuffer by default', () => {
      newTestScheduler().run(({ cold, flush }) => {
        const { server, socket } = setup();
        server.script(cold('-oa', { o: 'open', a: { message: new Uint8Array([1, 2, 3]) } }));
        const received: unknown[] = [];
        socket.message$.subscribe((data) => received.push(data));
        flush();
        expect(received).toEqual([new Uint8Array([1, 2, 3]).buffer]);
        expect(server.latest.socket.binaryType).toBe('arraybuffer');
      });
    });

    it('passes binaryType changes on to the current socket', () => {
      newTestScheduler().run(({ cold, flush }) => {
        const { server, socket } = setup();
        server.script(cold('-o-a', { o: 'open', a: { message: new Uint8Array([1, 2, 3]) } }));
        const received: unknown[] = [];
        socket.message$.subscribe((data) => received.push(data));
        server.scheduler.schedule(() => (socket.binaryType = 'blob'), 2);
        flush();
        expect(received[0]).toBeInstanceOf(Blob);
        expect((received[0] as Blob).size).toBe(3);
      });
    });

    it('gives the whole message event on messageEvent$, origin included', () => {
      newTestScheduler().run(({ cold, expectObservable }) => {
        const { server, socket } = setup();
        server.script(cold('-oa', { o: 'open', a: { message: 'hi' } }));
        expectObservable(socket.messageEvent$).toBe('--a', {
          a: { data: 'hi', origin: 'wss://feed.example', lastEventId: '', source: null, ports: [] },
        });
      });
    });
  });

  describe('in a browser page that goes offline', () => {
    const page = new EventTarget();
    const browser = globalThis as unknown as {
      navigator?: { onLine: boolean };
      addEventListener?: EventTarget['addEventListener'];
      removeEventListener?: EventTarget['removeEventListener'];
    };
    const goOnline = (): void => {
      browser.navigator = { onLine: true };
      page.dispatchEvent(new Event('online'));
    };

    beforeEach(() => {
      browser.navigator = { onLine: true };
      browser.addEventListener = page.addEventListener.bind(page);
      browser.removeEventListener = page.removeEventListener.bind(page);
    });
    afterEach(() => {
      delete browser.navigator;
      delete browser.addEventListener;
      delete browser.removeEventListener;
    });

    it('makes no attempt while offline, and one as soon as the page is back online', () => {
      newTestScheduler().run(({ flush }) => {
        browser.navigator = { onLine: false };
        const { server, socket } = setup({}, { autoOpen: true });
        socket.connect();
        at(server, 50, goOnline);
        flush();
        expect(server.attempts.map((attempt) => attempt.time)).toEqual([50]);
      });
    });

    it('cuts a backoff wait short when the page comes back online', () => {
      newTestScheduler().run(({ cold, flush }) => {
        const { server, socket } = setup({ reconnect: { backoff: constantBackoff({ delayMs: 1000 }) } });
        server.script((connection) => cold(connection.index === 0 ? '-o-x' : '-o', { o: 'open', x: 'drop' }));
        socket.connect();
        at(server, 100, goOnline);
        flush();
        expect(server.attempts.map((attempt) => attempt.time)).toEqual([0, 100]);
      });
    });
  });
});
