import { constantBackoff, fromWebSocket, type ConnectionState } from 'rx-websocket';
import { createWebSocketDouble, type ServerAction } from 'rx-websocket/testing';
import { newScheduler } from '../helpers/virtual-time';

// The count of failed attempts goes back to 0 once a reconnection has stayed open `resetAfterMs`; the timer that does
// it belongs to that one connection, and must not outlive it.

describe('the resetAfterMs timer', () => {
  it('is cancelled when its connection closes, so that it cannot reset the count during a later connection', () => {
    newScheduler().run(({ cold, flush }) => {
      const server = createWebSocketDouble<string, string>();
      const socket = fromWebSocket<unknown, string>('wss://feed.example/ws', {
        WebSocketCtor: server.WebSocketCtor,
        reconnect: { backoff: constantBackoff({ delayMs: 10 }), resetAfterMs: 5_000 },
      });
      const retries: [number, number][] = [];
      socket.state$.subscribe((state: ConnectionState) => {
        if (state.status === 'reconnecting') retries.push([server.scheduler.now(), state.attempt]);
      });
      // #0 opens and drops at once; #1 (a reconnection: its timer starts, due at 5012) stays open 100 ms; #2 opens
      // at 122 and drops at 5071, before its own 5000 ms are up. #1's timer, had it been left, would fire at 5012.
      const actions: Record<string, ServerAction<string>> = { o: 'open', x: 'drop' };
      const scripts = [cold('o-x', actions), cold('o 99ms x', actions)];
      server.script((connection) => scripts[connection.index] ?? cold('o 4948ms x', actions));
      const held = socket.connect();
      server.scheduler.schedule(() => held.unsubscribe(), 5_200);
      flush();
      expect(server.attempts.map((attempt) => attempt.time)).toEqual([0, 12, 122, 5_081]);
      expect(retries).toEqual([
        [2, 1],
        [112, 2],
        [5_071, 3],
      ]);
    });
  });
});
