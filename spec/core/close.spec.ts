import type { Subscription } from 'rxjs';
import {
  fromWebSocket,
  InvalidCloseCodeError,
  InvalidOptionError,
  MessageNotSentError,
  type ConnectionState,
} from '../../lib/index';
import { closeEvent, createWebSocketDouble } from '../../lib/testing/index';
import { at, newScheduler } from '../helpers/virtual-time';

// How the client closes: close() and the last unsubscribe both go closing → closed through a closing handshake that
// closeTimeoutMs bounds; close() returns what it did not send; MessageNotSentError says what happened to them.

const FEED_URL = 'wss://feed.example/ws';

const NOT_CLEAN = { code: 1006, reason: '', wasClean: false };

describe('fromWebSocket close()', () => {
  describe('with messages waiting in the send queue', () => {
    it('returns them, and reports the same messages on error$ as a MessageNotSentError that says close() was called', () => {
      newScheduler().run(({ flush }) => {
        const server = createWebSocketDouble<string, string>();
        const socket = fromWebSocket<string, string>(FEED_URL, { WebSocketCtor: server.WebSocketCtor });
        const errors: unknown[] = [];
        socket.error$.subscribe((error) => errors.push(error));
        socket.send('a');
        socket.send('b');
        let returned: readonly string[] = [];
        at(server, 5, () => (returned = socket.close()));
        flush();
        expect(returned).toEqual(['a', 'b']);
        expect(errors).toHaveLength(1);
        const error = errors[0] as MessageNotSentError<string>;
        expect(error).toBeInstanceOf(MessageNotSentError);
        expect(error.code).toBe('ERR_MESSAGE_NOT_SENT');
        expect(error.reason).toBe('close-called');
        expect(error.messages).toEqual(['a', 'b']);
        expect(error.message).toBe('2 message(s) not sent: close() was called before the socket opened');
      });
    });

    it('returns an empty array when nothing waits', () => {
      newScheduler().run(({ flush }) => {
        const server = createWebSocketDouble({ autoOpen: true });
        const socket = fromWebSocket(FEED_URL, { WebSocketCtor: server.WebSocketCtor });
        socket.connect();
        let returned: readonly unknown[] | undefined;
        at(server, 5, () => (returned = socket.close()));
        flush();
        expect(returned).toEqual([]);
        expect(socket.close()).toEqual([]);
      });
    });

    it('throws for an invalid code before doing anything: the messages stay queued and the socket open', () => {
      newScheduler().run(({ flush }) => {
        const server = createWebSocketDouble<string, string>();
        const socket = fromWebSocket<string, string>(FEED_URL, { WebSocketCtor: server.WebSocketCtor });
        socket.send('a');
        expect(() => socket.close(1001)).toThrow(InvalidCloseCodeError);
        const held = socket.connect();
        at(server, 1, () => server.latest.open());
        flush();
        expect(server.latest.sentMessages()).toEqual(['a']);
        held.unsubscribe();
      });
    });
  });

  describe('when a message is sent while the connection closes', () => {
    it('after close(): reported as not sent, saying it was sent while closing', () => {
      newScheduler().run(({ flush }) => {
        const server = createWebSocketDouble<string, string>({ autoOpen: true, closeDelayMs: 10 });
        const socket = fromWebSocket<string, string>(FEED_URL, { WebSocketCtor: server.WebSocketCtor });
        const errors: unknown[] = [];
        socket.error$.subscribe((error) => errors.push(error));
        socket.connect();
        at(server, 5, () => {
          socket.close();
          socket.send('late');
        });
        flush();
        expect(errors).toHaveLength(1);
        const error = errors[0] as MessageNotSentError<string>;
        expect(error.reason).toBe('sent-while-closing');
        expect(error.messages).toEqual(['late']);
        expect(error.message).toBe('1 message(s) not sent: sent while closing after close()');
      });
    });

    it('after the last unsubscribe: queued for the next connection, as once closed', () => {
      newScheduler().run(({ flush }) => {
        const server = createWebSocketDouble<string, string>({ autoOpen: true, closeDelayMs: 10 });
        const socket = fromWebSocket<string, string>(FEED_URL, { WebSocketCtor: server.WebSocketCtor });
        const first = socket.connect();
        at(server, 5, () => {
          first.unsubscribe();
          socket.send('for the next one');
        });
        let second: Subscription | undefined;
        at(server, 30, () => (second = socket.connect()));
        flush();
        expect(server.connections).toHaveLength(2);
        expect(server.connection(0).sentMessages()).toEqual([]);
        expect(server.connection(1).sentMessages()).toEqual(['for the next one']);
        second?.unsubscribe();
      });
    });
  });
});

describe('fromWebSocket when the last subscriber leaves', () => {
  it('shows the stop in state$: closing, then closed with the 1000 close it made', () => {
    newScheduler().run(({ flush }) => {
      const server = createWebSocketDouble({ autoOpen: true, closeDelayMs: 3 });
      const socket = fromWebSocket(FEED_URL, { WebSocketCtor: server.WebSocketCtor });
      const states: [number, ConnectionState][] = [];
      socket.state$.subscribe((state) => states.push([server.scheduler.now(), state]));
      const held = socket.connect();
      at(server, 5, () => held.unsubscribe());
      flush();
      expect(states.slice(-2)).toEqual([
        [5, { status: 'closing' }],
        [8, { status: 'closed', close: closeEvent(1000) }],
      ]);
      expect(server.latest.clientClose?.code).toBe(1000);
    });
  });

  it('before the socket opens: closed at once, with no close', () => {
    newScheduler().run(({ flush }) => {
      const server = createWebSocketDouble();
      const socket = fromWebSocket(FEED_URL, { WebSocketCtor: server.WebSocketCtor });
      const states: ConnectionState[] = [];
      socket.state$.subscribe((state) => states.push(state));
      const held = socket.connect();
      at(server, 5, () => held.unsubscribe());
      flush();
      expect(states).toEqual([{ status: 'idle' }, { status: 'connecting', attempt: 0 }, { status: 'closed' }]);
    });
  });

  it('a subscriber that comes back during the closing handshake gets a new connection once it completes', () => {
    newScheduler().run(({ flush }) => {
      const server = createWebSocketDouble({ autoOpen: true, closeDelayMs: 10 });
      const socket = fromWebSocket(FEED_URL, { WebSocketCtor: server.WebSocketCtor });
      const statuses: string[] = [];
      socket.state$.subscribe((state) => statuses.push(state.status));
      const first = socket.connect();
      let second: Subscription | undefined;
      at(server, 5, () => first.unsubscribe());
      at(server, 8, () => (second = socket.connect()));
      flush();
      expect(statuses).toEqual(['idle', 'connecting', 'open', 'closing', 'closed', 'connecting', 'open']);
      expect(server.connections.map((c) => c.createdAt)).toEqual([0, 15]);
      second?.unsubscribe();
    });
  });
});

describe('fromWebSocket closeTimeoutMs', () => {
  /** A socket whose server never answers the client's close; `leave` ends it at frame 5. */
  function unanswered(
    options: { closeTimeoutMs?: number },
    leave: 'close()' | 'unsubscribe',
  ): { states: [number, ConnectionState][]; closes: unknown[]; ended: string[] } {
    let result = { states: [] as [number, ConnectionState][], closes: [] as unknown[], ended: [] as string[] };
    newScheduler().run(({ flush }) => {
      const server = createWebSocketDouble({ autoOpen: true, holdClose: true });
      const socket = fromWebSocket(FEED_URL, { ...options, WebSocketCtor: server.WebSocketCtor });
      const states: [number, ConnectionState][] = [];
      const closes: unknown[] = [];
      const ended: string[] = [];
      socket.state$.subscribe((state) => states.push([server.scheduler.now(), state]));
      if (leave === 'close()') socket.close$.subscribe((close) => closes.push(close));
      const held = socket.message$.subscribe({
        complete: () => ended.push(`complete at ${server.scheduler.now()}`),
        error: () => ended.push('error'),
      });
      at(server, 5, () => (leave === 'close()' ? socket.close() : held.unsubscribe()));
      flush();
      result = { states, closes, ended };
    });
    return result;
  }

  it('by default, ends a close() the peer never answers after 5000 ms, as a 1006 close that was not clean', () => {
    const { states, closes, ended } = unanswered({}, 'close()');
    expect(states.slice(-2)).toEqual([
      [5, { status: 'closing' }],
      [5005, { status: 'closed', close: NOT_CLEAN }],
    ]);
    expect(closes).toEqual([NOT_CLEAN]);
    // A close the client asked for: the streams complete, as after any close() (no error).
    expect(ended).toEqual(['complete at 5005']);
  });

  it('ends the last unsubscribe’s close after closeTimeoutMs when the peer never answers', () => {
    const { states } = unanswered({ closeTimeoutMs: 200 }, 'unsubscribe');
    expect(states.slice(-2)).toEqual([
      [5, { status: 'closing' }],
      [205, { status: 'closed', close: NOT_CLEAN }],
    ]);
  });

  it('with closeTimeoutMs: Infinity, waits for the peer’s answer for ever', () => {
    const { states, closes, ended } = unanswered({ closeTimeoutMs: Infinity }, 'close()');
    expect(states.at(-1)).toEqual([5, { status: 'closing' }]);
    expect(closes).toEqual([]);
    expect(ended).toEqual([]);
  });

  it('leaves no timer behind when the peer answers in time', () => {
    newScheduler().run(({ flush }) => {
      const server = createWebSocketDouble({ autoOpen: true, closeDelayMs: 3 });
      const socket = fromWebSocket(FEED_URL, { WebSocketCtor: server.WebSocketCtor, closeTimeoutMs: 100 });
      const closes: unknown[] = [];
      socket.close$.subscribe((close) => closes.push(close));
      socket.connect();
      at(server, 5, () => socket.close());
      flush();
      expect(closes).toEqual([closeEvent(1000)]);
      expect(server.scheduler.now()).toBe(8);
    });
  });

  it('takes a number of milliseconds ≥ 0', () => {
    for (const bad of [-1, NaN, '100', null]) {
      expect(() => fromWebSocket(FEED_URL, { closeTimeoutMs: bad as number })).toThrow(InvalidOptionError);
    }
    expect(() => fromWebSocket(FEED_URL, { closeTimeoutMs: 0 })).not.toThrow();
  });
});

describe("fromWebSocket close() once the server's close frame is read", () => {
  /** The server closes with 4001 at frame 5; the application calls close() before the close event fires. */
  function closedAsTheServerCloses(options: { closeTimeoutMs?: number }, fireCloseEvent: boolean) {
    const result = {
      states: [] as [number, ConnectionState][],
      closes: [] as [number, unknown][],
      readyState: -1,
      clientClose: undefined as unknown,
    };
    newScheduler().run(({ flush }) => {
      const server = createWebSocketDouble({ autoOpen: true });
      const socket = fromWebSocket(FEED_URL, { ...options, WebSocketCtor: server.WebSocketCtor });
      socket.state$.subscribe((state) => result.states.push([server.scheduler.now(), state]));
      socket.close$.subscribe((close) => result.closes.push([server.scheduler.now(), close]));
      socket.connect();
      at(server, 5, () => {
        const connection = server.latest;
        if (!fireCloseEvent) {
          // A close event that never comes: the socket says CLOSING for ever.
          const client = connection.socket as unknown as { onclose: unknown };
          Object.defineProperty(client, 'onclose', { get: () => null, set: () => undefined });
        }
        connection.close(4001, 'bye');
        server.scheduler.schedule(() => {
          result.readyState = connection.readyState;
          socket.close(1000, 'done');
          result.clientClose = connection.clientClose;
        });
      });
      flush();
    });
    return result;
  }

  it("is not sent again: the server's close is waited for and reported, and ends the socket", () => {
    const { states, closes, readyState, clientClose } = closedAsTheServerCloses({}, true);
    expect(readyState).toBe(2);
    expect(clientClose).toBeUndefined();
    expect(closes).toEqual([[5, closeEvent(4001, 'bye')]]);
    expect(states.slice(-2)).toEqual([
      [5, { status: 'closing' }],
      [5, { status: 'closed', close: closeEvent(4001, 'bye') }],
    ]);
  });

  it('is bounded by closeTimeoutMs when the close event never comes', () => {
    const { states, closes } = closedAsTheServerCloses({ closeTimeoutMs: 300 }, false);
    expect(closes).toEqual([[305, NOT_CLEAN]]);
    expect(states.slice(-2)).toEqual([
      [5, { status: 'closing' }],
      [305, { status: 'closed', close: NOT_CLEAN }],
    ]);
  });
});
