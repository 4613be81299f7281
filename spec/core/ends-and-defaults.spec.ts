import {
  ConnectionTimeoutError,
  constantBackoff,
  fromWebSocket,
  WebSocketCloseError,
  type ConnectionState,
  type WebSocketOptions,
} from 'rx-websocket';
import { closeEvent, createWebSocketDouble, type WebSocketDoubleOptions } from 'rx-websocket/testing';
import { newScheduler } from '../helpers/virtual-time';

// Documented behaviours that no other spec pinned: how messageEvent$ ends when the connection stops for good, what
// send$.error() does, and the reconnection defaults as a socket lives them.

const FEED_URL = 'wss://feed.example/ws';

function setup(options: WebSocketOptions<unknown, string> = {}, doubleOptions: WebSocketDoubleOptions = {}) {
  const server = createWebSocketDouble<string, string>(doubleOptions);
  const socket = fromWebSocket<unknown, string>(FEED_URL, { WebSocketCtor: server.WebSocketCtor, ...options });
  const states: [number, ConnectionState][] = [];
  socket.state$.subscribe((state) => states.push([server.scheduler.now(), state]));
  return { server, socket, states };
}

/** How a stream ended: `complete`, or the error it failed with. */
type End = { readonly complete: true } | { readonly error: unknown };

describe('messageEvent$', () => {
  it('errors with the WebSocketCloseError when the server closes with a code the policy does not retry', () => {
    newScheduler().run(({ cold, expectObservable }) => {
      const { server, socket } = setup();
      server.script(cold('-o-a-c', { o: 'open', a: { message: 'a' }, c: { close: { code: 4001, reason: 'gone' } } }));
      expectObservable(socket.messageEvent$).toBe(
        '---a-#',
        { a: { data: 'a', origin: 'wss://feed.example', lastEventId: '', source: null, ports: [] } },
        new WebSocketCloseError(closeEvent(4001, 'gone')),
      );
    });
  });

  it('errors with the last reason when the retries run out', () => {
    newScheduler().run(({ flush }) => {
      const { server, socket } = setup(
        { reconnect: { maxAttempts: 1, backoff: constantBackoff({ delayMs: 10 }) } },
        { autoRefuse: true },
      );
      const ends: End[] = [];
      socket.messageEvent$.subscribe({
        complete: () => ends.push({ complete: true }),
        error: (error: unknown) => ends.push({ error }),
      });
      flush();
      expect(server.attempts.map((attempt) => attempt.time)).toEqual([0, 10]);
      expect(ends).toHaveLength(1);
      expect(ends[0]).toEqual({ error: expect.any(WebSocketCloseError) });
      expect((ends[0] as { error: WebSocketCloseError }).error.closeCode).toBe(1006);
    });
  });

  it('completes when the server closes with 1000', () => {
    newScheduler().run(({ cold, expectObservable }) => {
      const { server, socket } = setup();
      server.script(cold('-o-c', { o: 'open', c: { close: { code: 1000 } } }));
      expectObservable(socket.messageEvent$).toBe('---|');
    });
  });
});

describe('send$.error()', () => {
  it('closes an open socket with 1000 at once, and the streams complete', () => {
    newScheduler().run(({ flush }) => {
      const { server, socket, states } = setup({}, { autoOpen: true });
      const ends: End[] = [];
      socket.message$.subscribe({
        complete: () => ends.push({ complete: true }),
        error: (error: unknown) => ends.push({ error }),
      });
      server.scheduler.schedule(() => socket.send$.error(new Error('the application is done')), 5);
      flush();
      expect(server.latest.clientClose).toEqual({ code: 1000, reason: '', time: 5 });
      expect(states.slice(-2)).toEqual([
        [5, { status: 'closing' }],
        [5, { status: 'closed', close: closeEvent(1000) }],
      ]);
      expect(ends).toEqual([{ complete: true }]);
    });
  });

  it('before the open, flushes what is queued on open and then closes with 1000', () => {
    newScheduler().run(({ cold, flush }) => {
      const { server, socket } = setup();
      server.script(cold('--o', { o: 'open' }));
      socket.connect();
      socket.send('first');
      socket.send('second');
      socket.send$.error(new Error('the application is done'));
      flush();
      expect(server.connections).toHaveLength(1);
      expect(server.latest.sent).toEqual([
        { data: 'first', time: 2 },
        { data: 'second', time: 2 },
      ]);
      expect(server.latest.clientClose).toEqual({ code: 1000, reason: '', time: 2 });
    });
  });
});

describe('the reconnection defaults, as a socket lives them', () => {
  it('abandons an attempt that has not opened after 10 000 ms (connectTimeoutMs) and retries it', () => {
    newScheduler().run(({ flush }) => {
      const { server, socket, states } = setup({ reconnect: { backoff: constantBackoff({ delayMs: 100 }) } });
      const errors: unknown[] = [];
      socket.error$.subscribe((error) => errors.push(error));
      const held = socket.connect();
      server.scheduler.schedule(() => held.unsubscribe(), 10_101);
      flush();
      expect(errors).toEqual([new ConnectionTimeoutError(10_000, FEED_URL)]);
      expect(states.find(([, state]) => state.status === 'reconnecting')).toEqual([
        10_000,
        expect.objectContaining({ status: 'reconnecting', attempt: 1, delayMs: 100 }),
      ]);
      expect(server.attempts.map((attempt) => attempt.time)).toEqual([0, 10_100]);
    });
  });

  it('counts attempts from 1 again once a reconnection has stayed open for 5000 ms (resetAfterMs)', () => {
    /** The attempt of the second retry, when the reconnection stayed open `openMs`. */
    const secondRetry = (openMs: number): number | undefined => {
      let attempt: number | undefined;
      newScheduler().run(({ cold, flush }) => {
        const { server, socket, states } = setup({ reconnect: { backoff: constantBackoff({ delayMs: 10 }) } });
        // Open then drop at once; the reconnection stays open `openMs`, then drops too.
        server.script((connection) =>
          connection.index === 0
            ? cold('o-x', { o: 'open', x: 'drop' })
            : connection.index === 1
              ? cold(`o ${openMs - 1}ms x`, { o: 'open', x: 'drop' })
              : cold('o', { o: 'open' }),
        );
        const held = socket.connect();
        server.scheduler.schedule(() => held.unsubscribe(), 20_000);
        flush();
        const retries = states.filter(([, state]) => state.status === 'reconnecting');
        attempt = (retries[1]?.[1] as { attempt: number } | undefined)?.attempt;
      });
      return attempt;
    };
    expect(secondRetry(4_990)).toBe(2);
    expect(secondRetry(5_010)).toBe(1);
  });
});
