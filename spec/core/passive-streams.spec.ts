import { map, skip, type Observable, type Subscription } from 'rxjs';
import {
  fromWebSocket,
  type RxWebSocketError,
  TransportError,
  type ReactiveWebSocket,
  type WebSocketConstructor,
  type WebSocketData,
  type WebSocketPayload,
} from '../../lib/index';
import { closeEvent, createWebSocketDouble, type WebSocketServerDouble } from '../../lib/testing/index';
import { at, newScheduler } from '../helpers/virtual-time';

// Event streams observe, data streams hold: open$, close$, error$ and state$ never open or hold the connection and
// span the socket object's life; message$, messageEvent$ and connect() hold it.

const FEED_URL = 'wss://feed.example/ws';
const CLOSED = 3;

/** Runs `work` at virtual frame `frame` (inside `TestScheduler.run`). */
const openSockets = (server: WebSocketServerDouble): number[] =>
  server.connections.filter((c) => c.readyState !== CLOSED).map((c) => c.index);

type Socket = ReactiveWebSocket<WebSocketData, WebSocketPayload>;
type EventStream = 'open$' | 'close$' | 'error$' | 'state$';
const EVENT_STREAMS: EventStream[] = ['open$', 'close$', 'error$', 'state$'];

const streamOf = (socket: Socket, name: EventStream): Observable<unknown> => socket[name];

/** Holds the connection the way `how` says; the returned Subscription lets go. */
function hold(socket: Socket, how: 'message$' | 'messageEvent$' | 'connect()'): Subscription {
  if (how === 'connect()') return socket.connect();
  return how === 'message$' ? socket.message$.subscribe() : socket.messageEvent$.subscribe();
}

describe('fromWebSocket event streams (open$, close$, error$, state$)', () => {
  describe.each(EVENT_STREAMS)('%s', (name) => {
    it('opens nothing when subscribed alone: no socket is constructed and the state stays idle', () => {
      newScheduler().run(({ flush }) => {
        const server = createWebSocketDouble({ autoOpen: true });
        const socket = fromWebSocket(FEED_URL, { WebSocketCtor: server.WebSocketCtor });
        const seen = streamOf(socket, name).subscribe();
        flush();
        expect(server.attempts).toEqual([]);
        expect(server.connections).toHaveLength(0);
        expect(socket.readyState).toBe(CLOSED);
        seen.unsubscribe();
      });
    });

    it.each(['message$', 'messageEvent$', 'connect()'] as const)(
      'does not hold the connection: the last %s unsubscribe closes it with 1000 while this stream is subscribed',
      (how) => {
        newScheduler().run(({ flush }) => {
          const server = createWebSocketDouble({ autoOpen: true, handshakeDelayMs: 1 });
          const socket = fromWebSocket(FEED_URL, { WebSocketCtor: server.WebSocketCtor });
          const seen = streamOf(socket, name).subscribe();
          const held = hold(socket, how);
          at(server, 5, () => held.unsubscribe());
          flush();
          expect(server.connections).toHaveLength(1);
          expect(server.latest.clientClose).toEqual({ code: 1000, reason: '', time: 5 });
          expect(openSockets(server)).toEqual([]);
          expect(seen.closed).toBe(false);
          seen.unsubscribe();
        });
      },
    );
  });

  it('each keeps reporting across a stop and a later new connection, and none completes', () => {
    newScheduler().run(({ cold, expectObservable }) => {
      const server = createWebSocketDouble();
      // Every connection opens at once and then fires an error event.
      server.script(cold('-o-e', { o: 'open', e: 'error' }));
      const socket = fromWebSocket(FEED_URL, { WebSocketCtor: server.WebSocketCtor, reconnect: false });
      const opened = { url: FEED_URL, protocol: '', extensions: '', attempt: 0 };
      // Subscribed for the whole run: no `|` in any of these marbles.
      expectObservable(socket.open$).toBe('-o 9ms o', { o: opened });
      expectObservable(socket.error$.pipe(map((error) => error.code))).toBe('---e 9ms e', { e: 'ERR_TRANSPORT' });
      expectObservable(socket.close$).toBe('-----c 14ms c', { c: closeEvent(1000) });
      // After the idle state it starts with:
      expectObservable(
        socket.state$.pipe(
          skip(1),
          map((state) => state.status),
        ),
      ).toBe('ab---(cd) 1ms ef 8ms (cd)', {
        a: 'connecting',
        b: 'open',
        c: 'closing',
        d: 'closed',
        e: 'connecting',
        f: 'open',
      });
      // The first connection is held from 0 to 5, the second from 10 to 20: each last unsubscribe stops it.
      expectObservable(socket.message$, '^----!').toBe('');
      expectObservable(socket.message$, '10ms ^ 9ms !').toBe('');
    });
  });

  it('report a connection that connect() starts after a stop, and do not complete when it stops with close()', () => {
    newScheduler().run(({ flush }) => {
      const server = createWebSocketDouble({ autoOpen: true, handshakeDelayMs: 1 });
      const socket = fromWebSocket(FEED_URL, { WebSocketCtor: server.WebSocketCtor });
      const events: string[] = [];
      const completed: string[] = [];
      for (const name of EVENT_STREAMS) {
        streamOf(socket, name).subscribe({
          next: () => events.push(`${server.scheduler.now()} ${name}`),
          complete: () => completed.push(name),
        });
      }
      const first = socket.connect();
      at(server, 5, () => first.unsubscribe());
      at(server, 10, () => socket.connect());
      at(server, 20, () => socket.close());
      flush();
      expect(server.attempts.map((attempt) => attempt.time)).toEqual([0, 10]);
      expect(events.filter((event) => !event.endsWith('state$'))).toEqual([
        '1 open$',
        '5 close$',
        '11 open$',
        '20 close$',
      ]);
      expect(completed).toEqual([]);
    });
  });
});

describe('fromWebSocket error$', () => {
  it('carries only RxWebSocketErrors: a WebSocket-like whose setup throws a plain Error arrives as a TransportError', () => {
    newScheduler().run(({ flush }) => {
      const server = createWebSocketDouble();
      const Ctor = function (this: unknown, url: string, protocols?: string | string[]) {
        const socket = new server.WebSocketCtor(url, protocols);
        Object.defineProperty(socket, 'binaryType', {
          set: () => {
            throw new Error('no binaryType here: secret');
          },
        });
        return socket;
      } as unknown as WebSocketConstructor;
      const socket = fromWebSocket(FEED_URL, { WebSocketCtor: Ctor, reconnect: false });
      const errors: RxWebSocketError[] = [];
      socket.error$.subscribe((error) => errors.push(error));
      let failure: unknown;
      socket.message$.subscribe({ error: (error: unknown) => (failure = error) });
      flush();
      expect(errors).toHaveLength(1);
      expect(errors[0]).toBeInstanceOf(TransportError);
      expect(errors[0]?.code).toBe('ERR_TRANSPORT');
      expect(errors[0]?.cause).toEqual(new Error('no binaryType here: secret'));
      expect(errors[0]?.message).not.toContain('secret');
      expect(failure).toBe(errors[0]);
      // The socket the constructor made is closed, not left open.
      expect(server.connections).toHaveLength(1);
      expect(server.connection(0).clientClose).toBeDefined();
    });
  });
});
