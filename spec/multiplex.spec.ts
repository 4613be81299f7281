import { TestScheduler } from 'rxjs/testing';
import { constantBackoff, fromWebSocket, json, WebSocketCloseError } from '../lib/index';
import { createWebSocketDouble } from '../lib/testing/index';

type Command = { op: 'sub' | 'unsub'; channel: string };
type Tick = { channel: string; n: number };

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
});
