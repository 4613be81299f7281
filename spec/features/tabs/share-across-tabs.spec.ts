import type { Subscription } from 'rxjs';
import {
  constantBackoff,
  EncodeError,
  fromWebSocket,
  InvalidOptionError,
  json,
  multiplex,
  request,
  shareAcrossTabs,
  type ConnectionState,
  type ReactiveWebSocket,
  type RxWebSocketError,
  type ShareAcrossTabsOptions,
  type WebSocketConstructor,
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
import { hubFor } from '../../../lib/features/tabs/hub';
import { createFakeBrowser, createFakePage, type FakeBrowser, type FakePage, type FakeTab } from './fake-browser';
import { at, newScheduler } from '../../helpers/virtual-time';

type ServerMsg = FeedServerFrame<number>;
type ClientMsg = FeedClientFrame;
type Message = FeedMessage<number>;
type Socket = ReactiveWebSocket<ServerMsg, ClientMsg>;

const FEED_URL = 'wss://feed.example/ws';

interface Tab {
  readonly fake: FakeTab;
  readonly page: FakePage;
  readonly socket: Socket;
  readonly messages: ServerMsg[];
  readonly errors: RxWebSocketError[];
  readonly states: ConnectionState['status'][];
  /** The closes its socket reported, as code, reason and wasClean. */
  readonly closes: [number, string, boolean][];
  readonly subscriptions: Subscription[];
}

/** Tabs of one origin, each with a socket shared as 'feed', over one server double playing the reference feed. */
function setup(
  names: readonly string[] = ['a', 'b', 'c'],
  {
    handshakeDelayMs = 0,
    catchUpMs,
    catchUpMessages,
    lockLatencyMs = 0,
    latencyMs = 1,
  }: {
    handshakeDelayMs?: number;
    catchUpMs?: number;
    catchUpMessages?: number;
    lockLatencyMs?: number;
    latencyMs?: number;
  } = {},
) {
  const browser: FakeBrowser = createFakeBrowser({ lockLatencyMs, latencyMs });
  const server = createWebSocketDouble<ServerMsg, ClientMsg>({ autoOpen: true, handshakeDelayMs });
  const feed: FeedServerDouble = createFeedServerDouble(server);
  const open = (name: string): Tab => {
    const fake = browser.tab(name);
    const page = createFakePage();
    const socket = fromWebSocket<ServerMsg, ClientMsg>(FEED_URL, {
      ...json<ServerMsg, ClientMsg>(),
      WebSocketCtor: server.WebSocketCtor,
      reconnect: { backoff: constantBackoff({ delayMs: 10 }) },
      tabs: shareAcrossTabs({
        name: 'feed',
        locks: fake.locks,
        BroadcastChannel: fake.BroadcastChannel,
        events: page,
        ...(catchUpMs !== undefined && { catchUpMs }),
        ...(catchUpMessages !== undefined && { catchUpMessages }),
      }),
    });
    const tab: Tab = { fake, page, socket, messages: [], errors: [], states: [], closes: [], subscriptions: [] };
    socket.error$.subscribe((error) => tab.errors.push(error));
    socket.close$.subscribe((close) => tab.closes.push([close.code, close.reason, close.wasClean]));
    socket.state$.subscribe((state) => tab.states.push(state.status));
    return tab;
  };
  const tabs = names.map(open);
  return { browser, server, feed, tabs: tabs as [Tab, Tab, Tab], open };
}

/** Holds `tab`'s socket, recording its messages. */
function listen(tab: Tab): void {
  tab.subscriptions.push(tab.socket.message$.subscribe((message) => tab.messages.push(message)));
}

/** The channel `name` of `tab`, resumable by the reference protocol, its data recorded in `into`. */
function channel(tab: Tab, name: string, into: number[]): Subscription {
  const subscription = multiplex(
    tab.socket,
    (cursor): ClientMsg => ({ type: 'subscribe', channel: name, ...(cursor !== undefined && { since: cursor }) }),
    (): ClientMsg => ({ type: 'unsubscribe', channel: name }),
    (msg): msg is Message => msg.type === 'message' && msg.channel === name,
    { cursorOf: (msg) => msg.cursor },
  ).subscribe((msg) => into.push(msg.data));
  tab.subscriptions.push(subscription);
  return subscription;
}

/** Another socket object of `tab`, shared under the same name. */
function anotherSocket(tab: Tab, server: WebSocketServerDouble<ServerMsg, ClientMsg>): Socket {
  return fromWebSocket<ServerMsg, ClientMsg>(FEED_URL, {
    ...json<ServerMsg, ClientMsg>(),
    WebSocketCtor: server.WebSocketCtor,
    reconnect: { backoff: constantBackoff({ delayMs: 10 }) },
    tabs: shareAcrossTabs({ name: 'feed', locks: tab.fake.locks, BroadcastChannel: tab.fake.BroadcastChannel }),
  });
}

/** The tab went: no goodbye, its locks released by the browser, its connection to the server cut if it had one. */
function crash(tab: Tab, server: WebSocketServerDouble<ServerMsg, ClientMsg>): void {
  tab.fake.crash();
  // Its code stops: nothing of it runs again (its socket object is let go of without a close going anywhere).
  for (const subscription of tab.subscriptions) subscription.unsubscribe();
  for (const connection of server.connections) if (connection.readyState === 1) connection.drop();
}

describe('shareAcrossTabs', () => {
  describe('three tabs of one origin', () => {
    it('open one connection to the server, held by the leader tab, and every tab is open', () => {
      newScheduler().run(({ flush }) => {
        const { browser, server, tabs } = setup();
        tabs.forEach(listen);
        flush();
        expect(server.connections).toHaveLength(1);
        expect(browser.holders()['rx-websocket:feed']).toBe('a');
        for (const tab of tabs) {
          expect(tab.states).toEqual(['idle', 'connecting', 'open']);
          expect(tab.socket.readyState).toBe(1);
        }
      });
    });

    it('hand every message to every tab, in the order the server sent them', () => {
      newScheduler().run(({ flush }) => {
        const { server, tabs } = setup();
        tabs.forEach(listen);
        at(server, 20, () => [1, 2, 3].forEach((n) => server.latest.messageJson({ type: 'reply', id: n, data: n })));
        flush();
        for (const tab of tabs)
          expect(tab.messages.map((m) => (m.type === 'reply' ? m.id : m.type))).toEqual([1, 2, 3]);
      });
    });

    it("send each tab's messages in that tab's order, those sent before the open included, each once", () => {
      newScheduler().run(({ flush }) => {
        const { server, tabs } = setup();
        tabs.forEach(listen);
        // Before any connection: queued in each tab, then sent once.
        tabs.forEach((tab) => tab.socket.send({ type: 'request', id: `${tab.fake.name}0`, data: 0 }));
        at(server, 20, () => {
          for (const n of [1, 2, 3])
            for (const tab of tabs) tab.socket.send({ type: 'request', id: `${tab.fake.name}${n}`, data: n });
        });
        flush();
        const ids = server
          .connection(0)
          .sentJson()
          .map((frame) => (frame.type === 'request' ? String(frame.id) : ''));
        expect(ids).toHaveLength(12);
        for (const name of ['a', 'b', 'c']) {
          expect(ids.filter((id) => id.startsWith(name))).toEqual([0, 1, 2, 3].map((n) => `${name}${n}`));
        }
      });
    });

    it('hand binary messages to each tab as its binaryType says', () => {
      newScheduler().run(({ flush }) => {
        const { server, tabs } = setup(['a', 'b']);
        const [a, b] = tabs;
        const got: unknown[][] = [[], []];
        b.socket.binaryType = 'blob';
        a.socket.messageEvent$.subscribe((event) => got[0]?.push(event.data));
        b.socket.messageEvent$.subscribe((event) => got[1]?.push(event.data));
        at(server, 20, () => server.latest.message(new Uint8Array([1, 2, 3]).buffer));
        flush();
        expect(got[0]?.[0]).toBeInstanceOf(ArrayBuffer);
        expect(got[1]?.[0]).toBeInstanceOf(Blob);
        expect((got[1]?.[0] as Blob).size).toBe(3);
      });
    });

    it('let a tab that opens later join the connection there is; within catchUpMs of its opening it is handed what the connection brought first', () => {
      newScheduler().run(({ flush }) => {
        const { server, tabs, open } = setup(['a'], { catchUpMs: 100 });
        listen(tabs[0]);
        const reply = (id: number) => server.latest.messageJson({ type: 'reply', id, data: id });
        const ids = (tab: Tab) => tab.messages.map((m) => (m.type === 'reply' ? m.id : m.type));
        at(server, 10, () => reply(1));
        let early: Tab | undefined;
        let late: Tab | undefined;
        at(server, 50, () => listen((early = open('early'))));
        at(server, 90, () => reply(2));
        at(server, 150, () => listen((late = open('late'))));
        at(server, 190, () => reply(3));
        flush();
        expect(server.connections).toHaveLength(1);
        expect(ids(tabs[0])).toEqual([1, 2, 3]);
        expect(early && ids(early)).toEqual([1, 2, 3]);
        expect(late && ids(late)).toEqual([3]);
      });
    });

    it.each([
      [2, [1, 2, 3]],
      [3, []],
    ])(
      'hand a tab that joins late up to catchUpMessages of what the connection brought (%p before it joins), and none past that',
      (before, expected) => {
        newScheduler().run(({ flush }) => {
          const { server, tabs, open } = setup(['a'], { catchUpMs: 1_000, catchUpMessages: 2 });
          listen(tabs[0]);
          const reply = (id: number) => server.latest.messageJson({ type: 'reply', id, data: id });
          for (let id = 1; id <= before; id++) at(server, 10 * id, () => reply(id));
          let early: Tab | undefined;
          at(server, 50, () => listen((early = open('early'))));
          if (before < 3) at(server, 90, () => reply(3));
          flush();
          expect(early?.messages.map((m) => (m.type === 'reply' ? m.id : m.type))).toEqual(expected);
        });
      },
    );

    it('let a tab that opens while messages stream ask once it holds its own lock, and open at once', () => {
      newScheduler().run(({ flush }) => {
        // Locks granted slower than messages travel: messages reach the new tab before its own lock.
        const { server, tabs, open } = setup(['a'], { catchUpMs: 0, lockLatencyMs: 5 });
        listen(tabs[0]);
        for (let frame = 20; frame <= 70; frame++) {
          at(server, frame, () => server.latest.messageJson({ type: 'reply', id: frame, data: frame }));
        }
        let b: Tab | undefined;
        at(server, 30, () => listen((b = open('b'))));
        flush();
        expect(b?.states).toEqual(['idle', 'connecting', 'open']);
        expect(b?.errors).toEqual([]);
        expect(b?.messages.length).toBeGreaterThan(25);
      });
    });

    it('report what a tab cannot send in that tab only', () => {
      newScheduler().run(({ flush }) => {
        const { server, tabs } = setup();
        tabs.forEach(listen);
        const [a, b, c] = tabs;
        at(server, 20, () => b.socket.send({ type: 'request', id: 1, data: 10n } as unknown as ClientMsg));
        flush();
        expect(b.errors).toEqual([expect.any(EncodeError)]);
        expect(a.errors).toEqual([]);
        expect(c.errors).toEqual([]);
        expect(server.connection(0).sent).toEqual([]);
      });
    });

    it('subscribe a channel two tabs want once, and unsubscribe it once, when the last tab lets go', () => {
      newScheduler().run(({ flush }) => {
        const { server, feed, tabs } = setup();
        const [a, b, c] = tabs;
        listen(c);
        const inA: number[] = [];
        const inB: number[] = [];
        let inAChannel: Subscription | undefined;
        let inBChannel: Subscription | undefined;
        at(server, 10, () => (inAChannel = channel(a, 'BTC', inA)));
        at(server, 20, () => (inBChannel = channel(b, 'BTC', inB)));
        at(server, 30, () => feed.publish('BTC', 1));
        at(server, 40, () => inAChannel?.unsubscribe());
        at(server, 50, () => feed.publish('BTC', 2));
        at(server, 60, () => inBChannel?.unsubscribe());
        flush();
        expect(server.connections).toHaveLength(1);
        expect(server.connection(0).sentJson()).toEqual([
          { type: 'subscribe', channel: 'BTC' },
          { type: 'unsubscribe', channel: 'BTC' },
        ]);
        expect(server.connection(0).sent.map((frame) => frame.time)).toEqual([expect.any(Number), 61]);
        expect(inA).toEqual([1]);
        expect(inB).toEqual([1, 2]);
      });
    });

    it("subscribe a plain channel once, even for a tab whose socket opened after messages came; a tab's own sends after its channel's subscribe still go", () => {
      newScheduler().run(({ flush }) => {
        // No catch-up: the later tab's socket opens after the first two messages, and is handed none of them.
        const { server, feed, tabs, open } = setup(['a'], { catchUpMs: 0 });
        const [a] = tabs;
        /** A channel without cursors: nothing to resume, so nothing a later tab could have missed. */
        const plain = (tab: Tab, into: number[]): Subscription =>
          multiplex(
            tab.socket,
            (): ClientMsg => ({ type: 'subscribe', channel: 'BTC' }),
            (): ClientMsg => ({ type: 'unsubscribe', channel: 'BTC' }),
            (msg): msg is Message => msg.type === 'message' && msg.channel === 'BTC',
          ).subscribe((msg) => into.push(msg.data));
        const inA: number[] = [];
        const inLate: number[] = [];
        at(server, 5, () => plain(a, inA));
        at(server, 10, () => feed.publish('BTC', 1));
        at(server, 20, () => feed.publish('BTC', 2));
        at(server, 30, () => plain(open('late'), inLate));
        at(server, 40, () => a.socket.send({ type: 'request', id: 7, data: 1 }));
        at(server, 50, () => feed.publish('BTC', 3));
        flush();
        expect(server.connections).toHaveLength(1);
        expect(server.connection(0).sentJson()).toEqual([
          { type: 'subscribe', channel: 'BTC' },
          { type: 'request', id: 7, data: 1 },
        ]);
        expect(inA).toEqual([1, 2, 3]);
        expect(inLate).toEqual([3]);
      });
    });

    it('unsubscribe a channel when the last tab holding it lets go, a tab whose socket closed meanwhile no longer counted', () => {
      newScheduler().run(({ flush }) => {
        const { server, tabs } = setup();
        const [a, b, c] = tabs;
        listen(c);
        let inAChannel: Subscription | undefined;
        at(server, 10, () => (inAChannel = channel(a, 'BTC', [])));
        at(server, 20, () => channel(b, 'BTC', []));
        at(server, 30, () => b.socket.close());
        at(server, 40, () => inAChannel?.unsubscribe());
        flush();
        expect(server.connection(0).sentJson()).toEqual([
          { type: 'subscribe', channel: 'BTC' },
          { type: 'unsubscribe', channel: 'BTC' },
        ]);
        expect(server.connection(0).sent.map((frame) => frame.time)).toEqual([expect.any(Number), 41]);
      });
    });

    it('keep counting a channel two tabs hold when a third tab, without it, closes its socket', () => {
      newScheduler().run(({ flush }) => {
        const { server, tabs } = setup();
        const [a, b, c] = tabs;
        listen(c);
        let inAChannel: Subscription | undefined;
        let inBChannel: Subscription | undefined;
        at(server, 10, () => (inAChannel = channel(a, 'BTC', [])));
        at(server, 20, () => (inBChannel = channel(b, 'BTC', [])));
        at(server, 30, () => c.socket.close());
        at(server, 40, () => inAChannel?.unsubscribe());
        at(server, 50, () => inBChannel?.unsubscribe());
        flush();
        expect(server.connection(0).sentJson()).toEqual([
          { type: 'subscribe', channel: 'BTC' },
          { type: 'unsubscribe', channel: 'BTC' },
        ]);
        expect(server.connection(0).sent.map((frame) => frame.time)).toEqual([expect.any(Number), 51]);
      });
    });

    it("keep the other tabs' sockets when a tab that follows goes: their sends still go, the connection stays", () => {
      newScheduler().run(({ flush }) => {
        const { server, tabs } = setup();
        const [a, b, c] = tabs;
        tabs.forEach(listen);
        at(server, 20, () => {
          // The follower 'c' goes without a goodbye: its lock released, its code stopped.
          c.fake.crash();
          for (const subscription of c.subscriptions) subscription.unsubscribe();
        });
        at(server, 40, () => {
          a.socket.send({ type: 'request', id: 'a1', data: 1 });
          b.socket.send({ type: 'request', id: 'b1', data: 1 });
        });
        flush();
        expect(server.connections).toHaveLength(1);
        expect(server.connection(0).clientClose).toBeUndefined();
        expect(
          server
            .connection(0)
            .sentJson()
            .map((frame) => (frame.type === 'request' ? frame.id : frame.type)),
        ).toEqual(['a1', 'b1']);
      });
    });

    it("hand the connection's error event to every tab's socket", () => {
      newScheduler().run(({ flush }) => {
        const { server, tabs } = setup();
        tabs.forEach(listen);
        at(server, 20, () => server.latest.error());
        flush();
        for (const tab of tabs) expect(tab.errors.map((error) => error.code)).toEqual(['ERR_TRANSPORT']);
      });
    });

    it("close the connection with the last tab's close code and reason, and close only their own socket before", () => {
      newScheduler().run(({ flush }) => {
        const { server, tabs } = setup();
        tabs.forEach(listen);
        at(server, 20, () => tabs[1].socket.close(4001, 'b done'));
        at(server, 30, () => tabs[0].socket.close(4002, 'a done'));
        at(server, 40, () => tabs[2].socket.close(4003, 'c done'));
        flush();
        expect(server.connections).toHaveLength(1);
        expect(server.connection(0).clientClose).toEqual({ code: 4003, reason: 'c done', time: 41 });
        expect(tabs.map((tab) => tab.states.at(-1))).toEqual(['closed', 'closed', 'closed']);
        // Each tab's socket saw its own close, clean, as a browser reports a close the client asked for.
        expect(tabs.map((tab) => tab.closes)).toEqual([
          [[4002, 'a done', true]],
          [[4001, 'b done', true]],
          [[4003, 'c done', true]],
        ]);
      });
    });

    it("hand the server's close to every tab, with its code and reason", () => {
      newScheduler().run(({ flush }) => {
        const { server, tabs } = setup();
        const ended: unknown[] = [];
        for (const tab of tabs) tab.socket.message$.subscribe({ error: (error: unknown) => ended.push(error) });
        // An application code: the default policy does not retry it.
        at(server, 20, () => server.latest.close(4001, 'bye'));
        flush();
        expect(server.connections).toHaveLength(1);
        for (const tab of tabs) {
          expect(tab.closes).toEqual([[4001, 'bye', true]]);
          expect(tab.states.at(-1)).toBe('closed');
        }
        expect(ended).toHaveLength(tabs.length);
        for (const error of ended) expect(error).toMatchObject({ code: 'ERR_WEBSOCKET_CLOSED', closeCode: 4001 });
      });
    });

    it("send on the next connection, in order and once, what tabs sent while the server's close was under way", () => {
      newScheduler().run(({ flush }) => {
        const { server, tabs } = setup();
        const [a, b] = tabs;
        tabs.forEach(listen);
        const ids = (index: number) =>
          server
            .connection(index)
            .sentJson()
            .map((frame) => (frame.type === 'request' ? String(frame.id) : frame.type));
        let leaderReadyState = -1;
        at(server, 20, () => {
          // The leader's socket has read the server's close frame; its close event comes later. A browser's socket
          // says CLOSING then, and a socket of one tab would keep what is sent for the next connection.
          server.latest.close(1012, 'restart');
          server.scheduler.schedule(() => {
            a.socket.send({ type: 'request', id: 'a1', data: 1 });
            // The leader's tab knows from its first send: its socket says CLOSING, and keeps the next in its queue.
            leaderReadyState = a.socket.readyState;
            a.socket.send({ type: 'request', id: 'a2', data: 2 });
            // The others' sends reach the leader after the connection has closed: handed back too.
            b.socket.send({ type: 'request', id: 'b1', data: 1 });
            b.socket.send({ type: 'request', id: 'b2', data: 2 });
          });
        });
        at(server, 21, () => b.socket.send({ type: 'request', id: 'b3', data: 3 }));
        flush();
        expect(leaderReadyState).toBe(2);
        expect(server.connections).toHaveLength(2);
        expect(ids(0)).toEqual([]);
        expect(ids(1).filter((id) => id.startsWith('a'))).toEqual(['a1', 'a2']);
        expect(ids(1).filter((id) => id.startsWith('b'))).toEqual(['b1', 'b2', 'b3']);
        for (const tab of tabs) {
          expect(tab.errors).toEqual([]);
          expect(tab.closes).toEqual([[1012, 'restart', true]]);
        }
      });
    });

    it("send once on the next connection a request made while the server's close was under way (resend: 'on-reconnect')", () => {
      newScheduler().run(({ flush }) => {
        const { server, tabs } = setup();
        const [a, b] = tabs;
        tabs.forEach(listen);
        const sent = (index: number) =>
          server
            .connection(index)
            .sentJson()
            .map((frame) => (frame.type === 'request' ? `${String(frame.id)}:${String(frame.data)}` : frame.type));
        const settled: unknown[] = [];
        const ask = (tab: Tab, id: string, data: number) =>
          request(tab.socket, (made): ClientMsg => ({ type: 'request', id: made, data }), {
            isReply: (msg, made) => msg.type === 'reply' && msg.id === made,
            id: () => id,
            resend: 'on-reconnect',
            timeoutMs: Infinity,
          }).subscribe({ error: (error: unknown) => settled.push(error), complete: () => settled.push(id) });
        at(server, 20, () => {
          server.latest.close(1012, 'restart');
          server.scheduler.schedule(() => {
            // The leader's own tab, then another: both requests are handed back by the leader, with no data to carry,
            // and go again when their tabs' sockets open.
            ask(a, 'a1', 1);
            ask(b, 'b1', 2);
            // A plain send in the same instant is carried to the next connection, as before.
            b.socket.send({ type: 'request', id: 'b2', data: 3 });
          });
        });
        flush();
        expect(server.connections).toHaveLength(2);
        expect(sent(0)).toEqual([]);
        expect(sent(1).filter((frame) => frame.startsWith('a'))).toEqual(['a1:1']);
        expect(sent(1).filter((frame) => frame.startsWith('b'))).toEqual(['b2:3', 'b1:2']);
        expect(settled).toEqual([]);
        for (const tab of tabs) expect(tab.errors).toEqual([]);
      });
    });

    it("send what the leader's own tab handed back as it was sent, though its buffer is reused after send()", () => {
      newScheduler().run(({ flush }) => {
        const { server, tabs } = setup();
        const [a] = tabs;
        listen(a);
        const raw = fromWebSocket<unknown, Uint8Array>(FEED_URL, {
          WebSocketCtor: server.WebSocketCtor,
          reconnect: { backoff: constantBackoff({ delayMs: 10 }) },
          tabs: shareAcrossTabs({ name: 'feed', locks: a.fake.locks, BroadcastChannel: a.fake.BroadcastChannel }),
        });
        raw.message$.subscribe();
        at(server, 20, () => {
          server.latest.close(1012, 'restart');
          server.scheduler.schedule(() => {
            const buffer = new Uint8Array([1, 2, 3]);
            raw.send(buffer);
            // The application reuses its buffer once send() has returned, as it may.
            buffer.fill(9);
          });
        });
        flush();
        const binary = server
          .connection(1)
          .sent.map((frame) => frame.data)
          .filter((data) => typeof data !== 'string');
        expect(binary.map((data) => [...(data as Uint8Array)])).toEqual([[1, 2, 3]]);
      });
    });

    it("resubscribe once a channel a tab started while the server's close was under way", () => {
      newScheduler().run(({ flush }) => {
        const { server, tabs } = setup();
        const [a, b] = tabs;
        listen(a);
        listen(b);
        const inB: number[] = [];
        at(server, 20, () => {
          server.latest.close(1012, 'restart');
          // b still hears the connection as open: its subscribe goes to the leader, which cannot send it.
          server.scheduler.schedule(() => channel(b, 'BTC', inB));
        });
        flush();
        expect(server.connections).toHaveLength(2);
        expect(server.connection(0).sentJson()).toEqual([]);
        expect(server.connection(1).sentJson()).toEqual([{ type: 'subscribe', channel: 'BTC' }]);
        expect(b.errors).toEqual([]);
      });
    });

    it("close a tab's socket whose leader went while its connection was closing, and send what it handed back on the next", () => {
      newScheduler().run(({ flush }) => {
        const { server, tabs } = setup();
        const [a, b] = tabs;
        tabs.forEach(listen);
        at(server, 20, () => {
          const connection = server.latest;
          // The leader's socket reads the server's close frame, and its close event never comes.
          const real = connection.socket as unknown as { onclose: unknown };
          Object.defineProperty(real, 'onclose', { get: () => null, set: () => undefined });
          connection.close(1012, 'restart');
          server.scheduler.schedule(() => b.socket.send({ type: 'request', id: 'b1', data: 1 }));
        });
        // b has heard that the connection is closing (its socket says CLOSING); then the leader tab goes.
        at(server, 25, () => crash(a, server));
        flush();
        expect(b.closes).toEqual([[1006, '', false]]);
        expect(b.states.at(-1)).toBe('open');
        expect(server.connections).toHaveLength(2);
        expect(server.connection(1).sentJson()).toEqual([{ type: 'request', id: 'b1', data: 1 }]);
      });
    });

    it("do not open a tab's socket onto a connection whose server's close frame was read after it asked: it closes with it, and opens on the next", () => {
      newScheduler().run(({ flush }) => {
        const { server, tabs } = setup();
        const [a, , c] = tabs;
        listen(a);
        listen(c);
        const late = anotherSocket(c, server);
        const states: string[] = [];
        const closes: [number, string, boolean][] = [];
        late.state$.subscribe((state) => states.push(state.status));
        late.close$.subscribe((close) => closes.push([close.code, close.reason, close.wasClean]));
        let release = (): void => undefined;
        const closeTheConnection = (): void => {
          const connection = server.latest;
          // Its close event is held until 25.
          const real = connection.socket as unknown as { onclose: ((event: unknown) => void) | null };
          const onclose = real.onclose;
          Object.defineProperty(real, 'onclose', { get: () => null, set: () => undefined });
          release = () => onclose?.({ type: 'close', code: 1012, reason: 'restart', wasClean: true });
          connection.close(1012, 'restart');
        };
        at(server, 20, () => {
          late.message$.subscribe();
          late.send({ type: 'request', id: 'c1', data: 1 });
          // Its ask is posted in a task of this instant and reaches the leader at 21; the server's close frame is
          // read there right after, before the leader tells it that it is open.
          server.scheduler.schedule(() => server.scheduler.schedule(closeTheConnection, 1));
        });
        at(server, 25, () => release());
        flush();
        expect(states.slice(0, 4)).toEqual(['idle', 'connecting', 'reconnecting', 'connecting']);
        expect(closes).toEqual([[1012, 'restart', true]]);
        expect(server.connection(0).sentJson()).toEqual([]);
        expect(server.connection(1).sentJson()).toEqual([{ type: 'request', id: 'c1', data: 1 }]);
      });
    });

    it('let a tab forget its sockets closed under their sends once the leader has answered what they sent, though they never open again', () => {
      newScheduler().run(({ flush }) => {
        const { browser, server, tabs } = setup();
        const [, b] = tabs;
        tabs.forEach(listen);
        const held = Array.from({ length: 5 }, () => anotherSocket(b, server).message$.subscribe());
        // One the application closes itself first: its close is told once, as any.
        at(server, 15, () => held[0]?.unsubscribe());
        at(server, 20, () => server.latest.close(1012, 'restart'));
        // The application lets the others go while they wait to reconnect.
        at(server, 25, () => held.forEach((subscription) => subscription.unsubscribe()));
        flush();
        const hub = hubFor(
          b.fake.locks,
          b.fake.BroadcastChannel,
          'feed',
          server.WebSocketCtor,
          { ms: 0, messages: 0 },
          undefined,
        );
        expect((hub as unknown as { ended: Map<number, unknown> }).ended.size).toBe(0);
        // What it took: b told the leader of each of its five sockets closed under it (and once of the one it closed
        // itself), and the leader answered each.
        const told = browser.posted.filter(
          ({ tab, message }) => tab === 'b' && (message as { k: string }).k === 'close',
        );
        expect(told).toHaveLength(6);
        expect(server.connection(0).clientClose).toBeUndefined();
      });
    });

    it("close with the server's close only the sockets the connection had: a tab asking to join as it closes opens a new one", () => {
      newScheduler().run(({ flush }) => {
        const { server, tabs } = setup();
        const [a, b, c] = tabs;
        for (const tab of [a, b]) tab.socket.message$.subscribe({ error: () => undefined });
        at(server, 20, () => {
          server.latest.close(4001, 'bye');
          // c asks the leader to open while the leader hears of the close: its ask comes after the connection ended.
          listen(c);
        });
        flush();
        expect(a.closes).toEqual([[4001, 'bye', true]]);
        expect(b.closes).toEqual([[4001, 'bye', true]]);
        expect(c.closes).toEqual([]);
        expect(c.states).toEqual(['idle', 'connecting', 'open']);
        expect(server.connections).toHaveLength(2);
      });
    });

    it('keep the connection while any tab holds it, and close it with 1000 once the last lets go', () => {
      newScheduler().run(({ flush }) => {
        const { server, tabs } = setup();
        tabs.forEach(listen);
        at(server, 20, () => tabs[0].subscriptions.forEach((s) => s.unsubscribe())); // the leader's own
        at(server, 30, () => tabs[1].subscriptions.forEach((s) => s.unsubscribe()));
        at(server, 40, () => tabs[2].subscriptions.forEach((s) => s.unsubscribe()));
        flush();
        expect(server.connections).toHaveLength(1);
        expect(server.connection(0).clientClose).toEqual({ code: 1000, reason: '', time: 41 });
        for (const tab of tabs) expect(tab.states.at(-1)).toBe('closed');
        for (const tab of tabs) expect(tab.closes).toEqual([[1000, '', true]]);
      });
    });
  });

  describe('the real socket the leader opens', () => {
    /** One tab leading a shared socket made with `protocols`, on a double that opens every connection at once. */
    const leadWith = (protocols: string | string[], WebSocketCtor?: WebSocketConstructor) => {
      const browser = createFakeBrowser({ lockLatencyMs: 0 });
      const server = createWebSocketDouble<ServerMsg, ClientMsg>({ autoOpen: true });
      const fake = browser.tab('a');
      const socket = fromWebSocket<ServerMsg, ClientMsg>(FEED_URL, protocols, {
        ...json<ServerMsg, ClientMsg>(),
        WebSocketCtor: WebSocketCtor ?? server.WebSocketCtor,
        reconnect: { backoff: constantBackoff({ delayMs: 10, jitter: 'none' }) },
        tabs: shareAcrossTabs({
          name: 'feed',
          locks: fake.locks,
          BroadcastChannel: fake.BroadcastChannel,
          events: createFakePage(),
        }),
      });
      return { server, socket };
    };

    it.each<[string, string | string[], string[]]>([
      ['one sub-protocol', 'feed.v2', ['feed.v2']],
      ['a list of them', ['feed.v2', 'feed.v1'], ['feed.v2', 'feed.v1']],
    ])("offers the socket's sub-protocols, given as %s", (_name, protocols, offered) => {
      newScheduler().run(({ flush }) => {
        const { server, socket } = leadWith(protocols);
        socket.message$.subscribe();
        flush();
        expect(server.connection(0).protocols).toEqual(offered);
      });
    });

    it('fails the attempt as a socket that could not connect when its constructor throws, and retries', () => {
      newScheduler().run(({ flush }) => {
        const server = createWebSocketDouble<ServerMsg, ClientMsg>({ autoOpen: true });
        let calls = 0;
        const Flaky = function (this: unknown, url: string, protocols?: string | string[]) {
          if (++calls === 1) throw new SyntaxError('not now');
          return new (server.WebSocketCtor as unknown as new (u: string, p?: string | string[]) => object)(
            url,
            protocols,
          );
        } as unknown as WebSocketConstructor;
        const { socket } = leadWith('feed.v2', Flaky);
        const closes: [number, string, boolean][] = [];
        socket.close$.subscribe((close) => closes.push([close.code, close.reason, close.wasClean]));
        const states: string[] = [];
        socket.state$.subscribe((state) => states.push(state.status));
        socket.message$.subscribe();
        flush();
        expect(calls).toBe(2);
        expect(closes).toEqual([[1006, '', false]]);
        expect(states.at(-1)).toBe('open');
        expect(server.connections).toHaveLength(1);
      });
    });
  });

  describe('when the leader tab goes', () => {
    /** The leader 'a' crashes at 42 while BTC is published every 5 ms; 'c' sends while there is no leader. */
    function handover(options: { handshakeDelayMs?: number; catchUpMs?: number }) {
      const { browser, server, feed, tabs } = setup(['a', 'b', 'c'], options);
      const [a, b, c] = tabs;
      const got = { a: [] as number[], b: [] as number[], c: [] as number[] };
      channel(a, 'BTC', got.a);
      channel(b, 'BTC', got.b);
      channel(c, 'BTC', got.c);
      let published = 0;
      for (let frame = 10; frame <= 100; frame += 5) at(server, frame, () => feed.publish('BTC', ++published));
      at(server, 42, () => crash(a, server));
      // Sent by a follower while there is no leader: queued there, sent once through the next.
      at(server, 44, () => c.socket.send({ type: 'request', id: 'during', data: 0 }));
      return { browser, server, got, published: () => published };
    }

    it('another tab takes the lock, opens one connection, resubscribes each channel once from its cursor, and no tab misses or repeats a message', () => {
      newScheduler().run(({ flush }) => {
        // A handshake long enough for every tab to ask for the new connection before it opens.
        const { browser, server, got, published } = handover({ handshakeDelayMs: 5 });
        flush();
        expect(browser.holders()['rx-websocket:feed']).toBe('b');
        expect(server.connections).toHaveLength(2);
        const second = server.connection(1).sentJson();
        expect(second.filter((frame) => frame.type === 'subscribe')).toEqual([
          { type: 'subscribe', channel: 'BTC', since: '7' },
        ]);
        expect(second.filter((frame) => frame.type === 'request')).toEqual([
          { type: 'request', id: 'during', data: 0 },
        ]);
        const all = Array.from({ length: published() }, (_, i) => i + 1);
        expect(got.b).toEqual(all);
        expect(got.c).toEqual(all);
        expect(got.a).toEqual(all.slice(0, 7));
      });
    });

    it('hands a tab that joins the new connection after its replay began what it brought first, in order, so that its channels miss nothing and resubscribe once', () => {
      newScheduler().run(({ flush }) => {
        // No handshake time: the new leader's own channel resubscribes before the other tab has joined.
        const { server, got, published } = handover({ handshakeDelayMs: 0 });
        flush();
        expect(server.connections).toHaveLength(2);
        expect(
          server
            .connection(1)
            .sentJson()
            .filter((frame) => frame.type === 'subscribe'),
        ).toEqual([{ type: 'subscribe', channel: 'BTC', since: '7' }]);
        const all = Array.from({ length: published() }, (_, i) => i + 1);
        expect(got.b).toEqual(all);
        expect(got.c).toEqual(all);
      });
    });

    it('with catchUpMs: 0, resubscribes again for a tab that joined after the replay began: no gap and no repeat in any tab', () => {
      newScheduler().run(({ flush }) => {
        const { server, got, published } = handover({ handshakeDelayMs: 0, catchUpMs: 0 });
        flush();
        expect(
          server
            .connection(1)
            .sentJson()
            .filter((frame) => frame.type === 'subscribe'),
        ).toEqual([
          { type: 'subscribe', channel: 'BTC', since: '7' },
          { type: 'subscribe', channel: 'BTC', since: '7' },
        ]);
        const all = Array.from({ length: published() }, (_, i) => i + 1);
        expect(got.b).toEqual(all);
        // The replay that its own resubscription asked for comes after live messages it had already delivered.
        expect([...got.c].sort((x, y) => x - y)).toEqual(all);
      });
    });

    it('a follower that goes lets go of its channels and of the connection', () => {
      newScheduler().run(({ flush }) => {
        const { server, tabs } = setup(['a', 'b']);
        const [a, b] = tabs;
        listen(a);
        const inB: number[] = [];
        channel(b, 'BTC', inB);
        at(server, 20, () => b.fake.crash()); // b's code does not run again: it says nothing
        at(server, 30, () => a.subscriptions.forEach((s) => s.unsubscribe()));
        flush();
        expect(server.connections).toHaveLength(1);
        expect(server.connection(0).clientClose?.code).toBe(1000);
      });
    });
  });

  describe('when the leader tab is frozen or cached', () => {
    /** Each tab has BTC; BTC is published every 5 ms from 10 to 150; the leader 'a' is frozen at 42. */
    function frozen(handshakeDelayMs = 5) {
      const { browser, server, feed, tabs } = setup(['a', 'b', 'c'], { handshakeDelayMs });
      const [a, b, c] = tabs;
      const got = { a: [] as number[], b: [] as number[], c: [] as number[] };
      channel(a, 'BTC', got.a);
      channel(b, 'BTC', got.b);
      channel(c, 'BTC', got.c);
      let published = 0;
      for (let frame = 10; frame <= 150; frame += 5) at(server, frame, () => feed.publish('BTC', ++published));
      at(server, 42, () => {
        a.page.dispatch('freeze');
        browser.settle();
      });
      return { browser, server, tabs: [a, b, c] as const, got, published: () => published };
    }

    it('it closes its socket and lets go of the lock at once: another tab leads, one new connection, each channel resubscribed once from its cursor, no gap or repeat in any tab', () => {
      newScheduler().run(({ flush }) => {
        const { browser, server, tabs, got, published } = frozen();
        let leaderAt45: string | undefined;
        at(server, 45, () => (leaderAt45 = browser.holders()['rx-websocket:feed']));
        flush();
        expect(leaderAt45).toBe('b');
        // The tabs that follow see a drop, to reconnect through the next leader.
        for (const tab of tabs.slice(1)) expect(tab.closes[0]).toEqual([1006, '', false]);
        expect(server.connections).toHaveLength(2);
        expect(server.connection(0).clientClose).toEqual({ code: 1000, reason: 'leader tab frozen', time: 42 });
        expect(
          server
            .connection(1)
            .sentJson()
            .filter((frame) => frame.type === 'subscribe'),
        ).toEqual([{ type: 'subscribe', channel: 'BTC', since: '7' }]);
        const all = Array.from({ length: published() }, (_, i) => i + 1);
        expect(got.b).toEqual(all);
        expect(got.c).toEqual(all);
      });
    });

    it('the tab that leads next ignores what the last leader said, even when it comes after the new connection opened', () => {
      newScheduler().run(({ flush }) => {
        // Messages between tabs slower than a reconnection: the frozen leader's last words reach b once b leads.
        const { browser, server, feed, tabs } = setup(['a', 'b'], { latencyMs: 30 });
        const [a, b] = tabs;
        const got: number[] = [];
        channel(a, 'BTC', []);
        channel(b, 'BTC', got);
        let published = 0;
        for (let frame = 40; frame <= 150; frame += 5) at(server, frame, () => feed.publish('BTC', ++published));
        at(server, 100, () => {
          a.page.dispatch('freeze');
          browser.settle();
        });
        flush();
        expect(browser.holders()['rx-websocket:feed']).toBe('b');
        // One drop when it took over; a's close of the old connection (heard at 130) is not a second.
        expect(b.closes).toEqual([[1006, '', false]]);
        expect(got).toEqual(Array.from({ length: published }, (_, i) => i + 1));
      });
    });

    it('resumed, it is a follower that gets every message again, queued for leadership behind the others', () => {
      newScheduler().run(({ flush }) => {
        const { browser, server, tabs, got, published } = frozen();
        const [a, b, c] = tabs;
        let leaderAt65: string | undefined;
        at(server, 60, () => a.page.dispatch('resume'));
        at(server, 65, () => (leaderAt65 = browser.holders()['rx-websocket:feed']));
        at(server, 82, () => crash(b, server));
        at(server, 112, () => crash(c, server));
        flush();
        expect(leaderAt65).toBe('b');
        // b, then c (queued before a rejoined), then a.
        expect(browser.holders()['rx-websocket:feed']).toBe('a');
        expect(server.connections).toHaveLength(4);
        expect(got.a).toEqual(Array.from({ length: published() }, (_, i) => i + 1));
        expect(a.page.listeners()).toBe(2);
      });
    });

    it('a leader whose page goes into the back/forward cache steps down the same, and rejoins when it is shown again; a pagehide that does not cache the page changes nothing', () => {
      newScheduler().run(({ flush }) => {
        const { browser, server, tabs } = setup(['a', 'b']);
        const [a, b] = tabs;
        tabs.forEach(listen);
        const leaders: (string | undefined)[] = [];
        const leader = () => leaders.push(browser.holders()['rx-websocket:feed']);
        at(server, 10, () => {
          a.page.dispatch('pagehide', { persisted: false });
          browser.settle();
        });
        at(server, 15, leader);
        at(server, 20, () => {
          a.page.dispatch('pagehide', { persisted: true });
          browser.settle();
        });
        at(server, 25, leader);
        at(server, 30, () => a.page.dispatch('pageshow', { persisted: true }));
        at(server, 50, () => crash(b, server));
        at(server, 75, leader);
        at(server, 80, () => server.latest.messageJson({ type: 'reply', id: 1, data: 1 }));
        flush();
        expect(leaders).toEqual(['a', 'b', 'a']);
        expect(server.connections).toHaveLength(3);
        expect(a.messages).toContainEqual({ type: 'reply', id: 1, data: 1 });
      });
    });

    it('only the leader listens for freeze and pagehide; a follower, and a tab that stepped down and came back, listen to nothing', () => {
      newScheduler().run(({ flush }) => {
        const { browser, server, tabs } = setup(['a', 'b']);
        const [a, b] = tabs;
        tabs.forEach(listen);
        const counts: number[][] = [];
        const count = () => counts.push([a.page.listeners(), b.page.listeners()]);
        at(server, 10, count);
        at(server, 20, () => {
          a.page.dispatch('freeze');
          browser.settle();
        });
        at(server, 25, count);
        at(server, 30, () => a.page.dispatch('resume'));
        at(server, 35, count);
        flush();
        // Leading: freeze and pagehide; stepped down: resume and pageshow.
        expect(counts).toEqual([
          [2, 0],
          [2, 2],
          [0, 2],
        ]);
      });
    });
  });

  describe('two connections shared under different names', () => {
    it('keep apart: each has its own leader, its own server connection and its own messages', () => {
      newScheduler().run(({ flush }) => {
        const browser = createFakeBrowser();
        const servers = {
          feed: createWebSocketDouble({ autoOpen: true }),
          chat: createWebSocketDouble({ autoOpen: true }),
        };
        const got: string[] = [];
        for (const tabName of ['a', 'b']) {
          const fake = browser.tab(tabName);
          for (const [name, server] of Object.entries(servers)) {
            const socket = fromWebSocket<unknown, unknown>(`wss://${name}.example/ws`, {
              WebSocketCtor: server.WebSocketCtor,
              tabs: shareAcrossTabs({ name, locks: fake.locks, BroadcastChannel: fake.BroadcastChannel }),
            });
            socket.message$.subscribe((message) => got.push(`${tabName} ${name} ${String(message)}`));
          }
        }
        at(servers.feed, 20, () => {
          servers.feed.latest.message('tick');
          servers.chat.latest.message('hello');
        });
        flush();
        expect(servers.feed.connections.map((connection) => connection.url)).toEqual(['wss://feed.example/ws']);
        expect(servers.chat.connections.map((connection) => connection.url)).toEqual(['wss://chat.example/ws']);
        expect(got.sort()).toEqual(['a chat hello', 'a feed tick', 'b chat hello', 'b feed tick']);
      });
    });
  });

  describe('where tabs cannot share', () => {
    it('in Node (no Web Locks), each socket object has its own connection, with the same API', () => {
      newScheduler().run(({ flush }) => {
        const server = createWebSocketDouble({ autoOpen: true });
        const sharing = shareAcrossTabs({ name: 'feed' });
        expect(sharing.wrap(server.WebSocketCtor as unknown as WebSocketConstructor)).toBe(server.WebSocketCtor);
        const sockets = [1, 2].map(() =>
          fromWebSocket(FEED_URL, { WebSocketCtor: server.WebSocketCtor, tabs: sharing }),
        );
        const got: unknown[] = [];
        sockets.forEach((socket) => socket.message$.subscribe((m) => got.push(m)));
        at(server, 5, () => server.connections.forEach((connection) => connection.message('hi')));
        flush();
        expect(server.connections).toHaveLength(2);
        expect(got).toEqual(['hi', 'hi']);
      });
    });

    it('without BroadcastChannel, or without Web Locks, the same', () => {
      const tab = createFakeBrowser().tab('a');
      const base = createWebSocketDouble().WebSocketCtor as unknown as WebSocketConstructor;
      expect(shareAcrossTabs({ name: 'feed', locks: tab.locks }).wrap(base)).toBe(base);
      expect(shareAcrossTabs({ name: 'feed', BroadcastChannel: tab.BroadcastChannel }).wrap(base)).toBe(base);
      expect(
        shareAcrossTabs({ name: 'feed', locks: tab.locks, BroadcastChannel: tab.BroadcastChannel }).wrap(base),
      ).not.toBe(base);
    });
  });

  it.each<[string, unknown, string]>([
    ['no options', undefined, 'Invalid option tabs.name: undefined (a non-empty string)'],
    ['an empty name', { name: '' }, 'Invalid option tabs.name: "" (a non-empty string)'],
    [
      'a catchUpMs below 0',
      { name: 'feed', catchUpMs: -1 },
      'Invalid option tabs.catchUpMs: -1 (from 0 to 2147483647)',
    ],
    ['a catchUpMs not a number', { name: 'feed', catchUpMs: NaN }, 'Invalid option tabs.catchUpMs: NaN (from 0 to'],
    [
      'a catchUpMs over the timer limit',
      { name: 'feed', catchUpMs: 2 ** 31 },
      'Invalid option tabs.catchUpMs: 2147483648 (from 0 to',
    ],
    [
      'a fractional catchUpMessages',
      { name: 'feed', catchUpMessages: 1.5 },
      'Invalid option tabs.catchUpMessages: 1.5 (an integer ≥ 0)',
    ],
    ['a negative catchUpMessages', { name: 'feed', catchUpMessages: -1 }, 'Invalid option tabs.catchUpMessages: -1'],
  ])('says what is wrong with %s', (_name, options, message) => {
    const call = () => shareAcrossTabs(options as ShareAcrossTabsOptions);
    expect(call).toThrow(InvalidOptionError);
    expect(call).toThrow(message);
  });

  it('takes a catchUpMs of 0 and of the timer limit, and a catchUpMessages of 0', () => {
    expect(() => shareAcrossTabs({ name: 'feed', catchUpMs: 0, catchUpMessages: 0 })).not.toThrow();
    expect(() => shareAcrossTabs({ name: 'feed', catchUpMs: 2 ** 31 - 1 })).not.toThrow();
  });

  it('takes a non-empty name, and fromWebSocket takes only a sharing it made', () => {
    expect(() => shareAcrossTabs({ name: '' })).toThrow(InvalidOptionError);
    expect(() => shareAcrossTabs({} as never)).toThrow(/tabs\.name/);
    expect(() => fromWebSocket(FEED_URL, { tabs: { name: 'x' } as never })).toThrow(/tabs/);
  });
});
