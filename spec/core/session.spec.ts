import { asyncScheduler, map, NEVER, timer } from 'rxjs';
import {
  CallbackError,
  ConnectionTimeoutError,
  constantBackoff,
  fromWebSocket,
  TransportError,
  type ConnectionState,
  type WebSocketConstructor,
} from '../../lib/index';
import { closeEvent, createWebSocketDouble } from '../../lib/testing/index';
import { at, newScheduler } from '../helpers/virtual-time';

// What a session does between its attempts, pinned where mutation testing found it unpinned: the states a
// reconnect() announces, the timers it leaves, the connect timeout around slow providers, how it ends, and how it
// listens for the page coming back online.

const FEED_URL = 'wss://feed.example/ws';

/** A state as `status attempt` (or `status code` for a close), to compare sequences at a glance. */
const brief = (state: ConnectionState): string =>
  state.status === 'connecting' || state.status === 'reconnecting'
    ? `${state.status} ${state.attempt}`
    : state.status === 'closed' && state.close
      ? `closed ${state.close.code}`
      : state.status;

describe('a session', () => {
  describe('reconnect()', () => {
    it('while a later attempt connects, announces connecting again with the attempt count reset to 0', () => {
      newScheduler().run(({ flush }) => {
        // Every attempt is refused at once but the second, which takes 50 ms to open.
        const server = createWebSocketDouble({ handshakeDelayMs: 50 });
        server.script((connection) => (connection.index === 1 ? undefined : NEVER));
        const socket = fromWebSocket(FEED_URL, {
          WebSocketCtor: server.WebSocketCtor,
          reconnect: { backoff: constantBackoff({ delayMs: 10, jitter: 'none' }) },
        });
        const states: string[] = [];
        socket.state$.subscribe((state) => states.push(brief(state)));
        socket.error$.subscribe();
        socket.connect();
        at(server, 1, () => server.connection(0).refuse());
        // The second attempt (attempt 1) starts at 11 and is still connecting at 20.
        at(server, 20, () => socket.reconnect());
        at(server, 30, () => socket.close());
        flush();
        expect(states).toEqual(['idle', 'connecting 0', 'reconnecting 1', 'connecting 1', 'connecting 0', 'closed']);
      });
    });
  });

  describe('timers', () => {
    it('leaves nothing scheduled while the first connection is open: the attempt count has nothing to reset', () => {
      const scheduler = newScheduler();
      scheduler.run(({ flush }) => {
        const server = createWebSocketDouble({ autoOpen: true });
        const socket = fromWebSocket(FEED_URL, { WebSocketCtor: server.WebSocketCtor });
        let pending = -1;
        socket.connect();
        // On the test scheduler itself, so that the check is no timer of its own while it runs.
        scheduler.schedule(() => (pending = scheduler.actions.length), 10);
        flush();
        expect(server.connection(0).readyState).toBe(1);
        expect(pending).toBe(0);
        socket.close();
      });
    });
  });

  describe('the connect timeout around slow providers', () => {
    it('with connectTimeoutMs: Infinity, waits for a provider for ever', () => {
      newScheduler().run(({ flush }) => {
        const server = createWebSocketDouble({ autoOpen: true });
        const socket = fromWebSocket(() => NEVER, {
          WebSocketCtor: server.WebSocketCtor,
          reconnect: { connectTimeoutMs: Infinity },
        });
        const errors: unknown[] = [];
        const states: string[] = [];
        socket.error$.subscribe((error) => errors.push(error));
        socket.state$.subscribe((state) => states.push(brief(state)));
        socket.connect();
        flush();
        expect(errors).toEqual([]);
        expect(states).toEqual(['idle', 'connecting 0']);
        socket.close();
      });
    });

    it('counts from the start of the attempt, the time spent waiting for the URL included', () => {
      newScheduler().run(({ flush }) => {
        const server = createWebSocketDouble({ autoOpen: true });
        const socket = fromWebSocket(
          () => timer(300).pipe(map(() => FEED_URL)),
          () => NEVER,
          {
            WebSocketCtor: server.WebSocketCtor,
            reconnect: { connectTimeoutMs: 1_000, shouldReconnect: () => false },
          },
        );
        const errors: [number, unknown][] = [];
        socket.error$.subscribe((error) => errors.push([server.scheduler.now(), error]));
        // The attempt starts at 100, the URL comes at 400, the protocols never: 1 s after 100.
        at(server, 100, () => socket.connect());
        flush();
        expect(errors).toEqual([[1_100, new ConnectionTimeoutError(1_000, FEED_URL, 'protocols')]]);
      });
    });

    it.each([
      ['connectTimeoutMs', { reconnect: { connectTimeoutMs: Infinity } }, 'never'],
      ['closeTimeoutMs', { closeTimeoutMs: Infinity }, 'holdClose'],
    ] as const)(
      'never hands a timer an infinite delay for %s: Infinity (a platform timer runs one that long at once)',
      (_option, options, server) => {
        const schedule = jest.spyOn(asyncScheduler, 'schedule');
        try {
          newScheduler().run(({ flush }) => {
            const double = createWebSocketDouble({ autoOpen: true, holdClose: server === 'holdClose' });
            const socket = fromWebSocket(server === 'never' ? () => NEVER : FEED_URL, {
              WebSocketCtor: double.WebSocketCtor,
              ...options,
            });
            socket.connect();
            at(double, 5, () => socket.close());
            flush();
          });
          const delays = schedule.mock.calls.map(([, delay]) => delay);
          expect(delays.length).toBeGreaterThan(0);
          expect(delays.filter((delay) => delay === Infinity)).toEqual([]);
        } finally {
          schedule.mockRestore();
        }
      },
    );

    it.each([
      ['a string', `${FEED_URL}?token=secret`],
      ['a URL object', new URL(`${FEED_URL}?token=secret`)],
    ])(
      'names the URL, without its query, when the protocols provider is late and the URL is %s',
      (_kind, url: string | URL) => {
        newScheduler().run(({ flush }) => {
          const server = createWebSocketDouble({ autoOpen: true });
          const socket = fromWebSocket(url, () => NEVER, {
            WebSocketCtor: server.WebSocketCtor,
            reconnect: { connectTimeoutMs: 100, shouldReconnect: () => false },
          });
          const errors: Error[] = [];
          socket.error$.subscribe((error) => errors.push(error));
          socket.connect();
          flush();
          expect(errors).toHaveLength(1);
          expect(errors[0]?.message).toBe(
            'WebSocket to wss://feed.example/ws did not open within 100 ms, waiting for the protocols provider',
          );
        });
      },
    );

    it('names no URL when the URL provider itself is late', () => {
      newScheduler().run(({ flush }) => {
        const socket = fromWebSocket(() => NEVER, {
          reconnect: { connectTimeoutMs: 100, shouldReconnect: () => false },
        });
        const errors: Error[] = [];
        socket.error$.subscribe((error) => errors.push(error));
        socket.connect();
        flush();
        expect(errors.map((error) => error.message)).toEqual([
          'WebSocket did not open within 100 ms, waiting for the url provider',
        ]);
      });
    });
  });

  describe('a WebSocket-like whose setup throws something that is not an error of the library', () => {
    it('fails the attempt with a TransportError that says so, the thrown value as its cause', () => {
      newScheduler().run(({ flush }) => {
        const thrown = { not: 'an error' };
        // Made, but its binaryType cannot be set.
        const Throwing = function () {
          return Object.defineProperty({ readyState: 0, close: () => undefined }, 'binaryType', {
            get: () => 'blob',
            set: () => {
              // eslint-disable-next-line @typescript-eslint/only-throw-error -- the point: a setup that throws a non-Error
              throw thrown;
            },
          });
        } as unknown as WebSocketConstructor;
        const socket = fromWebSocket(FEED_URL, { WebSocketCtor: Throwing, reconnect: false });
        const errors: unknown[] = [];
        socket.error$.subscribe((error) => errors.push(error));
        socket.connect();
        flush();
        expect(errors).toHaveLength(1);
        expect(errors[0]).toBeInstanceOf(TransportError);
        expect(errors[0]).toMatchObject({
          message: "WebSocket transport error: the socket's setup threw an Object",
          cause: thrown,
        });
      });
    });
  });

  describe('the end', () => {
    it('keeps the close that came before a policy that threw, next to the CallbackError', () => {
      newScheduler().run(({ cold, flush }) => {
        const server = createWebSocketDouble({ autoOpen: true });
        server.script(cold('-c', { c: { close: { code: 4000, reason: 'bye' } } }));
        const boom = new Error('policy');
        const socket = fromWebSocket(FEED_URL, {
          WebSocketCtor: server.WebSocketCtor,
          reconnect: {
            shouldReconnect: () => {
              throw boom;
            },
          },
        });
        const states: ConnectionState[] = [];
        socket.state$.subscribe((state) => states.push(state));
        socket.error$.subscribe();
        socket.connect();
        flush();
        expect(states.at(-1)).toEqual({
          status: 'closed',
          close: closeEvent(4000, 'bye'),
          error: new CallbackError('shouldReconnect', boom),
        });
      });
    });

    it('cannot be undone by a reconnect() from a state$ callback of its last state: no new attempt', () => {
      newScheduler().run(({ cold, flush }) => {
        const server = createWebSocketDouble({ autoOpen: true });
        // 1008: the default policy stops there.
        server.script(cold('-c', { c: { close: 1008 } }));
        const socket = fromWebSocket(FEED_URL, { WebSocketCtor: server.WebSocketCtor });
        const states: string[] = [];
        socket.state$.subscribe((state) => {
          states.push(brief(state));
          if (state.status === 'closed') socket.reconnect();
        });
        socket.message$.subscribe({ error: () => undefined });
        flush();
        expect(states).toEqual(['idle', 'connecting 0', 'open', 'closed 1008']);
        expect(server.attempts).toHaveLength(1);
      });
    });
  });

  describe('waiting to reconnect in a page that can go offline', () => {
    const page = new EventTarget();
    const listening = new Set<unknown>();
    const browser = globalThis as unknown as {
      navigator?: { onLine: boolean };
      addEventListener?: (type: string, listener: () => void) => void;
      removeEventListener?: (type: string, listener: () => void) => void;
    };
    const add = (type: string, listener: () => void): void => {
      listening.add(listener);
      page.addEventListener(type, listener);
    };
    const remove = (type: string, listener: () => void): void => {
      listening.delete(listener);
      page.removeEventListener(type, listener);
    };

    afterEach(() => {
      delete browser.navigator;
      delete browser.addEventListener;
      delete browser.removeEventListener;
      listening.clear();
    });

    /** A socket dropped at 1 ms that waits 100 ms to reconnect; what listened to the page during and after. */
    function dropAndWait(): { during: number; after: number; attempts: number[] } {
      const seen = { during: -1, after: -1, attempts: [] as number[] };
      newScheduler().run(({ cold, flush }) => {
        const server = createWebSocketDouble({ autoOpen: true });
        server.script((connection) => (connection.index === 0 ? cold('-x', { x: 'drop' }) : undefined));
        const socket = fromWebSocket(FEED_URL, {
          WebSocketCtor: server.WebSocketCtor,
          reconnect: { backoff: constantBackoff({ delayMs: 100, jitter: 'none' }) },
        });
        socket.connect();
        at(server, 50, () => (seen.during = listening.size));
        at(server, 150, () => (seen.after = listening.size));
        flush();
        seen.attempts = server.attempts.map((attempt) => attempt.time);
        socket.close();
      });
      return seen;
    }

    it("listens for 'online' while it waits, and stops listening when the wait ends", () => {
      browser.navigator = { onLine: true };
      browser.addEventListener = add;
      browser.removeEventListener = remove;
      expect(dropAndWait()).toEqual({ during: 1, after: 0, attempts: [0, 101] });
    });

    it.each([
      ['no navigator.onLine', { addEventListener: add, removeEventListener: remove }],
      ['no addEventListener', { navigator: { onLine: true }, removeEventListener: remove }],
      ['no removeEventListener', { navigator: { onLine: true }, addEventListener: add }],
    ])('does not take a global with %s for a page: it waits on its timer alone', (_missing, globals) => {
      Object.assign(browser, globals);
      expect(dropAndWait()).toEqual({ during: 0, after: 0, attempts: [0, 101] });
    });
  });
});
