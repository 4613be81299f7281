import { map, NEVER, Observable, throwError, timer, type Subscription } from 'rxjs';
import { retry } from 'rxjs/operators';
import {
  CallbackError,
  type ConnectionState,
  ConnectionTimeoutError,
  constantBackoff,
  DecodeError,
  fromWebSocket,
  heartbeat,
  InvalidOptionError,
  json,
  MessageNotSentError,
  TransportError,
  type WebSocketConstructor,
  WebSocketConstructorError,
  type WebSocketOptions,
} from '../../lib/index';
import { createWebSocketDouble, type WebSocketServerDouble } from '../../lib/testing/index';
import { at, newScheduler } from '../helpers/virtual-time';

// fromWebSocket's lifecycle at its edges, against the virtual-time double: callbacks that close, reconnect or
// subscribe while the socket is telling them something, subscribers that come and go during a delivery, providers
// that settle late, and WebSocket-likes that call their handlers unbound.

const FEED_URL = 'wss://feed.example/ws';
const CLOSED = 3;

/** Runs `work` at virtual frame `frame` (inside `TestScheduler.run`). */
const openSockets = (server: WebSocketServerDouble): number[] =>
  server.connections.filter((c) => c.readyState !== CLOSED).map((c) => c.index);

describe('fromWebSocket', () => {
  describe('when a subscriber subscribes while the first session is being created', () => {
    it('a stream subscribed from a state$ callback on the first "connecting" shares the one socket (no orphaned second session)', () => {
      newScheduler().run(({ flush }) => {
        const server = createWebSocketDouble({ autoOpen: true });
        const socket = fromWebSocket(FEED_URL, { WebSocketCtor: server.WebSocketCtor });
        let events: Subscription | undefined;
        let joined = false;
        socket.state$.subscribe((state) => {
          if (state.status === 'connecting' && !joined) {
            joined = true;
            events = socket.messageEvent$.subscribe();
          }
        });
        const messages = socket.message$.subscribe();
        flush();
        expect(server.connections.length).toBe(1);
        messages.unsubscribe();
        events?.unsubscribe();
        flush();
        // Every socket is closed once nobody listens: none is left behind by a session nobody can reach.
        expect(openSockets(server)).toEqual([]);
      });
    });
  });

  describe('when a callback calls close() or reconnect() while the socket is telling it something', () => {
    /**
     * Runs a socket whose first `refused` attempts are refused (retried after 10 ms) and whose later ones open, with a
     * state$ subscriber that calls close() on the first state `closeOn` accepts; returns the connections made and
     * every status seen.
     */
    function closeFromStateCallback(
      refused: number,
      closeOn: (state: ConnectionState) => boolean,
    ): { connections: number; states: ConnectionState['status'][] } {
      let result = { connections: 0, states: [] as ConnectionState['status'][] };
      newScheduler().run(({ cold, flush }) => {
        const server = createWebSocketDouble();
        server.script((c) => cold(c.index < refused ? '-r' : '-o', { r: 'refuse', o: 'open' }));
        const socket = fromWebSocket(FEED_URL, {
          WebSocketCtor: server.WebSocketCtor,
          reconnect: { backoff: constantBackoff({ delayMs: 10 }) },
        });
        const states: ConnectionState['status'][] = [];
        socket.state$.subscribe((state) => {
          states.push(state.status);
          if (closeOn(state)) socket.close();
        });
        socket.connect();
        flush();
        result = { connections: server.connections.length, states };
      });
      return result;
    }

    it('close() from a state$ subscriber on "reconnecting" (give up after N attempts) stops for good', () => {
      const { connections, states } = closeFromStateCallback(
        2,
        (state) => state.status === 'reconnecting' && state.attempt >= 2,
      );
      expect(connections).toBe(2);
      expect(states.at(-1)).toBe('closed');
      expect(states.slice(states.lastIndexOf('closed'))).toEqual(['closed']);
    });

    it('close() from a state$ subscriber on a "connecting" reconnection attempt makes no socket', () => {
      const { connections, states } = closeFromStateCallback(
        1,
        (state) => state.status === 'connecting' && state.attempt >= 1,
      );
      expect(connections).toBe(1);
      expect(states.at(-1)).toBe('closed');
    });

    it('close() from an error$ subscriber on a ConnectionTimeoutError stops for good', () => {
      newScheduler().run(({ cold, flush }) => {
        const server = createWebSocketDouble();
        // The first attempt never answers; any later one would open.
        server.script((c) => (c.index === 0 ? undefined : cold('-o', { o: 'open' })));
        const socket = fromWebSocket(FEED_URL, {
          WebSocketCtor: server.WebSocketCtor,
          reconnect: { backoff: constantBackoff({ delayMs: 10 }), connectTimeoutMs: 5 },
        });
        const states: ConnectionState['status'][] = [];
        socket.state$.subscribe((state) => states.push(state.status));
        socket.error$.subscribe((error) => {
          if (error instanceof ConnectionTimeoutError) socket.close();
        });
        socket.connect();
        flush();
        expect(server.connections.length).toBe(1);
        expect(states.at(-1)).toBe('closed');
      });
    });

    it('reconnect() from a close$ subscriber makes one new socket, not two (the backoff timer is not left running)', () => {
      newScheduler().run(({ cold, flush }) => {
        const server = createWebSocketDouble();
        server.script((c) => cold(c.index === 0 ? '-o 3ms x' : '-o', { o: 'open', x: 'drop' }));
        const socket = fromWebSocket<string>(FEED_URL, {
          WebSocketCtor: server.WebSocketCtor,
          reconnect: { backoff: constantBackoff({ delayMs: 100 }) },
        });
        let reconnected = false;
        socket.close$.subscribe(() => {
          if (!reconnected) {
            reconnected = true;
            socket.reconnect();
          }
        });
        const messages: string[] = [];
        socket.message$.subscribe((m) => messages.push(m));
        at(server, 200, () => {
          for (const c of server.connections) if (c.readyState === 1) c.message(`from #${c.index}`);
        });
        flush();
        expect(server.connections.length).toBe(2);
        expect(messages).toEqual(['from #1']);
      });
    });

    it('close() from a state$ subscriber on the very first "connecting" makes no socket', () => {
      newScheduler().run(({ cold, flush }) => {
        const server = createWebSocketDouble();
        server.script(cold('-o', { o: 'open' }));
        const socket = fromWebSocket(FEED_URL, { WebSocketCtor: server.WebSocketCtor });
        const states: ConnectionState['status'][] = [];
        socket.state$.subscribe((state) => {
          states.push(state.status);
          if (state.status === 'connecting') socket.close();
        });
        socket.connect();
        flush();
        expect(server.connections.length).toBe(0);
        expect(states.at(-1)).toBe('closed');
      });
    });

    it('when one state$ subscriber changes the state, every other subscriber still ends on the current state', () => {
      newScheduler().run(({ cold, flush }) => {
        const server = createWebSocketDouble();
        server.script(cold('-r', { r: 'refuse' }));
        const socket = fromWebSocket(FEED_URL, {
          WebSocketCtor: server.WebSocketCtor,
          reconnect: { backoff: constantBackoff({ delayMs: 10 }) },
        });
        socket.state$.subscribe((state) => {
          if (state.status === 'reconnecting') socket.close(); // give up at the first failure
        });
        const seen: ConnectionState['status'][] = [];
        socket.state$.subscribe((state) => seen.push(state.status));
        socket.connect();
        flush();
        // Not 'closed' and then the older 'reconnecting', as a BehaviorSubject's nested next would deliver them.
        expect(seen.at(-1)).toBe('closed');
      });
    });

    it('reconnect() after close() (while closing) neither leaves a socket that ends the streams on its first drop, nor loses the close', () => {
      newScheduler().run(({ flush }) => {
        const server = createWebSocketDouble({ autoOpen: true, holdClose: true });
        const socket = fromWebSocket(FEED_URL, { WebSocketCtor: server.WebSocketCtor });
        const closes: unknown[] = [];
        let completedAt: number | undefined;
        socket.close$.subscribe((c) => closes.push(c));
        socket.message$.subscribe({ complete: () => (completedAt = server.scheduler.now()) });
        at(server, 5, () => socket.close(4000, 'bye'));
        at(server, 6, () => socket.reconnect()); // close() stops reconnection: this changes nothing
        at(server, 10, () => server.connection(0).close(4000, 'bye'));
        at(server, 20, () => server.connections.at(-1)?.drop());
        flush();
        expect(server.connections.length).toBe(1);
        expect(closes).toEqual([{ code: 4000, reason: 'bye', wasClean: true }]);
        expect(completedAt).toBe(10);
      });
    });

    it('a second close() while closing still waits for the close event; close$ reports it', () => {
      newScheduler().run(({ flush }) => {
        const server = createWebSocketDouble({ autoOpen: true, holdClose: true });
        const socket = fromWebSocket(FEED_URL, { WebSocketCtor: server.WebSocketCtor });
        const closes: unknown[] = [];
        let completedAt: number | undefined;
        socket.close$.subscribe((c) => closes.push(c));
        socket.message$.subscribe({ complete: () => (completedAt = server.scheduler.now()) });
        at(server, 5, () => socket.close(4000, 'bye'));
        at(server, 6, () => socket.close(4000, 'bye'));
        at(server, 10, () => server.latest.close(4000, 'bye'));
        flush();
        expect(closes).toEqual([{ code: 4000, reason: 'bye', wasClean: true }]);
        expect(completedAt).toBe(10);
      });
    });
  });

  describe('WebSocket-like implementations', () => {
    it('works with a socket that calls its onX handlers unbound (no `this`)', () => {
      // A hand-written WebSocket-like, as users pass through WebSocketCtor: it calls its handlers as plain functions.
      const sockets: UnboundSocket[] = [];
      class UnboundSocket {
        readyState = 0;
        protocol = '';
        extensions = '';
        bufferedAmount = 0;
        binaryType = 'blob';
        onopen: ((event: unknown) => void) | null = null;
        onmessage: ((event: unknown) => void) | null = null;
        onerror: ((event: unknown) => void) | null = null;
        onclose: ((event: unknown) => void) | null = null;
        constructor(readonly url: string) {
          sockets.push(this);
        }
        send(): void {}
        close(): void {
          this.readyState = 3;
        }
        fire(type: 'open' | 'message', event: object): void {
          if (type === 'open') this.readyState = 1;
          const handler = type === 'open' ? this.onopen : this.onmessage;
          if (handler) handler(event);
        }
      }
      const socket = fromWebSocket<string>(FEED_URL, {
        WebSocketCtor: UnboundSocket as unknown as WebSocketConstructor,
        reconnect: false,
      });
      const messages: string[] = [];
      const errors: unknown[] = [];
      const uncaught: unknown[] = [];
      const subscription = socket.message$.subscribe({
        next: (m) => messages.push(m),
        error: (e: unknown) => errors.push(e),
      });
      return Promise.resolve().then(() => {
        const made = sockets[0] as UnboundSocket;
        try {
          made.fire('open', { type: 'open' });
          made.fire('message', { type: 'message', data: 'hi' });
        } catch (error) {
          uncaught.push(error);
        } finally {
          subscription.unsubscribe(); // nothing left running (the connect timeout)
        }
        expect(uncaught).toEqual([]);
        expect(errors).toEqual([]);
        expect(messages).toEqual(['hi']);
      });
    });
  });

  describe('with subscribers, providers and timers at the edges of the lifecycle', () => {
    it('a message$ subscriber that unsubscribes another during delivery stops the other at once', () => {
      newScheduler().run(({ cold, flush }) => {
        const server = createWebSocketDouble<string>();
        server.script(cold('-o-a-b', { o: 'open', a: { message: 'a' }, b: { message: 'b' } }));
        const socket = fromWebSocket<string>(FEED_URL, { WebSocketCtor: server.WebSocketCtor });
        const seen: string[] = [];
        const others: Subscription[] = [];
        socket.message$.subscribe((m) => {
          seen.push(`1:${m}`);
          for (const other of others) other.unsubscribe();
        });
        others.push(socket.message$.subscribe((m) => seen.push(`2:${m}`)));
        socket.message$.subscribe((m) => seen.push(`3:${m}`));
        flush();
        expect(seen).toEqual(['1:a', '3:a', '1:b', '3:b']);
      });
    });

    it('a subscriber added during delivery gets the next message, not the current one', () => {
      newScheduler().run(({ cold, flush }) => {
        const server = createWebSocketDouble<string>();
        server.script(cold('-o-a-b', { o: 'open', a: { message: 'a' }, b: { message: 'b' } }));
        const socket = fromWebSocket<string>(FEED_URL, { WebSocketCtor: server.WebSocketCtor });
        const seen: string[] = [];
        let added = false;
        socket.message$.subscribe((m) => {
          seen.push(`1:${m}`);
          if (!added) {
            added = true;
            socket.message$.subscribe((n) => seen.push(`2:${n}`));
          }
        });
        flush();
        expect(seen).toEqual(['1:a', '1:b', '2:b']);
      });
    });

    it('message$ and messageEvent$ subscribers each get a message in the order they subscribed, one message at a time', () => {
      newScheduler().run(({ cold, flush }) => {
        const server = createWebSocketDouble<string>();
        server.script(cold('-o-a-b', { o: 'open', a: { message: 'a' }, b: { message: 'b' } }));
        const socket = fromWebSocket<string>(FEED_URL, { WebSocketCtor: server.WebSocketCtor });
        const seen: string[] = [];
        socket.messageEvent$.subscribe((e) => seen.push(`event 1:${e.data as string}`));
        socket.message$.subscribe((m) => seen.push(`message 2:${m}`));
        socket.messageEvent$.subscribe((e) => seen.push(`event 3:${e.data as string}`));
        socket.message$.subscribe((m) => seen.push(`message 4:${m}`));
        flush();
        expect(seen).toEqual([
          'event 1:a',
          'message 2:a',
          'event 3:a',
          'message 4:a',
          'event 1:b',
          'message 2:b',
          'event 3:b',
          'message 4:b',
        ]);
      });
    });

    it('message$.pipe(retry(1)) resubscribing synchronously on a stop code makes exactly one new socket', () => {
      newScheduler().run(({ cold, flush }) => {
        const server = createWebSocketDouble<string>();
        server.script((c) => cold(c.index === 0 ? '-o-x' : '-o', { o: 'open', x: { close: 4401 } }));
        const socket = fromWebSocket<string>(FEED_URL, { WebSocketCtor: server.WebSocketCtor });
        const statuses: string[] = [];
        socket.state$.subscribe((s) => statuses.push(s.status));
        socket.message$.pipe(retry(1)).subscribe();
        flush();
        expect(server.connections.length).toBe(2);
        expect(openSockets(server)).toEqual([1]);
        expect(statuses).toEqual(['idle', 'connecting', 'open', 'closed', 'connecting', 'open']);
      });
    });

    it('a session that ends while the linger runs cancels the linger; the next subscriber starts afresh', () => {
      newScheduler().run(({ cold, flush }) => {
        const server = createWebSocketDouble();
        server.script((c) => cold(c.index === 0 ? '-o 8ms x' : '-o', { o: 'open', x: { close: 1000 } }));
        const socket = fromWebSocket(FEED_URL, { WebSocketCtor: server.WebSocketCtor, lingerMs: 100 });
        const statuses: string[] = [];
        socket.state$.subscribe((s) => statuses.push(s.status));
        const first = socket.connect();
        at(server, 5, () => first.unsubscribe()); // linger until 105; the server closes with 1000 at 10
        at(server, 50, () => socket.connect()); // a fresh session, not a linger still holding the old one
        at(server, 150, () => expect(openSockets(server)).toEqual([1])); // nothing closed it at 105
        flush();
        expect(server.connections.length).toBe(2);
        expect(statuses).toEqual(['idle', 'connecting', 'open', 'closed', 'connecting', 'open']);
      });
    });

    it('a Promise URL provider that settles after the last unsubscribe makes no socket', async () => {
      const server = createWebSocketDouble();
      let resolveUrl: (url: string) => void = () => undefined;
      let calls = 0;
      const socket = fromWebSocket(() => new Promise<string>((resolve) => ((resolveUrl = resolve), calls++)), {
        WebSocketCtor: server.WebSocketCtor,
      });
      const held = socket.connect();
      await Promise.resolve(); // the attempt starts on the next microtask and calls the provider
      expect(calls).toBe(1);
      held.unsubscribe();
      resolveUrl(FEED_URL);
      await Promise.resolve();
      await Promise.resolve();
      expect(server.connections.length).toBe(0);
    });

    it('an Observable protocols provider is unsubscribed when the socket is let go while waiting for it', () => {
      newScheduler().run(({ flush }) => {
        const server = createWebSocketDouble();
        let unsubscribed = 0;
        const protocols = new Observable<string>(() => () => unsubscribed++);
        const socket = fromWebSocket(FEED_URL, () => protocols, { WebSocketCtor: server.WebSocketCtor });
        const held = socket.connect();
        at(server, 5, () => held.unsubscribe());
        flush();
        expect(unsubscribed).toBe(1);
        expect(server.connections.length).toBe(0);
      });
    });

    it('letting go of a socket that is still connecting leaves no timer behind (connect timeout, backoff)', () => {
      const scheduler = newScheduler();
      scheduler.run(({ flush }) => {
        const server = createWebSocketDouble(); // never answers
        const socket = fromWebSocket(FEED_URL, {
          WebSocketCtor: server.WebSocketCtor,
          reconnect: { connectTimeoutMs: 50, backoff: constantBackoff({ delayMs: 10 }) },
        });
        const hold = socket.connect();
        // The connect timeout is due at 50 (TestScheduler keeps a bookkeeping action of its own, not counted here).
        const timeouts = (): number =>
          scheduler.actions.filter((action) => !action.closed && action.delay === 50).length;
        let before = -1;
        let after = -1;
        at(server, 5, () => (before = timeouts()));
        at(server, 10, () => hold.unsubscribe());
        at(server, 11, () => (after = timeouts()));
        flush();
        expect([before, after]).toEqual([1, 0]);
        expect(server.connections.length).toBe(1);
        expect(server.connection(0).readyState).toBe(CLOSED);
      });
    });
  });

  describe('when an attempt fails before a socket opens', () => {
    /** Runs `fromWebSocket` with `options` over the double, and records states and errors until `untilMs`. */
    function attempts(
      url: Parameters<typeof fromWebSocket>[0],
      options: WebSocketOptions<unknown, unknown> & { protocols?: Parameters<typeof fromWebSocket>[1] },
      script?: string,
    ): { states: ConnectionState[]; errors: unknown[]; connections: number; at: number[] } {
      const result = { states: [] as ConnectionState[], errors: [] as unknown[], connections: 0, at: [] as number[] };
      newScheduler().run(({ cold, flush }) => {
        const server = createWebSocketDouble();
        if (script) server.script(cold(script, { o: 'open' }));
        const { protocols, ...rest } = options;
        const socket = fromWebSocket<unknown, unknown>(url, protocols, {
          WebSocketCtor: server.WebSocketCtor,
          ...rest,
        });
        socket.state$.subscribe((state) => result.states.push(state));
        const held = socket.connect();
        held.add(
          socket.error$.subscribe((error) => {
            result.errors.push(error);
            result.at.push(server.scheduler.now());
          }),
        );
        server.scheduler.schedule(() => held.unsubscribe(), 1_000);
        flush();
        result.connections = server.connections.length;
      });
      return result;
    }

    it('retries a URL provider that fails with an error coded ERR_NETWORK (axios), reporting a CallbackError', () => {
      const networkError = Object.assign(new Error('Network Error'), { code: 'ERR_NETWORK' });
      let calls = 0;
      const { states, errors, connections } = attempts(
        () => (++calls === 1 ? throwError(() => networkError) : FEED_URL),
        { reconnect: { backoff: constantBackoff({ delayMs: 10 }) } },
        '-o',
      );
      expect(errors).toEqual([expect.any(CallbackError)]);
      expect(errors[0]).toMatchObject({ hook: 'url', cause: networkError });
      expect(connections).toBe(1);
      expect(states.map((state) => state.status)).toEqual([
        'idle',
        'connecting',
        'reconnecting',
        'connecting',
        'open',
        'closing',
        'closed',
      ]);
    });

    it('stops at once when the constructor refuses its arguments the same way every time (a RangeError)', () => {
      let calls = 0;
      const refusing = function () {
        calls++;
        throw new RangeError('Unsupported protocol version: 7 (supported versions: 8, 13)');
      } as unknown as WebSocketConstructor;
      const { states, errors } = attempts(FEED_URL, {
        WebSocketCtor: refusing,
        reconnect: { backoff: constantBackoff({ delayMs: 50 }) },
      });
      expect(calls).toBe(1);
      expect(errors).toEqual([expect.any(WebSocketConstructorError)]);
      expect((errors[0] as Error).message).toContain('RangeError: Unsupported protocol version: 7');
      expect(states.at(-1)).toEqual({ status: 'closed', error: errors[0] });
    });

    it('stops at once on the SyntaxError DOMException a browser throws for a URL it cannot use', () => {
      let calls = 0;
      const refusing = function () {
        calls++;
        throw new DOMException("Failed to construct 'WebSocket': The URL 'x' is invalid.", 'SyntaxError');
      } as unknown as WebSocketConstructor;
      const { states, errors } = attempts(FEED_URL, { WebSocketCtor: refusing });
      expect(calls).toBe(1);
      expect(states.at(-1)).toEqual({ status: 'closed', error: expect.any(WebSocketConstructorError) });
      expect(errors).toHaveLength(1);
    });

    it('retries a constructor that throws anything else (a TransportError), then opens', () => {
      newScheduler().run(({ cold, flush }) => {
        const server = createWebSocketDouble();
        server.script(cold('-o', { o: 'open' }));
        let calls = 0;
        const flaky = function (...args: unknown[]) {
          if (++calls <= 2) throw new Error('too many open files');
          return new (server.WebSocketCtor as unknown as new (...a: unknown[]) => object)(...args);
        } as unknown as WebSocketConstructor;
        const socket = fromWebSocket(FEED_URL, {
          WebSocketCtor: flaky,
          reconnect: { backoff: constantBackoff({ delayMs: 10 }) },
        });
        const errors: unknown[] = [];
        socket.error$.subscribe((error) => errors.push(error));
        const statuses: string[] = [];
        socket.state$.subscribe((state) => statuses.push(state.status));
        socket.connect();
        flush();
        expect(calls).toBe(3);
        expect(errors).toEqual([expect.any(TransportError), expect.any(TransportError)]);
        expect(statuses.at(-1)).toBe('open');
        socket.close();
      });
    });

    describe.each([
      ['an Observable that never emits', (): Observable<string> => NEVER],
      ['a Promise that never settles', (): Promise<string> => new Promise<string>(() => undefined)],
    ])('with a URL provider giving %s', (_, never) => {
      it('times out after connectTimeoutMs with a ConnectionTimeoutError naming the provider, and retries by policy', () => {
        let calls = 0;
        const { states, errors, at, connections } = attempts(
          () => (++calls === 1 ? never() : FEED_URL),
          {
            reconnect: { connectTimeoutMs: 50, backoff: constantBackoff({ delayMs: 10 }) },
          },
          '-o',
        );
        expect(errors).toEqual([expect.any(ConnectionTimeoutError)]);
        expect(errors[0]).toMatchObject({ timeoutMs: 50, provider: 'url' });
        expect(at).toEqual([50]);
        expect(connections).toBe(1);
        expect(states.map((state) => state.status)).toEqual([
          'idle',
          'connecting',
          'reconnecting',
          'connecting',
          'open',
          'closing',
          'closed',
        ]);
      });
    });

    it('counts the time a protocols provider took against connectTimeoutMs', () => {
      const { errors, at, connections } = attempts(FEED_URL, {
        protocols: () => timer(30).pipe(map(() => 'v1.feed')),
        reconnect: { maxAttempts: 0, connectTimeoutMs: 50 },
      });
      // 30 ms waiting for the protocols, then 20 ms for a socket that never opens: 50 ms in all.
      expect(connections).toBe(1);
      expect(errors).toEqual([expect.any(ConnectionTimeoutError)]);
      expect(errors[0]).toMatchObject({ timeoutMs: 50, provider: undefined });
      expect(at).toEqual([50]);
    });
  });

  describe('when a provider fails with undefined', () => {
    it('errors message$ with a CallbackError whose cause is undefined, rather than completing as after a 1000 close', async () => {
      const server = createWebSocketDouble();
      // A URL provider failing with undefined; without reconnection that is the end.
      const socket = fromWebSocket(() => throwError(() => undefined), {
        WebSocketCtor: server.WebSocketCtor,
        reconnect: false,
      });
      const states: ConnectionState[] = [];
      socket.state$.subscribe((state) => states.push(state));
      const end = await new Promise<unknown>((resolve) =>
        socket.message$.subscribe({
          error: (error: unknown) => resolve(error),
          complete: () => resolve('complete'),
        }),
      );
      expect(end).toBeInstanceOf(CallbackError);
      expect(end).toMatchObject({ hook: 'url', cause: undefined, message: 'The url callback threw undefined' });
      expect(states.at(-1)).toEqual({ status: 'closed', error: end });
      expect(server.connections).toHaveLength(0);
    });
  });
  describe('when the session ends with an error nothing else reported', () => {
    /** Records, in order, what error$, message$ and close$ saw of a socket served by `script`. */
    function ending(
      script: string,
      options: WebSocketOptions<unknown, unknown>,
    ): { seen: string[]; errors: unknown[]; end: unknown } {
      const result = { seen: [] as string[], errors: [] as unknown[], end: undefined as unknown };
      newScheduler().run(({ cold, flush }) => {
        const server = createWebSocketDouble();
        server.script(cold(script, { o: 'open', m: { message: '{' }, r: { close: 1012 } }));
        const socket = fromWebSocket<unknown, unknown>(FEED_URL, {
          ...options,
          WebSocketCtor: server.WebSocketCtor,
        });
        socket.error$.subscribe((error) => {
          result.errors.push(error);
          result.seen.push(`error$ ${(error as { name?: string }).name}`);
        });
        socket.close$.subscribe((close) => result.seen.push(`close$ ${close.code}`));
        socket.message$.subscribe({
          error: (error: unknown) => {
            result.end = error;
            result.seen.push(`message$ error ${(error as { name?: string }).name}`);
          },
        });
        flush();
      });
      return result;
    }

    it("a fatal DecodeError is reported on error$ before message$ errors with it (decodeErrors: 'fatal')", () => {
      const { seen, errors, end } = ending('-o-m', { ...json(), decodeErrors: 'fatal' });
      expect(end).toBeInstanceOf(DecodeError);
      expect(errors).toEqual([end]);
      expect(seen).toEqual(['error$ DecodeError', 'message$ error DecodeError']);
    });

    it("an error$ subscriber that calls close() on a fatal DecodeError gets a clean close (decodeErrors: 'fatal')", () => {
      newScheduler().run(({ cold, flush }) => {
        const server = createWebSocketDouble();
        server.script(cold('-o-m', { o: 'open', m: { message: '{' } }));
        const socket = fromWebSocket<unknown, unknown>(FEED_URL, {
          ...json(),
          decodeErrors: 'fatal',
          WebSocketCtor: server.WebSocketCtor,
        });
        const seen: string[] = [];
        socket.error$.subscribe((error) => {
          seen.push(`error$ ${(error as Error).name}`);
          socket.close(4000, 'bad message');
        });
        socket.close$.subscribe((close) => seen.push(`close$ ${close.code}`));
        socket.message$.subscribe({
          error: (error: unknown) => seen.push(`message$ error ${(error as Error).name}`),
          complete: () => seen.push('message$ complete'),
        });
        flush();
        expect(seen).toEqual(['error$ DecodeError', 'close$ 4000', 'message$ complete']);
      });
    });

    it('a shouldReconnect that throws: a CallbackError holding its error is reported on error$, then ends message$', () => {
      const boom = new Error('policy failed');
      const { seen, errors, end } = ending('-o-r', {
        reconnect: {
          shouldReconnect: () => {
            throw boom;
          },
        },
      });
      expect(end).toBeInstanceOf(CallbackError);
      expect(end).toMatchObject({ code: 'ERR_CALLBACK', hook: 'shouldReconnect', cause: boom });
      expect(errors).toEqual([end]);
      expect(seen).toEqual(['close$ 1012', 'error$ CallbackError', 'message$ error CallbackError']);
    });

    it('a backoff that throws: a CallbackError holding its error is reported on error$, then ends message$', () => {
      const boom = new Error('backoff failed');
      const { seen, errors, end } = ending('-o-r', {
        reconnect: {
          backoff: () => {
            throw boom;
          },
        },
      });
      expect(end).toMatchObject({ name: 'CallbackError', hook: 'backoff', cause: boom });
      expect(errors).toEqual([end]);
      expect(seen).toEqual(['close$ 1012', 'error$ CallbackError', 'message$ error CallbackError']);
    });

    it('a backoff that returns no valid delay: the InvalidOptionError is reported on error$, then ends message$', () => {
      const { seen, errors, end } = ending('-o-r', { reconnect: { backoff: () => NaN } });
      expect(end).toBeInstanceOf(InvalidOptionError);
      expect(errors).toEqual([end]);
      expect(seen).toEqual(['close$ 1012', 'error$ InvalidOptionError', 'message$ error InvalidOptionError']);
    });
  });
  describe('its arguments', () => {
    it('reads the options when protocols is given as undefined: fromWebSocket(url, undefined, options)', () => {
      expect(() => fromWebSocket(FEED_URL, undefined, { lingerMs: -1 })).toThrow(InvalidOptionError);
      newScheduler().run(({ flush }) => {
        const server = createWebSocketDouble({ autoOpen: true });
        const socket = fromWebSocket(FEED_URL, undefined, { WebSocketCtor: server.WebSocketCtor });
        const held = socket.connect();
        flush();
        expect(server.connections).toHaveLength(1);
        expect(server.connection(0).protocols).toEqual([]);
        held.unsubscribe();
      });
    });

    it('refuses, when the socket is made, a delay longer than timers honour (it would fire after about 1 ms)', () => {
      const thirtyDaysMs = 30 * 24 * 3_600_000;
      for (const options of [
        { reconnect: { connectTimeoutMs: thirtyDaysMs } },
        { reconnect: { resetAfterMs: thirtyDaysMs } },
        { lingerMs: thirtyDaysMs },
      ]) {
        expect(() => fromWebSocket(FEED_URL, options)).toThrow(InvalidOptionError);
      }
      expect(() => fromWebSocket(FEED_URL, { heartbeat: heartbeat({ timeoutMs: 2 ** 31 }) })).toThrow(
        InvalidOptionError,
      );
    });
  });
  describe('when close() finds messages still queued', () => {
    it('reports them on error$ as MessageNotSentError, in the order they were sent, and never sends them', () => {
      newScheduler().run(({ flush }) => {
        const server = createWebSocketDouble<string, string>();
        const socket = fromWebSocket<string, string>(FEED_URL, { WebSocketCtor: server.WebSocketCtor });
        const errors: unknown[] = [];
        socket.error$.subscribe((error) => errors.push(error));
        socket.connect();
        socket.send('a');
        socket.send('b');
        // While the socket is still connecting.
        at(server, 5, () => expect(() => socket.close()).not.toThrow());
        flush();
        expect(errors).toHaveLength(1);
        expect(errors[0]).toBeInstanceOf(MessageNotSentError);
        expect((errors[0] as MessageNotSentError).messages).toEqual(['a', 'b']);
        expect(server.connections).toHaveLength(1);
        expect(server.connection(0).sentMessages()).toEqual([]);
        expect(openSockets(server)).toEqual([]);
      });
    });

    it('with nobody on error$, close() closes and returns the messages it did not send, and never throws for them', () => {
      newScheduler().run(({ flush }) => {
        const server = createWebSocketDouble<string, string>();
        const socket = fromWebSocket<string, string>(FEED_URL, { WebSocketCtor: server.WebSocketCtor });
        const states: string[] = [];
        socket.state$.subscribe((state) => states.push(state.status));
        const held = socket.connect();
        socket.send('a');
        const returned: (readonly string[])[] = [];
        at(server, 5, () => returned.push(socket.close()));
        // Returned once: a later close() has nothing left to report.
        at(server, 6, () => returned.push(socket.close()));
        flush();
        expect(returned).toEqual([['a'], []]);
        expect(states.at(-1)).toBe('closed');
        expect(openSockets(server)).toEqual([]);
        expect(server.connection(0).sentMessages()).toEqual([]);
        held.unsubscribe();
      });
    });
  });
  describe('when close() meets sends and nested closes', () => {
    it('a message sent while the client closes the socket is reported as not sent, and no later connection sends it', () => {
      newScheduler().run(({ cold, flush }) => {
        const server = createWebSocketDouble<string, string>();
        server.script(cold('-o', { o: 'open' }));
        const socket = fromWebSocket<string, string>(FEED_URL, { WebSocketCtor: server.WebSocketCtor });
        const errors: unknown[] = [];
        const listening = socket.error$.subscribe((error) => errors.push(error));
        socket.connect();
        at(server, 2, () => {
          socket.close();
          socket.send('late');
        });
        at(server, 10, () => listening.unsubscribe());
        let later: Subscription | undefined;
        at(server, 20, () => (later = socket.connect()));
        // Nobody listens on error$ any more: now the caller hears of it.
        let thrown: unknown;
        at(server, 30, () => {
          socket.close();
          try {
            socket.send('later');
          } catch (error) {
            thrown = error;
          }
        });
        flush();
        expect(errors).toHaveLength(1);
        expect(errors[0]).toBeInstanceOf(MessageNotSentError);
        expect((errors[0] as MessageNotSentError).messages).toEqual(['late']);
        expect(thrown).toBeInstanceOf(MessageNotSentError);
        expect((thrown as MessageNotSentError).messages).toEqual(['later']);
        expect(server.connections).toHaveLength(2);
        expect(server.connections.map((c) => c.sentMessages())).toEqual([[], []]);
        later?.unsubscribe();
      });
    });

    it('an error$ subscriber that calls close() on the MessageNotSentError does not cut the closing handshake short', () => {
      newScheduler().run(({ cold, flush }) => {
        const server = createWebSocketDouble<string, string>();
        server.script(cold('-o', { o: 'open' }));
        const socket = fromWebSocket<string, string>(FEED_URL, { WebSocketCtor: server.WebSocketCtor });
        const seen: string[] = [];
        socket.error$.subscribe((error) => {
          seen.push(`error$ ${(error as Error).name}`);
          socket.close();
        });
        socket.close$.subscribe((close) => seen.push(`close$ ${close.code}`));
        socket.message$.subscribe({ complete: () => seen.push('message$ complete') });
        socket.state$.subscribe((state) => {
          seen.push(state.status);
          // Before the open's flush, 'a' still waits in the queue.
          if (state.status === 'open') socket.close();
        });
        socket.send('a');
        flush();
        expect(seen).toEqual([
          'connecting',
          'open',
          'error$ MessageNotSentError',
          'closing',
          'close$ 1000',
          'closed',
          'message$ complete',
        ]);
        expect(server.connection(0).clientClose?.code).toBe(1000);
      });
    });

    it('a close() nested in a state$ callback during another close() returns nothing and does not take what the outer close() returns', () => {
      newScheduler().run(({ flush }) => {
        const server = createWebSocketDouble<string, string>();
        const socket = fromWebSocket<string, string>(FEED_URL, { WebSocketCtor: server.WebSocketCtor });
        const nested: (readonly string[])[] = [];
        socket.state$.subscribe((state) => {
          if (state.status === 'closed') nested.push(socket.close());
        });
        const held = socket.connect();
        socket.send('a');
        let outer: readonly string[] | undefined;
        at(server, 5, () => (outer = socket.close()));
        flush();
        expect(nested).toEqual([[]]);
        expect(outer).toEqual(['a']);
        held.unsubscribe();
      });
    });
  });

  describe('when send$ completes, or the queue is sent to, around an open', () => {
    it('send$.complete() whose session ends before any open leaves the next session open', () => {
      newScheduler().run(({ cold, flush }) => {
        const server = createWebSocketDouble<string, string>();
        server.script((c) => cold(c.index === 0 ? '' : '-o', { o: 'open' }));
        const socket = fromWebSocket<string, string>(FEED_URL, { WebSocketCtor: server.WebSocketCtor });
        const first = socket.connect();
        at(server, 5, () => {
          socket.send$.complete();
          first.unsubscribe();
        });
        let second: Subscription | undefined;
        at(server, 10, () => (second = socket.connect()));
        flush();
        expect(server.connections).toHaveLength(2);
        expect(server.connection(1).readyState).toBe(1);
        expect(server.connection(1).closedWith).toBeUndefined();
        second?.unsubscribe();
      });
    });

    it('send$.complete() before the open flushes and closes that socket without announcing it on open$', () => {
      newScheduler().run(({ flush }) => {
        const server = createWebSocketDouble<string, string>({ autoOpen: true });
        const socket = fromWebSocket<string, string>(FEED_URL, { WebSocketCtor: server.WebSocketCtor });
        const opens: unknown[] = [];
        socket.open$.subscribe((open) => {
          opens.push(open);
          socket.send('from open$');
        });
        socket.connect();
        const states: string[] = [];
        socket.state$.subscribe((state) => states.push(state.status));
        socket.send('a');
        socket.send$.complete();
        flush();
        expect(server.connection(0).sentMessages()).toEqual(['a']);
        expect(opens).toEqual([]);
        expect(states).toEqual(['connecting', 'open', 'closing', 'closed']);
        expect(socket.bufferedAmount).toBe(0);
      });
    });

    it('close() with no connection running returns what is queued, and a later connection does not send it', () => {
      newScheduler().run(({ flush }) => {
        const server = createWebSocketDouble<string, string>({ autoOpen: true });
        const socket = fromWebSocket<string, string>(FEED_URL, { WebSocketCtor: server.WebSocketCtor });
        socket.send('stale');
        expect(socket.close()).toEqual(['stale']);
        const held = socket.connect();
        flush();
        expect(server.connection(0).sentMessages()).toEqual([]);
        held.unsubscribe();
      });
    });

    it('a state$ subscriber sending on "open" while the queue is full sends what waits first, then its own, and nothing overflows', () => {
      newScheduler().run(({ flush }) => {
        const server = createWebSocketDouble<string, string>({ autoOpen: true });
        const socket = fromWebSocket<string, string>(FEED_URL, {
          WebSocketCtor: server.WebSocketCtor,
          sendQueue: { maxMessages: 2 },
        });
        const errors: unknown[] = [];
        socket.error$.subscribe((error) => errors.push(error));
        socket.connect();
        socket.state$.subscribe((state) => {
          if (state.status === 'open') socket.send('from state$');
        });
        socket.send('a');
        socket.send('b');
        flush();
        expect(errors).toEqual([]);
        expect(server.connection(0).sentMessages()).toEqual(['a', 'b', 'from state$']);
        socket.close();
      });
    });
  });
});
