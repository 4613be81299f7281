import { fromWebSocket, InvalidOptionError, json } from 'rx-websocket';
import {
  createFeedServerDouble,
  createWebSocketDouble,
  type FeedClientFrame,
  type FeedServerDoubleOptions,
  type FeedServerFrame,
} from 'rx-websocket/testing';
import { newScheduler } from '../helpers/virtual-time';

/** A client socket on a feed double; `frames` records what it receives, `send` what it sends, at virtual frames. */
function setup(options?: FeedServerDoubleOptions) {
  const server = createWebSocketDouble<FeedServerFrame, FeedClientFrame>({ autoOpen: true });
  const feed = createFeedServerDouble(server, options);
  const socket = fromWebSocket<FeedServerFrame, FeedClientFrame>('wss://feed.example/ws', {
    ...json<FeedServerFrame, FeedClientFrame>(),
    WebSocketCtor: server.WebSocketCtor,
    reconnect: false,
  });
  const frames: [number, FeedServerFrame][] = [];
  const ended: unknown[] = [];
  socket.message$.subscribe({
    next: (frame) => frames.push([server.scheduler.now(), frame]),
    error: (error: unknown) => ended.push(error),
  });
  const at = (frame: number, work: () => void) => server.scheduler.schedule(work, frame);
  return { server, feed, socket, frames, ended, at };
}

describe('createFeedServerDouble', () => {
  it('answers a subscribe without since with subscribed (no recovered), then sends the live messages with increasing cursors', () => {
    newScheduler().run(({ flush }) => {
      const { feed, socket, frames, at } = setup();
      at(1, () => feed.publish('BTC', 'before')); // kept, not sent: nobody subscribed yet
      at(2, () => socket.send({ type: 'subscribe', channel: 'BTC' }));
      at(3, () => feed.publish('BTC', 'a'));
      at(4, () => feed.publish('ETH', 'other'));
      flush();
      expect(frames).toEqual([
        [2, { type: 'subscribed', channel: 'BTC' }],
        [3, { type: 'message', channel: 'BTC', cursor: '2', data: 'a' }],
      ]);
      expect(feed.history('BTC').map((m) => m.cursor)).toEqual(['1', '2']);
      expect(feed.subscribers('BTC')).toBe(1);
    });
  });

  it('answers a subscribe with since with recovered: true and replays every message after it, then live ones', () => {
    newScheduler().run(({ flush }) => {
      const { feed, socket, frames, at } = setup();
      at(1, () => ['a', 'b', 'c'].forEach((d) => feed.publish('BTC', d)));
      at(2, () => socket.send({ type: 'subscribe', channel: 'BTC', since: '1' }));
      at(3, () => feed.publish('BTC', 'd'));
      flush();
      expect(frames.map(([, f]) => (f.type === 'message' ? f.data : f))).toEqual([
        { type: 'subscribed', channel: 'BTC', recovered: true },
        'b',
        'c',
        'd',
      ]);
    });
  });

  it('answers recovered: false, with nothing replayed, once the history no longer reaches since (trim, historyLength, a foreign cursor)', () => {
    newScheduler().run(({ flush }) => {
      const { feed, socket, frames, at } = setup({ historyLength: 3 });
      at(1, () => [1, 2, 3, 4, 5].forEach((n) => feed.publish('A', n))); // A keeps 3, 4, 5
      at(1, () => [1, 2, 3].forEach((n) => feed.publish('B', n)));
      at(2, () => feed.trim('B', 1)); // B keeps 3
      at(3, () => socket.send({ type: 'subscribe', channel: 'A', since: '1' }));
      at(4, () => socket.send({ type: 'subscribe', channel: 'B', since: '1' }));
      at(5, () => socket.send({ type: 'subscribe', channel: 'A', since: 'elsewhere-7' }));
      at(6, () => socket.send({ type: 'subscribe', channel: 'B', since: '2' })); // just before the oldest kept
      flush();
      expect(frames).toEqual([
        [3, { type: 'subscribed', channel: 'A', recovered: false }],
        [4, { type: 'subscribed', channel: 'B', recovered: false }],
        [5, { type: 'subscribed', channel: 'A', recovered: false }],
        [6, { type: 'subscribed', channel: 'B', recovered: true }],
        [6, { type: 'message', channel: 'B', cursor: '3', data: 3 }],
      ]);
    });
  });

  it('answers unsubscribe, an unknown channel, and a request (a repeated id gets the stored reply without running again)', () => {
    newScheduler().run(({ flush }) => {
      let runs = 0;
      const { feed, socket, frames, at } = setup({
        channels: ['BTC'],
        answer: (data) => ({ echo: data, run: ++runs }),
      });
      at(1, () => socket.send({ type: 'subscribe', channel: 'DOGE' }));
      at(2, () => socket.send({ type: 'subscribe', channel: 'BTC' }));
      at(3, () => socket.send({ type: 'unsubscribe', channel: 'BTC' }));
      at(4, () => feed.publish('BTC', 'after'));
      at(5, () => socket.send({ type: 'request', id: 7, data: 'x' }));
      at(6, () => socket.send({ type: 'request', id: 7, data: 'y' }));
      at(7, () => socket.send({ type: 'request', id: '7', data: 'z' }));
      flush();
      expect(frames.map(([, f]) => f)).toEqual([
        { type: 'error', channel: 'DOGE', code: 'unknown_channel', message: 'no such channel' },
        { type: 'subscribed', channel: 'BTC' },
        { type: 'unsubscribed', channel: 'BTC' },
        { type: 'reply', id: 7, data: { echo: 'x', run: 1 } },
        { type: 'reply', id: 7, data: { echo: 'x', run: 1 } },
        { type: 'reply', id: '7', data: { echo: 'z', run: 2 } },
      ]);
      expect(feed.executions).toBe(2);
    });
  });

  it('dropConnections cuts every open connection with 1006, and their subscriptions go with them', () => {
    newScheduler().run(({ flush }) => {
      const { server, feed, socket, ended, at } = setup();
      const closes: number[] = [];
      socket.close$.subscribe((close) => closes.push(close.code));
      at(1, () => socket.send({ type: 'subscribe', channel: 'BTC' }));
      at(2, () => feed.dropConnections());
      at(3, () => feed.publish('BTC', 'lost'));
      flush();
      expect(closes).toEqual([1006]);
      expect(ended).toHaveLength(1); // reconnection is off here
      expect(server.connection(0).closedWith?.code).toBe(1006);
      expect(feed.subscribers('BTC')).toBe(0);
    });
  });

  it('keeps historyLength messages per channel, the newest', () => {
    newScheduler().run(({ flush }) => {
      const { feed, at } = setup({ historyLength: 3 });
      at(1, () => [1, 2, 3, 4, 5].forEach((n) => feed.publish('A', n)));
      flush();
      expect(feed.history('A').map((m) => m.cursor)).toEqual(['3', '4', '5']);
    });
  });

  it('answers recovered: false to a since written otherwise than it writes cursors, or past its last cursor, and true to its last', () => {
    newScheduler().run(({ flush }) => {
      const { feed, socket, frames, at } = setup();
      at(1, () => [1, 2, 3].forEach((n) => feed.publish('A', n)));
      at(2, () => socket.send({ type: 'subscribe', channel: 'A', since: '01' }));
      at(3, () => socket.send({ type: 'subscribe', channel: 'A', since: '1.0' }));
      at(4, () => socket.send({ type: 'subscribe', channel: 'A', since: '4' }));
      at(5, () => socket.send({ type: 'subscribe', channel: 'A', since: '2' }));
      // Up to date: recovered, with nothing to replay.
      at(6, () => socket.send({ type: 'subscribe', channel: 'A', since: '3' }));
      flush();
      expect(frames).toEqual([
        [2, { type: 'subscribed', channel: 'A', recovered: false }],
        [3, { type: 'subscribed', channel: 'A', recovered: false }],
        [4, { type: 'subscribed', channel: 'A', recovered: false }],
        [5, { type: 'subscribed', channel: 'A', recovered: true }],
        [5, { type: 'message', channel: 'A', cursor: '3', data: 3 }],
        [6, { type: 'subscribed', channel: 'A', recovered: true }],
      ]);
    });
  });

  it('answers a request whose answer throws with an internal error, stored for its repeats like any reply', () => {
    newScheduler().run(({ flush }) => {
      let runs = 0;
      const { feed, socket, frames, at } = setup({
        answer: () => {
          runs++;
          throw new Error('boom');
        },
      });
      at(1, () => socket.send({ type: 'request', id: 'r', data: 1 }));
      at(2, () => socket.send({ type: 'request', id: 'r', data: 1 }));
      flush();
      const failed = { type: 'reply', id: 'r', error: { code: 'internal', message: 'the operation failed' } };
      expect(frames).toEqual([
        [1, failed],
        [2, failed],
      ]);
      expect(runs).toBe(1);
      expect(feed.executions).toBe(1);
    });
  });

  it('leaves alone, without a word or a throw, every frame that is not of its protocol', () => {
    newScheduler().run(({ flush }) => {
      const server = createWebSocketDouble<FeedServerFrame, FeedClientFrame>({ autoOpen: true });
      const feed = createFeedServerDouble(server, { answer: (data) => data });
      const socket = new server.WebSocketCtor('wss://feed.example/ws');
      const got: unknown[] = [];
      socket.onmessage = (event) => void got.push(event.data);
      const frames = [
        'not json',
        'null',
        '42',
        '"subscribe"',
        JSON.stringify({ type: 'subscribe' }),
        JSON.stringify({ type: 'subscribe', channel: 7 }),
        JSON.stringify({ type: 'subscribe', channel: 'BTC', since: 1 }),
        JSON.stringify({ type: 'unsubscribe' }),
        JSON.stringify({ type: 'other', channel: 'BTC' }),
        JSON.stringify({ type: 'other', id: 'x' }),
        JSON.stringify({ type: 'request' }),
        JSON.stringify({ type: 'request', id: 1.5 }),
        JSON.stringify({ type: 'request', id: null }),
      ];
      server.scheduler.schedule(() => {
        for (const frame of frames) socket.send(frame);
        socket.send(new Uint8Array([1, 2]));
        socket.send(new TextEncoder().encode(JSON.stringify({ type: 'subscribe', channel: 'BTC' })));
      }, 1);
      flush();
      expect(got).toEqual([]);
      expect(feed.subscribers('BTC')).toBe(0);
      expect(feed.executions).toBe(0);
    });
  });

  it("lets go of a connection's subscriptions when it closes, whoever closes it", () => {
    newScheduler().run(({ flush }) => {
      const { server, feed, socket, at } = setup();
      at(1, () => socket.send({ type: 'subscribe', channel: 'BTC' }));
      at(2, () => expect(feed.subscribers('BTC')).toBe(1));
      at(3, () => socket.close());
      flush();
      expect(feed.subscribers('BTC')).toBe(0);
      expect(server.connection(0).clientClose?.code).toBe(1000);
    });
  });

  it('dropConnections leaves alone a connection still opening, and one the client is closing', () => {
    newScheduler().run(({ flush }) => {
      const server = createWebSocketDouble<FeedServerFrame, FeedClientFrame>({ autoOpen: true, handshakeDelayMs: 5 });
      const feed = createFeedServerDouble(server);
      const events: string[] = [];
      const watch = (name: string) => {
        const socket = new server.WebSocketCtor('wss://feed.example/ws');
        socket.onopen = () => void events.push(`${name} open`);
        socket.onclose = (event) => void events.push(`${name} close ${event.code}`);
        return socket;
      };
      const closing = watch('closing');
      server.scheduler.schedule(() => {
        watch('opening');
        closing.close(4000);
        feed.dropConnections();
      }, 10);
      flush();
      expect(events).toEqual(['closing open', 'closing close 4000', 'opening open']);
    });
  });

  it('refuses a historyLength that is not an integer ≥ 0', () => {
    const server = createWebSocketDouble();
    expect(() => createFeedServerDouble(server, { historyLength: -1 })).toThrow(InvalidOptionError);
  });
});
