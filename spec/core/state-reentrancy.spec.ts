import { fromWebSocket, type ConnectionState } from '../../lib/index';
import { createWebSocketDouble } from '../../lib/testing/index';
import { newScheduler } from '../helpers/virtual-time';

// state$ gives each subscriber the current state first, then every change once, in order: also when a subscriber
// changes the state (close() from an 'open' callback) and another one subscribes while that change is being told.

const FEED_URL = 'wss://feed.example/ws';

describe('fromWebSocket state$', () => {
  describe('when a subscriber joins during a state change another subscriber made', () => {
    it('the subscriber that closed from its "open" callback and subscribed again sees closing once, then closed', () => {
      newScheduler().run(({ flush }) => {
        const server = createWebSocketDouble({ autoOpen: true });
        const socket = fromWebSocket(FEED_URL, { WebSocketCtor: server.WebSocketCtor });
        const late: ConnectionState['status'][] = [];
        const first: ConnectionState['status'][] = [];
        socket.state$.subscribe((state) => {
          first.push(state.status);
          if (state.status !== 'open') return;
          socket.close();
          socket.state$.subscribe((next) => late.push(next.status));
        });
        socket.connect();
        flush();
        expect(late).toEqual(['closing', 'closed']);
        expect(first).toEqual(['idle', 'connecting', 'open', 'closing', 'closed']);
      });
    });

    it('a subscriber joined by a later subscriber while the nested change waits gets the current state once, then the rest', () => {
      newScheduler().run(({ flush }) => {
        const server = createWebSocketDouble({ autoOpen: true });
        const socket = fromWebSocket(FEED_URL, { WebSocketCtor: server.WebSocketCtor });
        const seen: Record<string, ConnectionState['status'][]> = { a: [], b: [], c: [] };
        socket.state$.subscribe((state) => {
          seen.a?.push(state.status);
          if (state.status === 'open') socket.close();
        });
        socket.state$.subscribe((state) => {
          seen.b?.push(state.status);
          // Told of 'open' after 'a' closed: the state is already 'closing'.
          if (state.status === 'open') socket.state$.subscribe((next) => seen.c?.push(next.status));
        });
        socket.connect();
        flush();
        expect(seen).toEqual({
          a: ['idle', 'connecting', 'open', 'closing', 'closed'],
          b: ['idle', 'connecting', 'open', 'closing', 'closed'],
          c: ['closing', 'closed'],
        });
      });
    });

    it('a subscriber that joins from a "reconnecting" callback in which close() was called sees closed once', () => {
      newScheduler().run(({ cold, flush }) => {
        const server = createWebSocketDouble();
        server.script(cold('-r', { r: 'refuse' }));
        const socket = fromWebSocket(FEED_URL, { WebSocketCtor: server.WebSocketCtor });
        const late: ConnectionState['status'][] = [];
        socket.state$.subscribe((state) => {
          if (state.status !== 'reconnecting') return;
          socket.close();
          socket.state$.subscribe((next) => late.push(next.status));
        });
        socket.connect();
        flush();
        expect(late).toEqual(['closed']);
      });
    });
  });
});
