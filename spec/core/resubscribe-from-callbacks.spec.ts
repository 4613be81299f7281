import type { Subscription } from 'rxjs';
import { fromWebSocket, json, type ReactiveWebSocket, type WebSocketOptions } from '../../lib/index';
import { createWebSocketDouble, type ServerAction } from '../../lib/testing/index';
import { at, newScheduler } from '../helpers/virtual-time';

// "The connection ended and will not be retried. Subscribing again starts a new one": from any callback the ending
// calls too (state$ 'closed', close$, error$, message$'s complete and error handlers), not only from a later turn.

const FEED_URL = 'wss://feed.example/ws';

/** How the first session ends. */
interface Ending {
  readonly options?: WebSocketOptions<unknown, string>;
  /** What the server does on the first connection, 3 ms after it opens (nothing when `act` ends it). */
  readonly server?: ServerAction<unknown>;
  /** What the application does at frame 5, with the subscription that holds the first session. */
  readonly act?: (socket: ReactiveWebSocket<unknown, string>, held: Subscription) => void;
}

const ENDINGS: Readonly<Record<string, Ending>> = {
  'a server close that is not retried': { options: { reconnect: false }, server: { close: 1000 } },
  'a policy that stops': { options: { reconnect: { shouldReconnect: () => false } }, server: { close: 1012 } },
  'close()': { act: (socket) => socket.close(4000, 'bye') },
  'the last unsubscribe': { act: (_socket, held) => held.unsubscribe() },
  "a fatal DecodeError (decodeErrors: 'fatal')": {
    options: { ...json<unknown, string>(), decodeErrors: 'fatal' },
    server: { message: '{' },
  },
};

/** Where the new subscriber subscribes from: once, from the first call that `accepts`. */
type From = 'state$ closed' | 'close$' | 'error$' | 'message$ end';

interface Outcome {
  readonly connections: number;
  readonly secondOpen: boolean;
  readonly newSubscriberEnded: boolean;
  readonly newSubscriberGot: unknown[];
  readonly lastStatus: string | undefined;
}

function resubscribe(ending: Ending, from: From, how: 'message$' | 'connect()'): Outcome {
  let outcome: Outcome | undefined;
  newScheduler().run(({ cold, flush }) => {
    const server = createWebSocketDouble<unknown, string>();
    server.script((c) =>
      c.index === 0 && ending.server
        ? cold<ServerAction<unknown>>('-o 3ms x', { o: 'open', x: ending.server })
        : cold<ServerAction<unknown>>('-o', { o: 'open' }),
    );
    const socket = fromWebSocket<unknown, string>(FEED_URL, {
      ...ending.options,
      WebSocketCtor: server.WebSocketCtor,
    });
    let joined = false;
    let ended = false;
    const got: unknown[] = [];
    const join = (): void => {
      if (joined) return;
      joined = true;
      if (how === 'connect()') socket.connect();
      else
        socket.message$.subscribe({
          next: (message) => got.push(message),
          complete: () => (ended = true),
          error: () => (ended = true),
        });
    };
    const statuses: string[] = [];
    socket.state$.subscribe((state) => {
      statuses.push(state.status);
      if (from === 'state$ closed' && state.status === 'closed') join();
    });
    // close$ and error$ subscribers only observe: message$ holds the first session.
    if (from === 'close$') socket.close$.subscribe(() => join());
    if (from === 'error$') socket.error$.subscribe(() => join());
    const held = socket.message$.subscribe({
      complete: () => from === 'message$ end' && join(),
      error: () => from === 'message$ end' && join(),
    });
    if (ending.act) at(server, 5, () => ending.act?.(socket, held));
    at(server, 50, () => {
      if (server.connections.length > 1 && server.latest.readyState === 1) server.latest.message('"from the new one"');
    });
    flush();
    outcome = {
      connections: server.connections.length,
      secondOpen: server.connections.length === 2 && server.latest.readyState === 1,
      newSubscriberEnded: ended,
      newSubscriberGot: got,
      lastStatus: statuses.at(-1),
    };
  });
  return outcome as Outcome;
}

describe('fromWebSocket', () => {
  describe('when a subscriber subscribes again from a callback of the ending of a connection', () => {
    // The callbacks each ending calls: the last unsubscribe leaves nobody on message$, close$ or error$, and a fatal
    // DecodeError ends with no close event.
    const cases: [string, From][] = [
      ['a server close that is not retried', 'state$ closed'],
      ['a server close that is not retried', 'close$'],
      ['a server close that is not retried', 'message$ end'],
      ['a policy that stops', 'state$ closed'],
      ['a policy that stops', 'close$'],
      ['a policy that stops', 'message$ end'],
      ['close()', 'state$ closed'],
      ['close()', 'close$'],
      ['close()', 'message$ end'],
      ['the last unsubscribe', 'state$ closed'],
      ["a fatal DecodeError (decodeErrors: 'fatal')", 'state$ closed'],
      ["a fatal DecodeError (decodeErrors: 'fatal')", 'error$'],
      ["a fatal DecodeError (decodeErrors: 'fatal')", 'message$ end'],
    ];

    it.each(cases)('after %s, subscribing message$ from %s starts a new connection that stays open', (name, from) => {
      const outcome = resubscribe(ENDINGS[name] as Ending, from, 'message$');
      expect(outcome.connections).toBe(2);
      expect(outcome.secondOpen).toBe(true);
      expect(outcome.newSubscriberEnded).toBe(false);
      expect(outcome.lastStatus).toBe('open');
      // JSON for the fatal-decode socket; raw text for the others.
      expect(outcome.newSubscriberGot).toHaveLength(1);
    });

    it.each(cases)('after %s, connect() from %s starts a new connection that stays open', (name, from) => {
      const outcome = resubscribe(ENDINGS[name] as Ending, from, 'connect()');
      expect(outcome.connections).toBe(2);
      expect(outcome.secondOpen).toBe(true);
      expect(outcome.lastStatus).toBe('open');
    });
  });

  describe('when a subscriber subscribes while the client is closing the connection', () => {
    it('gets a new connection once the close completes; the closing one still ends its own subscribers', () => {
      newScheduler().run(({ flush }) => {
        const server = createWebSocketDouble<string, string>({ autoOpen: true, closeDelayMs: 10 });
        const socket = fromWebSocket<string, string>(FEED_URL, { WebSocketCtor: server.WebSocketCtor });
        const seen: string[] = [];
        socket.state$.subscribe((state) => seen.push(state.status));
        socket.message$.subscribe({ complete: () => seen.push('first complete') });
        let second: Subscription | undefined;
        at(server, 5, () => {
          socket.close();
          second = socket.message$.subscribe({ complete: () => seen.push('second complete') });
        });
        flush();
        expect(seen).toEqual([
          'idle',
          'connecting',
          'open',
          'closing',
          'closed',
          'first complete',
          'connecting',
          'open',
        ]);
        expect(server.connections).toHaveLength(2);
        expect(server.connection(0).clientClose?.time).toBe(5);
        expect(server.connection(1).createdAt).toBe(15);
        second?.unsubscribe();
      });
    });
  });
});
