import { type ConnectionState, fromWebSocket } from '../../lib/index';
import { createWebSocketDouble } from '../../lib/testing/index';
import { newScheduler } from '../helpers/virtual-time';

// reconnect() during the first attempt starts it again; state$ says `connecting` once, not once per call.

describe('reconnect() while the first attempt is connecting', () => {
  it('starts the attempt again without repeating connecting on state$', () => {
    newScheduler().run(({ flush }) => {
      const server = createWebSocketDouble({ autoOpen: true, handshakeDelayMs: 50 });
      const socket = fromWebSocket('wss://feed.example/ws', { WebSocketCtor: server.WebSocketCtor });
      const states: ConnectionState[] = [];
      socket.state$.subscribe((state) => states.push(state));
      socket.connect();
      server.scheduler.schedule(() => socket.reconnect(), 10);
      flush();
      expect(states).toEqual([
        { status: 'idle' },
        { status: 'connecting', attempt: 0 },
        { status: 'open', protocol: '', extensions: '' },
      ]);
      expect(server.attempts.map((attempt) => attempt.time)).toEqual([0, 10]);
      socket.close();
    });
  });

  it('says connecting again after a reconnect() from a later attempt, whose count it resets', () => {
    newScheduler().run(({ flush }) => {
      const server = createWebSocketDouble({ autoRefuse: true });
      const socket = fromWebSocket('wss://feed.example/ws', { WebSocketCtor: server.WebSocketCtor });
      const states: ConnectionState[] = [];
      socket.state$.subscribe((state) => states.push(state));
      socket.error$.subscribe();
      socket.connect();
      server.scheduler.schedule(() => socket.reconnect(), 1);
      server.scheduler.schedule(() => socket.close(), 2);
      flush();
      expect(states.map((state) => `${state.status}${'attempt' in state ? ` ${state.attempt}` : ''}`)).toEqual([
        'idle',
        'connecting 0',
        'reconnecting 1',
        'connecting 0',
        'reconnecting 1',
        'closed',
      ]);
    });
  });
});
