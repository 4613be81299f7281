import { DecodeError, fromWebSocket, type WebSocketMessageEvent } from '../../lib/index';
import { createWebSocketDouble } from '../../lib/testing/index';
import { newScheduler } from '../helpers/virtual-time';

// The message path in virtual time: what message$, messageEvent$ and error$ hear when the deserializer fails.

const FEED_URL = 'wss://feed.example/ws';

const parse = (event: WebSocketMessageEvent): unknown => JSON.parse(event.data as string);

/** The DecodeError `parse` leads to on 'oops'. */
function decodeErrorOfOops(): DecodeError {
  try {
    JSON.parse('oops');
  } catch (cause) {
    return new DecodeError('oops', cause);
  }
  throw new Error('unreachable');
}

describe('fromWebSocket messages', () => {
  describe('when the deserializer throws', () => {
    it('messageEvent$ still has the message, message$ skips it, and error$ hears a DecodeError', () => {
      newScheduler().run(({ cold, expectObservable }) => {
        const server = createWebSocketDouble();
        server.script(
          cold('-o-a-b-c', { o: 'open', a: { message: '1' }, b: { message: 'oops' }, c: { message: '2' } }),
        );
        const socket = fromWebSocket<unknown, never>(FEED_URL, {
          WebSocketCtor: server.WebSocketCtor,
          deserializer: parse,
        });
        expectObservable(socket.message$, '^ 10ms !').toBe('---a---c', { a: 1, c: 2 });
        expectObservable(socket.messageEvent$.pipe(), '^ 10ms !').toBe('---a-b-c', {
          a: { data: '1', origin: 'wss://feed.example', lastEventId: '', source: null, ports: [] },
          b: { data: 'oops', origin: 'wss://feed.example', lastEventId: '', source: null, ports: [] },
          c: { data: '2', origin: 'wss://feed.example', lastEventId: '', source: null, ports: [] },
        });
        expectObservable(socket.error$, '^ 10ms !').toBe('-----e', { e: decodeErrorOfOops() });
      });
    });

    it("with decodeErrors 'fatal', messageEvent$ has the message, then every stream ends with the DecodeError", () => {
      newScheduler().run(({ cold, expectObservable }) => {
        const server = createWebSocketDouble();
        server.script(
          cold('-o-a-b-c', { o: 'open', a: { message: '1' }, b: { message: 'oops' }, c: { message: '2' } }),
        );
        const socket = fromWebSocket<unknown, never>(FEED_URL, {
          WebSocketCtor: server.WebSocketCtor,
          deserializer: parse,
          decodeErrors: 'fatal',
        });
        const error = decodeErrorOfOops();
        expectObservable(socket.message$).toBe('---a-#', { a: 1 }, error);
        expectObservable(socket.messageEvent$.pipe()).toBe(
          '---a-(b#)',
          {
            a: { data: '1', origin: 'wss://feed.example', lastEventId: '', source: null, ports: [] },
            b: { data: 'oops', origin: 'wss://feed.example', lastEventId: '', source: null, ports: [] },
          },
          error,
        );
      });
    });

    it('a messageEvent$ subscriber that reconnects on the undecodable message stops the report and the fatal end', () => {
      newScheduler().run(({ cold, flush }) => {
        const server = createWebSocketDouble();
        server.script((c) => cold(c.index === 0 ? '-o-b' : '-o', { o: 'open', b: { message: 'oops' } }));
        const socket = fromWebSocket<unknown, never>(FEED_URL, {
          WebSocketCtor: server.WebSocketCtor,
          deserializer: parse,
          decodeErrors: 'fatal',
          reconnect: false,
        });
        const errors: unknown[] = [];
        socket.error$.subscribe((e) => errors.push(e));
        let ended: unknown = 'running';
        socket.message$.subscribe({ error: (e: unknown) => (ended = e), complete: () => (ended = 'completed') });
        const events = socket.messageEvent$.subscribe(() => {
          events.unsubscribe();
          socket.reconnect();
        });
        flush();
        // Reconnecting dropped the connection the message came on: nothing more is said about it.
        expect(errors).toEqual([]);
        expect(ended).toBe('running');
        expect(server.connections).toHaveLength(2);
        socket.close();
        flush();
      });
    });
  });
});
