import { config } from 'rxjs';
import {
  CallbackError,
  constantBackoff,
  fromWebSocket,
  InvalidOptionError,
  json,
  multiplex,
  type MultiplexOptions,
  type ReactiveWebSocket,
  type ResumeEvent,
} from '../../../lib/index';
import {
  createFeedServerDouble,
  createWebSocketDouble,
  type FeedClientFrame,
  type FeedMessage,
  type FeedServerDouble,
  type FeedServerFrame,
  type WebSocketServerDouble,
} from '../../../lib/testing/index';
import { at, newScheduler } from '../../helpers/virtual-time';

type ServerMsg = FeedServerFrame<number>;
type ClientMsg = FeedClientFrame;
type Message = FeedMessage<number>;

const FEED_URL = 'wss://feed.example/ws';

/** Runs `work` at virtual frame `frame` (inside `TestScheduler.run`). */
/**
 * A socket on a server double that opens every connection at once and reconnects 10 ms after a drop; `feed` plays
 * the reference protocol on it unless the spec scripts the server by hand.
 */
function setup({ feed: withFeed = true } = {}) {
  const server = createWebSocketDouble<ServerMsg, ClientMsg>({ autoOpen: true });
  const feed: FeedServerDouble | undefined = withFeed ? createFeedServerDouble(server) : undefined;
  const socket = fromWebSocket<ServerMsg, ClientMsg>(FEED_URL, {
    ...json<ServerMsg, ClientMsg>(),
    WebSocketCtor: server.WebSocketCtor,
    reconnect: { backoff: constantBackoff({ delayMs: 10 }) },
  });
  const events: Record<string, ResumeEvent[]> = {};
  const cursors: (string | undefined)[] = [];
  const channel = (name: string, options: Partial<MultiplexOptions<Message, ServerMsg>> = {}) =>
    multiplex(
      socket,
      (cursor): ClientMsg => {
        cursors.push(cursor);
        return { type: 'subscribe', channel: name, ...(cursor !== undefined && { since: cursor }) };
      },
      (): ClientMsg => ({ type: 'unsubscribe', channel: name }),
      (msg): msg is Message => msg.type === 'message' && msg.channel === name,
      {
        cursorOf: (msg) => msg.cursor,
        isRecovered: (msg) => (msg.type === 'subscribed' && msg.channel === name ? msg.recovered : undefined),
        onResume: (event) => (events[name] ??= []).push(event),
        ...options,
      },
    );
  return { server, feed: feed as FeedServerDouble, socket, channel, events, cursors };
}

const data = (messages: readonly Message[]) => messages.map((message) => message.data);
const sent = (server: WebSocketServerDouble<ServerMsg, ClientMsg>, index: number) =>
  server.connection(index).sentJson();

/** What RxJS would rethrow out of band (in an application, an uncaught exception), collected instead. */
function unhandledErrors(): unknown[] {
  const unhandled: unknown[] = [];
  config.onUnhandledError = (error) => unhandled.push(error);
  return unhandled;
}

describe('multiplex with cursorOf (a resumable channel)', () => {
  afterEach(() => {
    config.onUnhandledError = null;
  });

  it('subscribes the first time with no cursor, and after a drop with the cursor of the last message it delivered; the replay fills the gap and the app is told recovered: true', () => {
    newScheduler().run(({ flush }) => {
      const { server, feed, channel, events, cursors } = setup();
      const btc: Message[] = [];
      channel('BTC').subscribe((m) => btc.push(m));
      at(server, 5, () => [1, 2].forEach((n) => feed.publish('BTC', n)));
      at(server, 10, () => feed.dropConnections());
      at(server, 12, () => [3, 4].forEach((n) => feed.publish('BTC', n))); // while the client is away
      at(server, 40, () => feed.publish('BTC', 5));
      flush();
      expect(server.connections).toHaveLength(2);
      expect(cursors).toEqual([undefined, undefined, '2']); // the key, the first subscribe, the resubscribe
      expect(sent(server, 0)).toEqual([{ type: 'subscribe', channel: 'BTC' }]);
      expect(sent(server, 1)).toEqual([{ type: 'subscribe', channel: 'BTC', since: '2' }]);
      expect(data(btc)).toEqual([1, 2, 3, 4, 5]);
      expect(events).toEqual({ BTC: [{ recovered: true, cursor: '2' }] });
    });
  });

  it('when the history is gone, tells the app per channel (recovered: false for that one only) and goes on with live data', () => {
    newScheduler().run(({ flush }) => {
      const { server, feed, channel, events } = setup();
      const btc: Message[] = [];
      const eth: Message[] = [];
      channel('BTC').subscribe((m) => btc.push(m));
      channel('ETH').subscribe((m) => eth.push(m));
      at(server, 5, () => {
        [1, 2, 3].forEach((n) => feed.publish('BTC', n));
        feed.publish('ETH', 1);
      });
      at(server, 10, () => feed.dropConnections());
      at(server, 12, () => {
        [4, 5, 6, 7, 8].forEach((n) => feed.publish('BTC', n));
        feed.publish('ETH', 2);
        feed.trim('BTC', 2); // BTC keeps 7 and 8: cursor 3 is out of reach
      });
      at(server, 40, () => {
        feed.publish('BTC', 9);
        feed.publish('ETH', 3);
      });
      flush();
      expect(sent(server, 1)).toEqual([
        { type: 'subscribe', channel: 'BTC', since: '3' },
        { type: 'subscribe', channel: 'ETH', since: '1' },
      ]);
      expect(events).toEqual({ BTC: [{ recovered: false, cursor: '3' }], ETH: [{ recovered: true, cursor: '1' }] });
      expect(data(btc)).toEqual([1, 2, 3, 9]);
      expect(data(eth)).toEqual([1, 2, 3]);
    });
  });

  it('tells the app before the replayed messages arrive', () => {
    newScheduler().run(({ flush }) => {
      const { server, feed, socket } = setup();
      const seen: string[] = [];
      multiplex(
        socket,
        (cursor): ClientMsg => ({ type: 'subscribe', channel: 'BTC', ...(cursor !== undefined && { since: cursor }) }),
        (): ClientMsg => ({ type: 'unsubscribe', channel: 'BTC' }),
        (msg): msg is Message => msg.type === 'message' && msg.channel === 'BTC',
        {
          cursorOf: (msg) => msg.cursor,
          isRecovered: (msg) => (msg.type === 'subscribed' ? msg.recovered : undefined),
          onResume: (event) => seen.push(`resume ${String(event.recovered)}`),
        },
      ).subscribe((m) => seen.push(`message ${m.data}`));
      at(server, 5, () => feed.publish('BTC', 1));
      at(server, 10, () => feed.dropConnections());
      at(server, 12, () => feed.publish('BTC', 2));
      flush();
      expect(seen).toEqual(['message 1', 'resume true', 'message 2']);
    });
  });

  it('does not deliver twice the messages of an overlap the server replays', () => {
    newScheduler().run(({ flush }) => {
      const { server, channel, events } = setup({ feed: false });
      const msg = (n: number): Message => ({ type: 'message', channel: 'BTC', cursor: `c${n}`, data: n });
      const btc: Message[] = [];
      channel('BTC').subscribe((m) => btc.push(m));
      at(server, 2, () => [1, 2].forEach((n) => server.latest.messageJson(msg(n))));
      at(server, 5, () => server.latest.drop());
      at(server, 20, () => {
        // A server that replays from the start of its history, not strictly after `since`.
        server.latest.messageJson({ type: 'subscribed', channel: 'BTC', recovered: true });
        [1, 2, 3].forEach((n) => server.latest.messageJson(msg(n)));
      });
      flush();
      expect(sent(server, 1)).toEqual([{ type: 'subscribe', channel: 'BTC', since: 'c2' }]);
      expect(data(btc)).toEqual([1, 2, 3]);
      expect(events).toEqual({ BTC: [{ recovered: true, cursor: 'c2' }] });
    });
  });

  it('does not deliver twice a live message that races the replay after a reconnection, before or after it', () => {
    newScheduler().run(({ flush }) => {
      const { server, channel } = setup({ feed: false });
      const msg = (n: number): Message => ({ type: 'message', channel: 'BTC', cursor: `c${n}`, data: n });
      const btc: Message[] = [];
      channel('BTC').subscribe((m) => btc.push(m));
      at(server, 2, () => [1, 2].forEach((n) => server.latest.messageJson(msg(n))));
      at(server, 5, () => server.latest.drop());
      at(server, 20, () => {
        const connection = server.latest;
        connection.messageJson(msg(4)); // published during the reconnection: live, ahead of the answer
        connection.messageJson({ type: 'subscribed', channel: 'BTC', recovered: true });
        [3, 4, 5].forEach((n) => connection.messageJson(msg(n))); // the replay holds it too
        connection.messageJson(msg(5)); // and a lagging live feed sends the last one again
        connection.messageJson(msg(6));
      });
      flush();
      expect(data(btc)).toEqual([1, 2, 4, 3, 5, 6]);
    });
  });

  it('after a resubscription, drops the cursors among the last dedupeWindow delivered before it, and repeats among those delivered since, for dedupeWindow messages', () => {
    newScheduler().run(({ flush }) => {
      const { server, channel } = setup({ feed: false });
      const msg = (n: number): Message => ({ type: 'message', channel: 'BTC', cursor: `c${n}`, data: n });
      const btc: Message[] = [];
      channel('BTC', { dedupeWindow: 3 }).subscribe((m) => btc.push(m));
      at(server, 2, () => [1, 2, 3, 4].forEach((n) => server.latest.messageJson(msg(n))));
      at(server, 5, () => server.latest.drop());
      at(server, 20, () =>
        // c1 is older than the window, c2-c4 are the overlap; the three new messages after the resubscription (c1,
        // c5, c6) are checked, so c1 again is dropped; c5 again comes after them.
        [1, 2, 3, 4, 5, 1, 6, 5].forEach((n) => server.latest.messageJson(msg(n))),
      );
      flush();
      expect(data(btc)).toEqual([1, 2, 3, 4, 1, 5, 6, 5]);
    });
  });

  it('on a steady connection, drops a repeat of the last cursor only', () => {
    newScheduler().run(({ flush }) => {
      const { server, channel } = setup({ feed: false });
      const msg = (n: number): Message => ({ type: 'message', channel: 'BTC', cursor: `c${n}`, data: n });
      const btc: Message[] = [];
      channel('BTC').subscribe((m) => btc.push(m));
      at(server, 2, () => [1, 2, 2, 3, 2].forEach((n) => server.latest.messageJson(msg(n))));
      flush();
      expect(data(btc)).toEqual([1, 2, 3, 2]);
    });
  });

  it('with dedupeWindow 0, keeps only the last cursor and drops nothing', () => {
    newScheduler().run(({ flush }) => {
      const { server, channel, cursors } = setup({ feed: false });
      const msg = (n: number): Message => ({ type: 'message', channel: 'BTC', cursor: `c${n}`, data: n });
      const btc: Message[] = [];
      channel('BTC', { dedupeWindow: 0 }).subscribe((m) => btc.push(m));
      at(server, 2, () => [1, 1, 2].forEach((n) => server.latest.messageJson(msg(n))));
      at(server, 5, () => server.latest.drop());
      flush();
      expect(data(btc)).toEqual([1, 1, 2]);
      expect(cursors).toEqual([undefined, undefined, 'c2']);
    });
  });

  it('after a drop before any message, subscribes again without a cursor and tells the app recovered: false at once', () => {
    newScheduler().run(({ flush }) => {
      const { server, feed, channel, events, cursors } = setup();
      const btc: Message[] = [];
      channel('BTC').subscribe((m) => btc.push(m));
      at(server, 5, () => feed.dropConnections());
      at(server, 30, () => feed.publish('BTC', 1));
      flush();
      expect(cursors).toEqual([undefined, undefined, undefined]);
      expect(events).toEqual({ BTC: [{ recovered: false, cursor: undefined }] });
      expect(data(btc)).toEqual([1]);
    });
  });

  it('is told once per reconnection, and not for a resubscription whose connection dropped before the answer', () => {
    newScheduler().run(({ flush }) => {
      const { server, channel, events, cursors } = setup({ feed: false });
      const msg = (n: number): Message => ({ type: 'message', channel: 'BTC', cursor: `c${n}`, data: n });
      channel('BTC').subscribe();
      at(server, 2, () => server.latest.messageJson(msg(1)));
      at(server, 5, () => server.latest.drop());
      at(server, 20, () => server.latest.drop()); // the second connection drops unanswered
      at(server, 40, () => server.latest.messageJson({ type: 'subscribed', channel: 'BTC', recovered: true }));
      at(server, 41, () => server.latest.messageJson({ type: 'subscribed', channel: 'BTC', recovered: false }));
      flush();
      expect(cursors).toEqual([undefined, undefined, 'c1', 'c1']);
      expect(events).toEqual({ BTC: [{ recovered: true, cursor: 'c1' }] });
    });
  });

  it('keeps the key of its first subscribe message: a later subscriber joins the channel whatever the cursor, and one subscribe goes after a reconnection', () => {
    newScheduler().run(({ flush }) => {
      const { server, feed, channel } = setup();
      const first: Message[] = [];
      const second: Message[] = [];
      channel('BTC').subscribe((m) => first.push(m));
      at(server, 5, () => feed.publish('BTC', 1));
      at(server, 6, () => channel('BTC').subscribe((m) => second.push(m)));
      at(server, 10, () => feed.dropConnections());
      at(server, 12, () => feed.publish('BTC', 2));
      flush();
      expect(sent(server, 0)).toEqual([{ type: 'subscribe', channel: 'BTC' }]);
      expect(sent(server, 1)).toEqual([{ type: 'subscribe', channel: 'BTC', since: '1' }]);
      expect(data(first)).toEqual([1, 2]);
      expect(data(second)).toEqual([2]);
    });
  });

  it('starts afresh, with no cursor, once its last subscriber has left', () => {
    newScheduler().run(({ flush }) => {
      const { server, feed, socket, channel, cursors } = setup();
      socket.connect(); // holds the connection while the channel is gone
      const subscription = channel('BTC').subscribe();
      at(server, 5, () => feed.publish('BTC', 1));
      at(server, 6, () => subscription.unsubscribe());
      at(server, 7, () => channel('BTC').subscribe());
      flush();
      // The key and the first subscribe, then the new channel's key, made while open and sent as its first subscribe.
      expect(cursors).toEqual([undefined, undefined, undefined]);
      expect(sent(server, 0)).toEqual([
        { type: 'subscribe', channel: 'BTC' },
        { type: 'unsubscribe', channel: 'BTC' },
        { type: 'subscribe', channel: 'BTC' },
      ]);
    });
  });

  it('delivers a message for which cursorOf gives undefined, and keeps the last cursor it had', () => {
    newScheduler().run(({ flush }) => {
      const { server, channel, cursors } = setup({ feed: false });
      const btc: Message[] = [];
      channel('BTC', { cursorOf: (m) => (m.data === 0 ? undefined : m.cursor) }).subscribe((m) => btc.push(m));
      at(server, 2, () => {
        server.latest.messageJson({ type: 'message', channel: 'BTC', cursor: 'c1', data: 1 });
        server.latest.messageJson({ type: 'message', channel: 'BTC', cursor: 'x', data: 0 });
        server.latest.messageJson({ type: 'message', channel: 'BTC', cursor: 'x', data: 0 });
      });
      at(server, 5, () => server.latest.drop());
      flush();
      expect(data(btc)).toEqual([1, 0, 0]);
      expect(cursors).toEqual([undefined, undefined, 'c1']);
    });
  });

  describe('a plain channel (no cursorOf)', () => {
    it('keeps no cursor: it subscribes again with none, and delivers repeated cursors as they come', () => {
      newScheduler().run(({ flush }) => {
        const { server, socket } = setup({ feed: false });
        const cursors: unknown[] = [];
        const btc: Message[] = [];
        multiplex(
          socket,
          (...args: unknown[]): ClientMsg => {
            cursors.push(...args);
            return { type: 'subscribe', channel: 'BTC' };
          },
          (): ClientMsg => ({ type: 'unsubscribe', channel: 'BTC' }),
          (msg): msg is Message => msg.type === 'message',
        ).subscribe((m) => btc.push(m));
        at(server, 2, () =>
          [1, 1].forEach((n) =>
            server.latest.messageJson({ type: 'message', channel: 'BTC', cursor: `c${n}`, data: n }),
          ),
        );
        at(server, 5, () => server.latest.drop());
        flush();
        expect(cursors).toEqual([undefined, undefined, undefined]);
        expect(data(btc)).toEqual([1, 1]);
      });
    });
  });

  describe('when a callback throws', () => {
    function listen(socket: ReactiveWebSocket<ServerMsg, ClientMsg>) {
      const heard: unknown[] = [];
      // Callback errors only: a drop is heard as a TransportError too.
      socket.error$.subscribe((error) => {
        if (error instanceof CallbackError) heard.push(error);
      });
      return heard;
    }

    it('cursorOf: the message is not delivered, the channel errors with CallbackError multiplex.cursorOf (heard on error$ too), unsubscribes, and nothing is thrown', () => {
      newScheduler().run(({ flush }) => {
        const unhandled = unhandledErrors();
        const { server, feed, socket, channel } = setup();
        const heard = listen(socket);
        const boom = new TypeError('no cursor');
        const btc: Message[] = [];
        const errors: unknown[] = [];
        channel('BTC', {
          cursorOf: (m) => {
            if (m.data === 2) throw boom;
            return m.cursor;
          },
        }).subscribe({ next: (m) => btc.push(m), error: (e: unknown) => errors.push(e) });
        at(server, 5, () => [1, 2, 3].forEach((n) => feed.publish('BTC', n)));
        flush();
        expect(data(btc)).toEqual([1]);
        expect(errors).toHaveLength(1);
        expect(errors[0]).toBeInstanceOf(CallbackError);
        expect(errors[0]).toMatchObject({ code: 'ERR_CALLBACK', hook: 'multiplex.cursorOf', cause: boom });
        expect((errors[0] as Error).message).not.toContain('no cursor');
        expect(heard).toEqual(errors);
        expect(sent(server, 0)).toEqual([
          { type: 'subscribe', channel: 'BTC' },
          { type: 'unsubscribe', channel: 'BTC' },
        ]);
        expect(unhandled).toEqual([]);
      });
    });

    it('isRecovered: the channel errors with CallbackError multiplex.isRecovered, unsubscribes, and nothing is thrown', () => {
      newScheduler().run(({ flush }) => {
        const unhandled = unhandledErrors();
        const { server, feed, socket, channel } = setup();
        const heard = listen(socket);
        const boom = new Error('cannot tell');
        const errors: unknown[] = [];
        channel('BTC', {
          isRecovered: () => {
            throw boom;
          },
        }).subscribe({ error: (e: unknown) => errors.push(e) });
        at(server, 5, () => feed.publish('BTC', 1));
        at(server, 10, () => feed.dropConnections());
        flush();
        expect(errors).toHaveLength(1);
        expect(errors[0]).toMatchObject({ code: 'ERR_CALLBACK', hook: 'multiplex.isRecovered', cause: boom });
        expect(heard).toEqual(errors);
        expect(sent(server, 1)).toEqual([
          { type: 'subscribe', channel: 'BTC', since: '1' },
          { type: 'unsubscribe', channel: 'BTC' },
        ]);
        expect(unhandled).toEqual([]);
      });
    });

    it('onResume: reported on error$ as CallbackError multiplex.onResume; the channel goes on and delivers the replay', () => {
      newScheduler().run(({ flush }) => {
        const unhandled = unhandledErrors();
        const { server, feed, socket, channel } = setup();
        const heard = listen(socket);
        const boom = new Error('resync failed');
        const btc: Message[] = [];
        const ended: unknown[] = [];
        channel('BTC', {
          onResume: () => {
            throw boom;
          },
        }).subscribe({ next: (m) => btc.push(m), error: (e: unknown) => ended.push(e) });
        at(server, 5, () => feed.publish('BTC', 1));
        at(server, 10, () => feed.dropConnections());
        at(server, 12, () => feed.publish('BTC', 2));
        at(server, 40, () => feed.publish('BTC', 3));
        flush();
        expect(heard).toHaveLength(1);
        expect(heard[0]).toBeInstanceOf(CallbackError);
        expect(heard[0]).toMatchObject({ hook: 'multiplex.onResume', cause: boom });
        expect(ended).toEqual([]);
        expect(data(btc)).toEqual([1, 2, 3]);
        expect(unhandled).toEqual([]);
      });
    });

    it('onResume that lets the channel go: nothing more is delivered and nothing is thrown', () => {
      newScheduler().run(({ flush }) => {
        const unhandled = unhandledErrors();
        const { server, feed, channel } = setup();
        const btc: Message[] = [];
        const subscription = channel('BTC', { onResume: () => subscription.unsubscribe() }).subscribe((m) =>
          btc.push(m),
        );
        at(server, 5, () => feed.publish('BTC', 1));
        at(server, 10, () => feed.dropConnections());
        at(server, 12, () => feed.publish('BTC', 2));
        flush();
        expect(data(btc)).toEqual([1]);
        expect(sent(server, 1)).toEqual([
          { type: 'subscribe', channel: 'BTC', since: '1' },
          { type: 'unsubscribe', channel: 'BTC' },
        ]);
        expect(unhandled).toEqual([]);
      });
    });
  });

  it('once onResume has let the channel go, the answer that told it is not handed to its filter', () => {
    newScheduler().run(({ flush }) => {
      const { server, feed, socket } = setup();
      const filtered: string[] = [];
      const subscription = multiplex(
        socket,
        (cursor): ClientMsg => ({ type: 'subscribe', channel: 'BTC', ...(cursor !== undefined && { since: cursor }) }),
        (): ClientMsg => ({ type: 'unsubscribe', channel: 'BTC' }),
        (msg): msg is Message => (filtered.push(msg.type), msg.type === 'message' && msg.channel === 'BTC'),
        {
          cursorOf: (msg) => msg.cursor,
          isRecovered: (msg) => (msg.type === 'subscribed' ? msg.recovered : undefined),
          onResume: () => subscription.unsubscribe(),
        },
      ).subscribe();
      at(server, 5, () => feed.publish('BTC', 1));
      at(server, 10, () => feed.dropConnections());
      flush();
      // The first connection's answer and message; on the second, the answer went to onResume alone.
      expect(filtered).toEqual(['subscribed', 'message']);
      expect(sent(server, 1)).toEqual([
        { type: 'subscribe', channel: 'BTC', since: '1' },
        { type: 'unsubscribe', channel: 'BTC' },
      ]);
    });
  });

  describe('what cursorOf returns', () => {
    it('undefined: the message has no cursor; it is delivered, not deduplicated, and the resume uses the last defined cursor', () => {
      newScheduler().run(({ flush }) => {
        const { server, feed, channel } = setup();
        const btc: Message[] = [];
        channel('BTC', { cursorOf: (msg) => (msg.data === 2 ? undefined : msg.cursor) }).subscribe((m) => btc.push(m));
        at(server, 5, () => [1, 2].forEach((n) => feed.publish('BTC', n)));
        at(server, 10, () => feed.dropConnections());
        at(server, 12, () => feed.publish('BTC', 3));
        flush();
        expect(sent(server, 1)).toEqual([{ type: 'subscribe', channel: 'BTC', since: '1' }]);
        // The replay after cursor 1 holds 2 again: with no cursor, it cannot be told from a new message.
        expect(data(btc)).toEqual([1, 2, 2, 3]);
      });
    });

    it.each<[string, unknown, string]>([
      ['an object', { seq: 2 }, 'an Object'],
      ['a number', 2, 'a number'],
      ['a symbol', Symbol('2'), 'a symbol'],
      ['null', null, 'null'],
    ])(
      '%s: a CallbackError multiplex.cursorOf on error$ saying what it returned; that message is dropped, the channel goes on',
      (_name, returned, kind) => {
        const unhandled = unhandledErrors();
        newScheduler().run(({ flush }) => {
          const { server, feed, socket, channel } = setup();
          const heard: unknown[] = [];
          // The drop itself is heard on error$ too (a transport error): only the callback's errors count here.
          socket.error$.subscribe((error) => error instanceof CallbackError && heard.push(error));
          const btc: Message[] = [];
          const cursorOf = (msg: Message) => (msg.data === 2 ? returned : msg.cursor) as string;
          channel('BTC', { cursorOf }).subscribe({ next: (m) => btc.push(m), error: (e) => heard.push(e) });
          at(server, 5, () => [1, 2, 3].forEach((n) => feed.publish('BTC', n)));
          at(server, 10, () => feed.dropConnections());
          at(server, 12, () => feed.publish('BTC', 4));
          flush();
          expect(data(btc)).toEqual([1, 3, 4]);
          expect(sent(server, 1)).toEqual([{ type: 'subscribe', channel: 'BTC', since: '3' }]);
          expect(heard).toHaveLength(1);
          expect(heard[0]).toBeInstanceOf(CallbackError);
          expect(heard[0]).toMatchObject({ hook: 'multiplex.cursorOf' });
          expect((heard[0] as Error).message).toBe(
            `The multiplex.cursorOf callback returned ${kind}, not a string or undefined`,
          );
        });
        expect(unhandled).toEqual([]);
      },
    );
  });

  describe('its options', () => {
    /** A multiplex call with `options` on a socket of its own. */
    const callWith = (options: object) => {
      const { socket } = setup({ feed: false });
      return () =>
        multiplex(
          socket,
          (): ClientMsg => ({ type: 'subscribe', channel: 'BTC' }),
          (): ClientMsg => ({ type: 'unsubscribe', channel: 'BTC' }),
          () => true,
          options as MultiplexOptions<ServerMsg, ServerMsg>,
        );
    };

    it.each<[string, object, string]>([
      ['onResume without isRecovered', { cursorOf: () => 'c', onResume: () => undefined }, 'multiplex.onResume'],
      ['isRecovered without cursorOf', { isRecovered: () => true }, 'multiplex.isRecovered'],
      ['a negative dedupeWindow', { cursorOf: () => 'c', dedupeWindow: -1 }, 'multiplex.dedupeWindow'],
      ['a fractional dedupeWindow', { cursorOf: () => 'c', dedupeWindow: 1.5 }, 'multiplex.dedupeWindow'],
      ['a cursorOf that is no function', { cursorOf: 'cursor' }, 'multiplex.cursorOf'],
      ['an isRecovered that is no function', { cursorOf: () => 'c', isRecovered: true }, 'multiplex.isRecovered'],
      [
        'an onResume that is no function',
        { cursorOf: () => 'c', isRecovered: () => true, onResume: 'log' },
        'multiplex.onResume',
      ],
    ])('refuse %s with an InvalidOptionError naming it, at the call', (_name, options, option) => {
      const call = callWith(options);
      expect(call).toThrow(InvalidOptionError);
      expect(call).toThrow(expect.objectContaining({ option }));
    });

    it.each<[string, object, string]>([
      ['isRecovered without cursorOf', { isRecovered: () => true }, 'multiplex.isRecovered: function (needs cursorOf)'],
      ['dedupeWindow without cursorOf', { dedupeWindow: 5 }, 'multiplex.dedupeWindow: 5 (needs cursorOf)'],
      ['a cursorOf that is no function', { cursorOf: 'seq' }, 'multiplex.cursorOf: "seq" (a function)'],
      [
        'an isRecovered that is no function',
        { cursorOf: () => 'c', isRecovered: 1 },
        'multiplex.isRecovered: 1 (a function)',
      ],
      [
        'an onResume that is no function',
        { cursorOf: () => 'c', isRecovered: () => true, onResume: 1 },
        'multiplex.onResume: 1 (a function)',
      ],
      [
        'a fractional dedupeWindow',
        { cursorOf: () => 'c', dedupeWindow: 1.5 },
        'multiplex.dedupeWindow: 1.5 (an integer ≥ 0)',
      ],
    ])('say what is wrong with %s', (_name, options, says) => {
      expect(callWith(options)).toThrow(`Invalid option ${says}`);
    });

    it('refuse onResume without isRecovered with a message saying that it needs isRecovered, and why', () => {
      expect(callWith({ cursorOf: () => 'c', onResume: () => undefined })).toThrow(
        /onResume needs isRecovered: the server's answer tells whether the gap was filled/,
      );
    });
  });
});
