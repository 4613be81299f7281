import { map, take } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { closeCodePolicy, constantBackoff, fromWebSocket, json, WebSocketCloseError } from 'rx-websocket';
import { closeEvent, createWebSocketDouble, readableFrames, type ServerAction } from 'rx-websocket/testing';

// The README's examples, kept honest by running them.

interface Tick {
  readonly price: number;
}
interface Command {
  readonly subscribe: string;
}

const newTestScheduler = (): TestScheduler =>
  new TestScheduler(readableFrames((actual, expected) => expect(actual).toEqual(expected)));

describe('README examples', () => {
  it('1. a message stream, as marbles', () => {
    newTestScheduler().run(({ cold, expectObservable, flush }) => {
      const server = createWebSocketDouble<Tick, Command>();
      const actions: Record<string, ServerAction<Tick>> = {
        o: 'open',
        a: { json: { price: 1 } },
        b: { json: { price: 2 } },
        c: { json: { price: 3 } },
      };
      server.script(cold('-o-a-b--c', actions));

      const socket = fromWebSocket<Tick, Command>('wss://feed.example/ws', {
        ...json<Tick, Command>(),
        WebSocketCtor: server.WebSocketCtor,
      });
      socket.send({ subscribe: 'BTC' }); // queued until the socket opens

      expectObservable(socket.message$).toBe('---a-b--c', { a: { price: 1 }, b: { price: 2 }, c: { price: 3 } });
      flush();
      expect(server.latest.sentJson()).toEqual([{ subscribe: 'BTC' }]);
      expect(server.latest.sent[0]?.time).toBe(1); // sent the moment it opened
    });
  });

  it('2. a reconnection after 1006, with exact delays', () => {
    newTestScheduler().run(({ cold, expectObservable, flush }) => {
      const server = createWebSocketDouble();
      // The first connection opens after 1 ms and drops 3 ms later; every later one opens after 1 ms.
      server.script((connection) => cold(connection.index === 0 ? '-o--x' : '-o', { o: 'open', x: 'drop' }));

      const socket = fromWebSocket('wss://feed.example/ws', {
        WebSocketCtor: server.WebSocketCtor,
        reconnect: { backoff: constantBackoff({ delayMs: 1000, jitter: 'none' }) },
      });
      socket.connect(); // state$ only observes: something must hold the connection

      expectObservable(socket.state$).toBe('ab--c 999ms de', {
        a: { status: 'connecting', attempt: 0 },
        b: { status: 'open', protocol: '', extensions: '' },
        c: { status: 'reconnecting', attempt: 1, delayMs: 1000, lastClose: closeEvent(1006) },
        d: { status: 'connecting', attempt: 1 },
        e: { status: 'open', protocol: '', extensions: '' },
      });
      flush();
      expect(server.attempts.map((attempt) => attempt.time)).toEqual([0, 1004]);
    });
  });

  it('3. a policy that stops on 4401', () => {
    newTestScheduler().run(({ cold, expectObservable, flush }) => {
      const server = createWebSocketDouble();
      server.script(cold('-o--x', { o: 'open', x: { close: { code: 4401, reason: 'unauthorized' } } }));

      const socket = fromWebSocket('wss://feed.example/ws', {
        WebSocketCtor: server.WebSocketCtor,
        // Retry every application code except 4401: stop wins where both match.
        reconnect: { shouldReconnect: closeCodePolicy({ retry: [[4000, 4999]], stop: [4401] }) },
      });

      const unauthorized = closeEvent(4401, 'unauthorized');
      expectObservable(socket.message$).toBe('----#', undefined, new WebSocketCloseError(unauthorized));
      // close$ observes and never completes: take the one close expected.
      expectObservable(socket.close$.pipe(take(1))).toBe('----(c|)', { c: unauthorized });
      expectObservable(socket.state$.pipe(map((state) => state.status))).toBe('ab--c', {
        a: 'connecting',
        b: 'open',
        c: 'closed',
      });
      let failure: unknown;
      socket.message$.subscribe({ error: (error: unknown) => (failure = error) });
      flush();
      expect(failure).toBeInstanceOf(WebSocketCloseError);
      expect(failure).toMatchObject({ closeCode: 4401, reason: 'unauthorized', wasClean: true });
      expect(server.attempts).toHaveLength(1);
    });
  });
});
