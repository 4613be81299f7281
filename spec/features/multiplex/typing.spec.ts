import { Observable } from 'rxjs';
import { fromWebSocket, json, multiplex } from '../../../lib/index';

type Tick = { type: 'message'; channel: string; cursor: string; data: number };
type S = Tick | { type: 'subscribed'; channel: string; recovered?: boolean } | { type: 'reply'; id: string };
type C =
  | { type: 'subscribe'; channel: string; since?: string }
  | { type: 'unsubscribe'; channel: string }
  | { type: 'request'; id: string };
declare const resync: () => void;

/**
 * The message types of a channel come from the socket, as `socket.send` takes them: callbacks written with no
 * annotations keep their literal types against a socket whose outgoing type is a union. Checked by `tsc`, which
 * compiles the specs; the run only confirms that the calls make channels.
 */
describe('multiplex() types', () => {
  it('types the callbacks from the socket whose outgoing type is a union, with no annotations (the README snippet as written)', () => {
    const socket = fromWebSocket<S, C>('wss://feed.example/ws', json<S, C>());
    const all$: Observable<S> = multiplex(
      socket,
      () => ({ type: 'subscribe', channel: 'u' }),
      () => ({ type: 'unsubscribe', channel: 'u' }),
      (m) => m.type === 'message' && m.channel === 'u',
    );
    const ticks$: Observable<Tick> = multiplex(
      socket,
      (cursor) => ({ type: 'subscribe', channel: 'ticks', ...(cursor !== undefined && { since: cursor }) }),
      () => ({ type: 'unsubscribe', channel: 'ticks' }),
      (msg): msg is Tick => msg.type === 'message' && msg.channel === 'ticks',
      {
        cursorOf: (msg) => msg.cursor,
        isRecovered: (msg) => (msg.type === 'subscribed' && msg.channel === 'ticks' ? msg.recovered : undefined),
        onResume: ({ recovered }) => recovered || resync(),
      },
    );
    // The message types still come from the socket, not from the callbacks.
    multiplex(
      socket,
      // @ts-expect-error 'subscribe-all' is no C
      () => ({ type: 'subscribe-all' }),
      () => ({ type: 'unsubscribe', channel: 'u' }),
      () => true,
    );
    multiplex(
      socket,
      // @ts-expect-error a subscribe message needs its channel
      () => ({ type: 'subscribe' }),
      () => ({ type: 'unsubscribe', channel: 'u' }),
      () => true,
    );
    multiplex(
      socket,
      () => ({ type: 'subscribe', channel: 'u' }),
      () => ({ type: 'unsubscribe', channel: 'u' }),
      // @ts-expect-error S has no 'topic'
      (m) => m.topic === 'u',
    );
    expect([all$, ticks$].every((o) => o instanceof Observable)).toBe(true);
  });
});
