import { retry } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { constantBackoff, fromWebSocket, json, WebSocketCloseError } from '../../../lib/index';
import { createWebSocketDouble, type WebSocketServerDouble } from '../../../lib/testing/index';

type Command = { op: 'sub' | 'unsub'; channel: string };
type Tick = { channel: string; n: number };

const FEED_URL = 'wss://feed.example/ws';

/** Runs `work` at virtual frame `frame` (inside `TestScheduler.run`). */
function at(server: WebSocketServerDouble, frame: number, work: () => void): void {
  server.scheduler.schedule(work, frame);
}

/** The connections whose socket is not closed. */
const openSockets = (server: WebSocketServerDouble): number[] =>
  server.connections.filter((connection) => connection.readyState !== 3).map((connection) => connection.index);

const newScheduler = () => new TestScheduler((actual, expected) => expect(actual).toEqual(expected));

describe('multiplex', () => {
  it('sends one subscribe per channel, one unsubscribe when the last subscriber leaves, and subscribes again after a reconnection without replaying unsubscribes made while disconnected', () => {
    newScheduler().run(({ cold, flush }) => {
      const server = createWebSocketDouble<Tick, Command>();
      // The first connection opens at 1 ms and drops at 10 ms; the second opens 1 ms after it is made.
      server.script((connection) => cold(connection.index === 0 ? '-o 8ms x' : '-o', { o: 'open', x: 'drop' }));
      const socket = fromWebSocket<Tick, Command>('wss://feed.example/ws', {
        ...json<Tick, Command>(),
        WebSocketCtor: server.WebSocketCtor,
        reconnect: { backoff: constantBackoff({ delayMs: 100 }) },
      });
      const channel = (name: string) =>
        socket.multiplex(
          () => ({ op: 'sub', channel: name }),
          () => ({ op: 'unsub', channel: name }),
          (tick) => tick.channel === name,
        );
      const btc: Tick[] = [];
      const a = channel('BTC').subscribe((t) => btc.push(t));
      const b = channel('BTC').subscribe();
      const eth = channel('ETH').subscribe();
      cold('5ms u').subscribe(() => b.unsubscribe()); // BTC still has a subscriber: nothing is sent
      cold('6ms m').subscribe(() => server.latest.messageJson({ channel: 'BTC', n: 1 }));
      cold('50ms e').subscribe(() => eth.unsubscribe()); // while disconnected: nothing to cancel
      cold('120ms m').subscribe(() => server.latest.messageJson({ channel: 'BTC', n: 2 }));
      cold('130ms u').subscribe(() => a.unsubscribe());
      flush();
      expect(server.connections).toHaveLength(2);
      expect(server.connection(0).sentJson()).toEqual([
        { op: 'sub', channel: 'BTC' },
        { op: 'sub', channel: 'ETH' },
      ]);
      expect(server.connection(1).sentJson()).toEqual([
        { op: 'sub', channel: 'BTC' },
        { op: 'unsub', channel: 'BTC' },
      ]);
      expect(btc).toEqual([
        { channel: 'BTC', n: 1 },
        { channel: 'BTC', n: 2 },
      ]);
    });
  });

  it('ends every subscriber of a channel with the error that stops the socket, sends no stale unsubscribe, and starts afresh for the next subscriber', () => {
    newScheduler().run(({ cold, flush }) => {
      const server = createWebSocketDouble<Tick, Command>();
      // The first connection is closed by the server with 4401 (not retried); the second stays open.
      server.script((connection) =>
        cold(connection.index === 0 ? '-o 8ms x' : '-o', { o: 'open', x: { close: { code: 4401, reason: 'no' } } }),
      );
      const socket = fromWebSocket<Tick, Command>('wss://feed.example/ws', {
        ...json<Tick, Command>(),
        WebSocketCtor: server.WebSocketCtor,
      });
      const btc = () =>
        socket.multiplex(
          () => ({ op: 'sub', channel: 'BTC' }),
          () => ({ op: 'unsub', channel: 'BTC' }),
          (tick) => tick.channel === 'BTC',
        );
      const ended: unknown[] = [];
      btc().subscribe({ error: (error: unknown) => ended.push(error) });
      btc().subscribe({ error: (error: unknown) => ended.push(error) });
      const later: Tick[] = [];
      cold('20ms s').subscribe(() => btc().subscribe((tick) => later.push(tick)));
      cold('25ms m').subscribe(() => server.latest.messageJson({ channel: 'BTC', n: 1 }));
      flush();
      expect(ended).toHaveLength(2);
      expect(ended[0]).toBeInstanceOf(WebSocketCloseError);
      expect(ended[1]).toBe(ended[0]);
      expect((ended[0] as WebSocketCloseError).closeCode).toBe(4401);
      expect(server.connection(0).sentJson()).toEqual([{ op: 'sub', channel: 'BTC' }]);
      expect(server.connection(1).sentJson()).toEqual([{ op: 'sub', channel: 'BTC' }]);
      expect(later).toEqual([{ channel: 'BTC', n: 1 }]);
    });
  });
  describe('when a channel cannot start, or its socket stops', () => {
    /** A socket whose serializer rejects messages while `rejecting()`; nobody listens on error$, so send throws. */
    function rejectingSetup() {
      const server = createWebSocketDouble<{ ch: string }, { sub?: string; unsub?: string }>({ autoOpen: true });
      const control = { rejecting: true };
      const socket = fromWebSocket<{ ch: string }, { sub?: string; unsub?: string }>(FEED_URL, {
        WebSocketCtor: server.WebSocketCtor,
        deserializer: (e) => JSON.parse(e.data as string) as { ch: string },
        serializer: (value) => {
          if (control.rejecting) throw new Error('not now');
          return JSON.stringify(value);
        },
      });
      const channel = socket.multiplex(
        () => ({ sub: 'a' }),
        () => ({ unsub: 'a' }),
        (m) => m.ch === 'a',
      );
      return { server, socket, channel, control };
    }

    it('after a subscribe message that could not be sent, the next subscriber of that key still gets its messages', () => {
      newScheduler().run(({ flush }) => {
        const { server, socket, channel, control } = rejectingSetup();
        const hold = socket.connect();
        const firstErrors: unknown[] = [];
        const received: unknown[] = [];
        at(server, 5, () => channel.subscribe({ error: (e: unknown) => firstErrors.push(e) }));
        at(server, 6, () => {
          control.rejecting = false;
          channel.subscribe((m) => received.push(m));
        });
        at(server, 7, () => server.latest.messageJson({ ch: 'a' }));
        at(server, 8, () => hold.unsubscribe());
        flush();
        expect(firstErrors).toHaveLength(1);
        expect(received).toEqual([{ ch: 'a' }]);
      });
    });

    it('a channel whose subscribe message could not be sent does not hold the socket open for ever', () => {
      newScheduler().run(({ flush }) => {
        const { server, socket, channel } = rejectingSetup();
        const hold = socket.connect();
        at(server, 5, () => channel.subscribe({ error: () => undefined }));
        at(server, 8, () => hold.unsubscribe());
        flush();
        expect(server.connections.length).toBe(1);
        expect(openSockets(server)).toEqual([]);
      });
    });

    it('a channel with retry() resubscribes synchronously after a stop code and gets the next connection', () => {
      newScheduler().run(({ cold, flush }) => {
        const server = createWebSocketDouble<{ ch: string }, { sub: string }>();
        server.script((c) => cold(c.index === 0 ? '-o 3ms x' : '-o', { o: 'open', x: { close: 4401 } }));
        const socket = fromWebSocket<{ ch: string }, { sub: string }>(FEED_URL, {
          WebSocketCtor: server.WebSocketCtor,
          deserializer: (e) => JSON.parse(e.data as string) as { ch: string },
          serializer: JSON.stringify,
        });
        const received: unknown[] = [];
        socket
          .multiplex(
            () => ({ sub: 'a' }),
            () => ({ sub: 'no' }),
            (m) => m.ch === 'a',
          )
          .pipe(retry(1))
          .subscribe((m) => received.push(m));
        at(server, 20, () => server.latest.messageJson({ ch: 'a' }));
        flush();
        expect(server.connections.length).toBe(2);
        expect(server.connection(1).sentJson()).toEqual([{ sub: 'a' }]);
        expect(received).toEqual([{ ch: 'a' }]);
      });
    });
  });
  describe('when a channel starts at the edges of an open', () => {
    const subscribeFrom = (socket: ReturnType<typeof fromWebSocket<Tick, Command>>) => () =>
      socket
        .multiplex(
          () => ({ op: 'sub', channel: 'BTC' }),
          () => ({ op: 'unsub', channel: 'BTC' }),
          (tick) => tick.channel === 'BTC',
        )
        .subscribe();

    it('a channel started from a state$ "open" callback, before open$, subscribes once', () => {
      newScheduler().run(({ flush }) => {
        const server = createWebSocketDouble<Tick, Command>({ autoOpen: true });
        const socket = fromWebSocket<Tick, Command>(FEED_URL, {
          ...json<Tick, Command>(),
          WebSocketCtor: server.WebSocketCtor,
        });
        const start = subscribeFrom(socket);
        socket.state$.subscribe((state) => {
          if (state.status === 'open') start();
        });
        const held = socket.connect();
        flush();
        expect(server.connection(0).sentJson()).toEqual([{ op: 'sub', channel: 'BTC' }]);
        held.unsubscribe();
      });
    });

    it('a channel started while the socket is already closed (from a close$ callback) subscribes once, on the next open', () => {
      newScheduler().run(({ cold, flush }) => {
        const server = createWebSocketDouble<Tick, Command>();
        server.script((c) => cold(c.index === 0 ? '-o-x' : '-o', { o: 'open', x: 'drop' }));
        const socket = fromWebSocket<Tick, Command>(FEED_URL, {
          ...json<Tick, Command>(),
          WebSocketCtor: server.WebSocketCtor,
          reconnect: { backoff: constantBackoff({ delayMs: 10 }) },
        });
        const start = subscribeFrom(socket);
        let started = false;
        socket.close$.subscribe(() => {
          if (!started) {
            started = true;
            start();
          }
        });
        at(server, 50, () => socket.close());
        flush();
        expect(server.connection(0).sentJson()).toEqual([]);
        expect(server.connection(1).sentJson()).toEqual([{ op: 'sub', channel: 'BTC' }]);
      });
    });
  });

  describe('when its filter throws', () => {
    it('errors the channel with what it threw, sends the unsubscribe message, and leaves the socket running', () => {
      newScheduler().run(({ cold, flush }) => {
        const server = createWebSocketDouble<Tick, Command>();
        server.script(
          cold('-o-a-b', { o: 'open', a: { json: { channel: 'BAD', n: 1 } }, b: { json: { channel: 'BTC', n: 2 } } }),
        );
        const socket = fromWebSocket<Tick, Command>(FEED_URL, {
          ...json<Tick, Command>(),
          WebSocketCtor: server.WebSocketCtor,
        });
        const boom = new Error('filter failed');
        const errors: unknown[] = [];
        socket
          .multiplex(
            () => ({ op: 'sub', channel: 'BTC' }),
            () => ({ op: 'unsub', channel: 'BTC' }),
            (tick) => {
              if (tick.channel === 'BAD') throw boom;
              return tick.channel === 'BTC';
            },
          )
          .subscribe({ error: (error: unknown) => errors.push(error) });
        const messages: Tick[] = [];
        const held = socket.message$.subscribe((tick) => messages.push(tick));
        flush();
        expect(errors).toEqual([boom]);
        expect(server.connection(0).sentJson()).toEqual([
          { op: 'sub', channel: 'BTC' },
          { op: 'unsub', channel: 'BTC' },
        ]);
        expect(messages).toEqual([
          { channel: 'BAD', n: 1 },
          { channel: 'BTC', n: 2 },
        ]);
        expect(openSockets(server)).toEqual([0]);
        held.unsubscribe();
      });
    });
  });
});
