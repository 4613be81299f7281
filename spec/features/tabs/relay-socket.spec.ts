import type { WebSocketPayload } from '../../../lib/core/events';
import { CHANNEL_FRAME, type ChannelFrame } from '../../../lib/core/internals';
import type { Hub } from '../../../lib/features/tabs/hub';
import { RelaySocket } from '../../../lib/features/tabs/relay-socket';
import type { ToLeader } from '../../../lib/features/tabs/wire';
import { newScheduler } from '../../helpers/virtual-time';

/**
 * A tab's socket over the leader's connection, on its own: what it asks of its hub, and the events it gives the
 * session, state by state, as a browser's `WebSocket` would.
 */

interface FakeHub {
  readonly id: string;
  readonly asked: ToLeader[];
  readonly removed: RelaySocket[];
  /** For each socket removed: whether it closed under sends that may still be handed back. */
  readonly removedUnderSends: boolean[];
  add(relay: RelaySocket): number;
  remove(relay: RelaySocket, sent: boolean): void;
  toLeader(message: ToLeader): void;
}

function fakeHub(): FakeHub {
  let sockets = 0;
  const hub: FakeHub = {
    id: 'tab1',
    asked: [],
    removed: [],
    removedUnderSends: [],
    add: () => ++sockets,
    remove: (relay, sent) => {
      hub.removed.push(relay);
      hub.removedUnderSends.push(sent);
    },
    toLeader: (message) => void hub.asked.push(message),
  };
  return hub;
}

/** A relay and every event it gave, in order, as text. */
function relay(protocols?: string | string[], carried?: WebSocketPayload[], hub = fakeHub()) {
  const socket = new RelaySocket(hub as unknown as Hub, 'wss://feed.example/ws', protocols, carried);
  const events: string[] = [];
  socket.onopen = () => void events.push('open');
  socket.onmessage = (event) => void events.push(`message ${String(event.data)}`);
  socket.onerror = () => void events.push('error');
  socket.onclose = (event) => void events.push(`close ${event.code} '${event.reason}' ${event.wasClean}`);
  return { hub, socket, events };
}

/** A relay opened through leader `L`. */
function opened(protocols?: string | string[], carried?: WebSocketPayload[]) {
  const made = relay(protocols, carried);
  made.socket.leader('L');
  made.socket.opened('chat', 'permessage-deflate', []);
  made.events.length = 0;
  made.hub.asked.length = 0;
  return made;
}

describe('RelaySocket', () => {
  it('starts connecting, with no protocol or extensions yet, its number given by its hub, and binaryType "blob"', () => {
    const { socket } = relay();
    expect(socket.readyState).toBe(0);
    expect(socket.protocol).toBe('');
    expect(socket.extensions).toBe('');
    expect(socket.binaryType).toBe('blob');
    expect(socket.bufferedAmount).toBe(0);
    expect(socket.sock).toBe(1);
    expect(socket.url).toBe('wss://feed.example/ws');
  });

  describe('when its hub knows a leader', () => {
    it('asks that leader to open, with its URL and sub-protocols, once per leader', () => {
      const { hub, socket } = relay(['a', 'b']);
      socket.leader('L');
      socket.leader('L');
      expect(hub.asked).toEqual([
        { k: 'open', tab: 'tab1', sock: 1, url: 'wss://feed.example/ws', protocols: ['a', 'b'] },
      ]);
    });

    it('asks a new leader again while still connecting', () => {
      const { hub, socket } = relay();
      socket.leader('L');
      socket.leader('M');
      expect(hub.asked.map((message) => message.k === 'open' && message.tab)).toEqual(['tab1', 'tab1']);
      expect(socket.readyState).toBe(0);
    });

    it('once open through a leader, loses the connection (1006, not clean) when another leads', () => {
      const { hub, socket, events } = opened();
      socket.leader('L');
      expect(events).toEqual([]);
      socket.leader('M');
      expect(events).toEqual(["close 1006 '' false"]);
      expect(socket.readyState).toBe(3);
      expect(hub.asked).toEqual([]);
      expect(hub.removed).toEqual([socket]);
    });

    it('while closing, lets its own close complete when another leads', () => {
      newScheduler().run(({ flush }) => {
        const { hub, socket, events } = opened();
        socket.close(4000, 'bye');
        socket.leader('M');
        expect(events).toEqual([]);
        flush();
        expect(events).toEqual(["close 4000 'bye' true"]);
        expect(hub.asked).toEqual([{ k: 'close', tab: 'tab1', sock: 1, code: 4000, reason: 'bye' }]);
      });
    });

    it('asks nothing once closing or closed', () => {
      newScheduler().run(({ flush }) => {
        const { hub, socket } = relay();
        socket.close();
        socket.leader('L');
        flush();
        socket.leader('M');
        expect(hub.asked).toEqual([]);
      });
    });
  });

  describe('opening', () => {
    it('opens with the protocol and extensions the leader tells, then hands on the backlog', () => {
      const { socket, events } = relay();
      socket.leader('L');
      socket.opened('chat', 'permessage-deflate', ['m1', 'm2']);
      expect(events).toEqual(['open', 'message m1', 'message m2']);
      expect(socket.readyState).toBe(1);
      expect(socket.protocol).toBe('chat');
      expect(socket.extensions).toBe('permessage-deflate');
    });

    it('is told it is open only once, and not after it was closed', () => {
      newScheduler().run(({ flush }) => {
        const first = opened();
        first.socket.opened('other', '', ['late']);
        expect(first.events).toEqual([]);
        expect(first.socket.protocol).toBe('chat');

        const second = relay();
        second.socket.leader('L');
        second.socket.close();
        flush();
        second.events.length = 0;
        second.socket.opened('chat', '', []);
        expect(second.events).toEqual([]);
        expect(second.socket.readyState).toBe(3);
      });
    });
  });

  describe('messages', () => {
    it('are handed on only while open', () => {
      newScheduler().run(({ flush }) => {
        const { socket, events } = relay();
        socket.message('early');
        socket.leader('L');
        socket.opened('', '', []);
        socket.message('m');
        socket.close();
        socket.message('closing');
        flush();
        socket.message('closed');
        expect(events).toEqual(['open', 'message m', "close 1005 '' true"]);
      });
    });

    it("come as a browser's message event: the data, an empty origin and lastEventId, no source, no ports", () => {
      const { socket } = opened();
      const events: unknown[] = [];
      socket.onmessage = (event) => void events.push(event);
      socket.message('m');
      expect(events).toEqual([{ type: 'message', data: 'm', origin: '', lastEventId: '', source: null, ports: [] }]);
    });

    it('in binary come as a Blob by default and as the ArrayBuffer with binaryType "arraybuffer"', () => {
      const { socket } = opened();
      const data: unknown[] = [];
      socket.onmessage = (event) => void data.push(event.data);
      const bytes = new Uint8Array([1, 2, 3]).buffer;
      socket.message(bytes);
      socket.binaryType = 'arraybuffer';
      socket.message(bytes);
      socket.message('text');
      expect(data[0]).toBeInstanceOf(Blob);
      expect((data[0] as Blob).size).toBe(3);
      expect(data[1]).toBe(bytes);
      expect(data[2]).toBe('text');
    });
  });

  describe('send', () => {
    it('throws while connecting, as a browser does, and asks nothing', () => {
      const { hub, socket } = relay();
      socket.leader('L');
      hub.asked.length = 0;
      expect(() => socket.send('early')).toThrow('InvalidStateError');
      expect(hub.asked).toEqual([]);
    });

    it('goes to the leader while open, with what multiplex said of the frame', () => {
      const { hub, socket } = opened();
      const frame: ChannelFrame = { key: 'k', op: 'subscribe', resumes: false };
      socket[CHANNEL_FRAME](frame);
      socket.send('sub');
      socket[CHANNEL_FRAME](undefined);
      socket.send('plain');
      expect(hub.asked).toEqual([
        { k: 'send', tab: 'tab1', sock: 1, data: 'sub', frame },
        { k: 'send', tab: 'tab1', sock: 1, data: 'plain', frame: undefined },
      ]);
    });

    it('is dropped once closing or closed, as a browser drops it, without throwing', () => {
      newScheduler().run(({ flush }) => {
        const { hub, socket } = opened();
        socket.close();
        hub.asked.length = 0;
        expect(() => socket.send('closing')).not.toThrow();
        flush();
        expect(() => socket.send('closed')).not.toThrow();
        expect(hub.asked).toEqual([]);
      });
    });
  });

  describe('close', () => {
    it('of an open socket asks the leader, and completes clean later with the code and reason given', () => {
      newScheduler().run(({ flush }) => {
        const { hub, socket, events } = opened();
        socket.close(4000, 'bye');
        expect(socket.readyState).toBe(2);
        expect(hub.asked).toEqual([{ k: 'close', tab: 'tab1', sock: 1, code: 4000, reason: 'bye' }]);
        expect(events).toEqual([]);
        flush();
        expect(events).toEqual(["close 4000 'bye' true"]);
        expect(hub.removed).toEqual([socket]);
      });
    });

    it('with no code or reason completes with 1005 and an empty reason', () => {
      newScheduler().run(({ flush }) => {
        const { socket, events } = opened();
        socket.close();
        flush();
        expect(events).toEqual(["close 1005 '' true"]);
      });
    });

    it('while connecting fails the socket (1006, not clean) whatever code it was given', () => {
      newScheduler().run(({ flush }) => {
        const { hub, socket, events } = relay();
        socket.leader('L');
        hub.asked.length = 0;
        socket.close(4000, 'bye');
        expect(hub.asked).toEqual([{ k: 'close', tab: 'tab1', sock: 1, code: 4000, reason: 'bye' }]);
        flush();
        expect(events).toEqual(["close 1006 '' false"]);
      });
    });

    it('before any leader was asked asks nothing', () => {
      newScheduler().run(({ flush }) => {
        const { hub, socket, events } = relay();
        socket.close();
        flush();
        expect(hub.asked).toEqual([]);
        expect(events).toEqual(["close 1006 '' false"]);
      });
    });

    it('a second time, or once closed, does nothing', () => {
      newScheduler().run(({ flush }) => {
        const { hub, socket, events } = opened();
        socket.close(4000, 'first');
        socket.close(4001, 'second');
        flush();
        socket.close(4002, 'third');
        flush();
        expect(hub.asked).toEqual([{ k: 'close', tab: 'tab1', sock: 1, code: 4000, reason: 'first' }]);
        expect(events).toEqual(["close 4000 'first' true"]);
      });
    });
  });

  describe("the leader's notices", () => {
    it('closed: closes once, with what the leader says, and leaves its hub', () => {
      const { hub, socket, events } = opened();
      socket.closed(4001, 'gone', true);
      socket.closed(4002, 'again', false);
      expect(events).toEqual(["close 4001 'gone' true"]);
      expect(hub.removed).toEqual([socket]);
    });

    it("unsent, while open: says CLOSING as a browser's socket that read the server's close frame, and keeps the data for the next socket of its object", () => {
      const carried: WebSocketPayload[] = [];
      const { hub, socket, events } = opened(undefined, carried);
      socket.unsent('a');
      socket.unsent(undefined);
      socket.unsent('b');
      expect(socket.readyState).toBe(2);
      expect(carried).toEqual(['a', 'b']);
      // What is sent now is dropped, as a browser drops it: the session keeps it in its queue instead.
      socket.send('c');
      expect(hub.asked).toEqual([]);
      // The close comes from the leader; its own close() no longer asks anything.
      socket.close(1000);
      expect(hub.asked).toEqual([]);
      socket.closed(1012, 'restart', true);
      expect(events).toEqual(["close 1012 'restart' true"]);
      expect(hub.removedUnderSends).toEqual([true]);
    });

    it('unsent, while open: loses the connection (1006, not clean) when another leads before the close comes', () => {
      const { socket, events } = opened();
      socket.unsent('a');
      socket.leader('L');
      expect(events).toEqual([]);
      socket.leader('M');
      expect(events).toEqual(["close 1006 '' false"]);
    });

    it('unsent, while its own close is under way: keeps the data, and its close completes as its own when another leads', () => {
      newScheduler().run(({ flush }) => {
        const carried: WebSocketPayload[] = [];
        const { hub, socket, events } = opened(undefined, carried);
        socket.close(4000, 'bye');
        socket.unsent('a');
        socket.leader('M');
        flush();
        expect(carried).toEqual(['a']);
        expect(events).toEqual(["close 4000 'bye' true"]);
        expect(hub.removedUnderSends).toEqual([false]);
      });
    });

    it('what was handed back goes first, once, when the next socket of the object opens', () => {
      const carried: WebSocketPayload[] = ['a', 'b'];
      const hub = fakeHub();
      const next = relay(undefined, carried, hub);
      next.socket.onopen = () => void hub.asked.push({ k: 'who' });
      next.socket.leader('L');
      next.socket.opened('', '', []);
      expect(hub.asked.slice(1)).toEqual([
        { k: 'send', tab: 'tab1', sock: 1, data: 'a', frame: undefined },
        { k: 'send', tab: 'tab1', sock: 1, data: 'b', frame: undefined },
        { k: 'who' },
      ]);
      expect(carried).toEqual([]);
    });

    it('error: reported while not closed, and not after', () => {
      const { socket, events } = relay();
      socket.errored();
      socket.closed(1006, '', false);
      socket.errored();
      expect(events).toEqual(['error', "close 1006 '' false"]);
    });
  });
});
