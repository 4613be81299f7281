import { createServer, type Server } from 'node:http';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { startFeedServer, type FeedServer, type FeedServerOptions } from '../../../examples/feed-server/server';
import { keepFigures } from '../../helpers/figures';
import { breaksIn, FeedClient, type Frame, type MessageFrame } from './feed-client';

describe('the reference feed server, history in memory (plain ws clients on loopback)', () => {
  const servers: FeedServer[] = [];
  const clients: FeedClient[] = [];
  const start = async (options: FeedServerOptions): Promise<FeedServer> => {
    const server = await startFeedServer({ log: false, ...options });
    servers.push(server);
    return server;
  };
  const connect = async (server: FeedServer): Promise<FeedClient> => {
    const client = await FeedClient.connect(server.url);
    clients.push(client);
    return client;
  };
  afterEach(async () => {
    for (const client of clients.splice(0)) client.close();
    await Promise.all(servers.splice(0).map((server) => server.kill()));
  });

  /** Publishes `count` numbered messages by hand; resolves with their cursors. */
  const publishNumbered = async (server: FeedServer, channel: string, from: number, count: number) => {
    const cursors: string[] = [];
    for (let n = from; n < from + count; n++) cursors.push(await server.publish(channel, { n }));
    return cursors;
  };

  describe('a subscribe without since', () => {
    it('is answered with subscribed (no recovered field), then the live messages, numbered without a gap', async () => {
      const server = await start({ channels: ['ticks'], rateHz: 500 });
      const client = await connect(server);
      client.send({ type: 'subscribe', channel: 'ticks' });
      const messages = await client.messageCount('ticks', 50);
      expect(client.frames[0]).toEqual({ type: 'subscribed', channel: 'ticks' });
      expect(breaksIn(messages)).toEqual([]);
      expect(new Set(messages.map((m) => m.cursor)).size).toBe(messages.length);
    });
  });

  describe('a channel whose data function throws', () => {
    it('skips that number, reports it through log, and keeps publishing', async () => {
      const lines: string[] = [];
      const data = (n: number) => {
        if (n === 2) throw new Error('no value');
        return { n };
      };
      const server = await start({ channels: [{ name: 'c', rateHz: 200, data }], log: (line) => lines.push(line) });
      const client = await connect(server);
      client.send({ type: 'subscribe', channel: 'c' });
      const messages = await client.messageCount('c', 3);
      expect(messages.map((m) => m.data.n).filter((n) => n <= 3)).not.toContain(2);
      expect(lines.filter((line) => line.startsWith('publish failed'))).toEqual(['publish failed: Error: no value']);
    });
  });

  describe('an unsubscribe', () => {
    it('is answered with unsubscribed, and nothing more comes on that channel while others go on', async () => {
      const server = await start({ channels: ['a', 'b'], rateHz: 0 });
      const client = await connect(server);
      client.send({ type: 'subscribe', channel: 'a' });
      client.send({ type: 'subscribe', channel: 'b' });
      await client.next((f) => f.type === 'subscribed' && f.channel === 'b', 'subscribed to b');
      await publishNumbered(server, 'a', 1, 2);
      await client.messageCount('a', 2);
      client.send({ type: 'unsubscribe', channel: 'a' });
      await client.next((f) => f.type === 'unsubscribed', 'unsubscribed');
      await publishNumbered(server, 'a', 3, 2);
      await publishNumbered(server, 'b', 1, 1);
      // b's message was published after a's: on one socket, a's would have come first.
      await client.messageCount('b', 1);
      expect(client.messages('a').map((m) => m.data.n)).toEqual([1, 2]);
    });
  });

  describe('a subscribe with since', () => {
    it('is answered recovered: true, then exactly the messages after since, then live ones, while the server publishes at 1000/s', async () => {
      const server = await start({ channels: ['fast'], rateHz: 1_000, historyLength: 5_000 });
      const first = await connect(server);
      first.send({ type: 'subscribe', channel: 'fast' });
      const seen = await first.messageCount('fast', 200);
      const since = seen[49] as MessageFrame;

      const second = await connect(server);
      second.send({ type: 'subscribe', channel: 'fast', since: since.cursor });
      const messages = await second.messageCount('fast', 400);
      expect(second.frames[0]).toEqual({ type: 'subscribed', channel: 'fast', recovered: true });
      expect(messages[0]?.data.n).toBe(since.data.n + 1);
      expect(breaksIn(messages)).toEqual([]);
      // The same cursors as the live subscriber had for the same numbers.
      expect(messages.slice(0, 150).map((m) => m.cursor)).toEqual(seen.slice(50, 200).map((m) => m.cursor));
    });

    it('resumes 20 times in a row from the last cursor it got: the stream it reads has no gap and no duplicate', async () => {
      const server = await start({ channels: ['fast'], rateHz: 1_000, historyLength: 5_000 });
      const all: MessageFrame[] = [];
      const resumeMs: number[] = [];
      let since: string | undefined;
      for (let round = 0; round < 20; round++) {
        const client = await connect(server);
        const asked = performance.now();
        client.send({ type: 'subscribe', channel: 'fast', ...(since !== undefined && { since }) });
        const messages = await client.messageCount('fast', 25);
        resumeMs.push((client.arrivals[1] ?? asked) - asked);
        if (since !== undefined) expect(client.frames[0]).toMatchObject({ type: 'subscribed', recovered: true });
        // Cut without a close frame, as a dropped network would: whatever arrived counts.
        client.socket.terminate();
        await client.closed();
        all.push(...client.messages('fast'));
        since = client.messages('fast').at(-1)?.cursor ?? since;
        expect(messages.length).toBeGreaterThanOrEqual(25);
      }
      expect(breaksIn(all)).toEqual([]);
      expect(all.length).toBeGreaterThanOrEqual(20 * 25);
      const sorted = [...resumeMs].sort((a, b) => a - b);
      keepFigures('feed-server-memory-resume', {
        rounds: 20,
        messagesChecked: all.length,
        firstMessageAfterSubscribeMs: { median: sorted[10], max: sorted.at(-1) },
      });
    });

    it('is answered recovered: false when history no longer reaches back to since, and live messages follow (nothing replayed)', async () => {
      const server = await start({ channels: ['c'], rateHz: 0, historyLength: 10 });
      const cursors = await publishNumbered(server, 'c', 1, 30);
      const client = await connect(server);
      client.send({ type: 'subscribe', channel: 'c', since: cursors[0] });
      await client.next((f) => f.type === 'subscribed', 'subscribed');
      await publishNumbered(server, 'c', 31, 1);
      await client.messageCount('c', 1);
      expect(client.frames).toEqual([
        { type: 'subscribed', channel: 'c', recovered: false },
        expect.objectContaining({ type: 'message', channel: 'c', data: { n: 31 } }),
      ]);
    });

    it('is answered recovered: true at the edge: since is the entry just before the oldest one kept', async () => {
      const server = await start({ channels: ['c'], rateHz: 0, historyLength: 10 });
      const cursors = await publishNumbered(server, 'c', 1, 30);
      const client = await connect(server);
      // Kept: 21..30; since = 20's cursor, so nothing after it is missing.
      client.send({ type: 'subscribe', channel: 'c', since: cursors[19] });
      const messages = await client.messageCount('c', 10);
      expect(client.frames[0]).toEqual({ type: 'subscribed', channel: 'c', recovered: true });
      expect(messages.map((m) => m.data.n)).toEqual([21, 22, 23, 24, 25, 26, 27, 28, 29, 30]);
      // One step older is beyond what is kept.
      const older = await connect(server);
      older.send({ type: 'subscribe', channel: 'c', since: cursors[18] });
      expect(await older.next((f) => f.type === 'subscribed', 'subscribed')).toMatchObject({ recovered: false });
    });

    it('replays nothing when since is the newest cursor, then goes live', async () => {
      const server = await start({ channels: ['c'], rateHz: 0 });
      const cursors = await publishNumbered(server, 'c', 1, 5);
      const client = await connect(server);
      client.send({ type: 'subscribe', channel: 'c', since: cursors[4] });
      await client.next((f) => f.type === 'subscribed', 'subscribed');
      await publishNumbered(server, 'c', 6, 1);
      expect((await client.messageCount('c', 1)).map((m) => m.data.n)).toEqual([6]);
      expect(client.frames[0]).toEqual({ type: 'subscribed', channel: 'c', recovered: true });
    });

    it('is answered recovered: false for a cursor this history never issued (another server, an earlier run, garbage)', async () => {
      const server = await start({ channels: ['c'], rateHz: 0 });
      const other = await start({ channels: ['c'], rateHz: 0 });
      const [foreign] = await publishNumbered(other, 'c', 1, 1);
      await publishNumbered(server, 'c', 1, 3);
      for (const since of [foreign as string, 'nonsense', '0-99999999']) {
        const client = await connect(server);
        client.send({ type: 'subscribe', channel: 'c', since });
        expect(await client.next((f) => f.type === 'subscribed', 'subscribed')).toEqual({
          type: 'subscribed',
          channel: 'c',
          recovered: false,
        });
      }
    });

    it('restarts a subscription when the channel is subscribed again: the new since is what counts', async () => {
      const server = await start({ channels: ['c'], rateHz: 0 });
      const cursors = await publishNumbered(server, 'c', 1, 5);
      const client = await connect(server);
      client.send({ type: 'subscribe', channel: 'c', since: cursors[3] });
      await client.messageCount('c', 1);
      client.send({ type: 'subscribe', channel: 'c', since: cursors[2] });
      await client.messageCount('c', 3);
      await publishNumbered(server, 'c', 6, 1);
      expect((await client.messageCount('c', 4)).map((m) => m.data.n)).toEqual([5, 4, 5, 6]);
    });
  });

  describe('input it does not take', () => {
    it('answers a subscribe to an unknown channel with an unknown_channel error frame, and stays open', async () => {
      const server = await start({ channels: ['c'], rateHz: 0 });
      const client = await connect(server);
      client.send({ type: 'subscribe', channel: 'nope' });
      expect(await client.next((f) => f.type === 'error', 'the error frame')).toEqual({
        type: 'error',
        channel: 'nope',
        code: 'unknown_channel',
        message: 'no such channel',
      });
      client.send({ type: 'request', id: 1, data: { op: 'echo', value: 'still here' } });
      expect(await client.next((f) => f.type === 'reply', 'the reply')).toEqual({
        type: 'reply',
        id: 1,
        data: { value: 'still here' },
      });
    });

    it.each([
      ['text that is not JSON', 'not json', 1008],
      ['a JSON value that is not an object', '[1,2]', 1008],
      ['an unknown type', '{"type":"publish","channel":"c"}', 1008],
      ['a subscribe without a channel', '{"type":"subscribe"}', 1008],
      ['a since that is not a string', '{"type":"subscribe","channel":"c","since":5}', 1008],
      ['a request without an id', '{"type":"request","data":{"op":"echo"}}', 1008],
      ['a request with an id that is neither a string nor an integer', '{"type":"request","id":1.5,"data":{}}', 1008],
    ])('closes with %s: %s → %i', async (_what, text, code) => {
      const server = await start({ channels: ['c'], rateHz: 0 });
      const client = await connect(server);
      client.send(text);
      expect(await client.closed()).toEqual({ code, reason: 'malformed frame' });
    });

    it('closes with 1003 on a binary frame', async () => {
      const server = await start({ channels: ['c'], rateHz: 0 });
      const client = await connect(server);
      client.socket.send(Buffer.from('{"type":"subscribe","channel":"c"}'));
      expect(await client.closed()).toEqual({ code: 1003, reason: 'text frames only' });
    });

    it('closes with 1009 on a frame bigger than maxPayloadBytes', async () => {
      const server = await start({ channels: ['c'], rateHz: 0, maxPayloadBytes: 1_024 });
      const client = await connect(server);
      client.send({ type: 'request', id: 1, data: { op: 'echo', value: 'x'.repeat(2_000) } });
      expect((await client.closed()).code).toBe(1009);
    });
  });

  describe('requests', () => {
    it('replies with data, or with an error code for an unknown op or bad arguments', async () => {
      const server = await start({ channels: ['c'], rateHz: 0 });
      const client = await connect(server);
      client.send({ type: 'request', id: 'e', data: { op: 'echo', value: { deep: [1] } } });
      client.send({ type: 'request', id: 'a', data: { op: 'add', a: 2, b: 3 } });
      client.send({ type: 'request', id: 'u', data: { op: 'launch' } });
      client.send({ type: 'request', id: 'b', data: { op: 'add', a: 'two', b: 3 } });
      client.send({ type: 'request', id: 'n', data: 'not an object' });
      await client.changes.until(() => client.frames.length === 5, 5_000, 'five replies');
      const byId = new Map(client.frames.map((f) => [f.id, f]));
      expect(byId.get('e')).toEqual({ type: 'reply', id: 'e', data: { value: { deep: [1] } } });
      expect(byId.get('a')).toEqual({ type: 'reply', id: 'a', data: { sum: 5 } });
      expect(byId.get('u')).toEqual({
        type: 'reply',
        id: 'u',
        error: { code: 'unknown_op', message: expect.any(String) },
      });
      expect(byId.get('b')).toEqual({
        type: 'reply',
        id: 'b',
        error: { code: 'bad_request', message: expect.any(String) },
      });
      expect(byId.get('n')?.error?.code).toBe('unknown_op');
    });

    it('answers a repeated id with the stored reply, from any connection, and does not run it again', async () => {
      const server = await start({ channels: ['c'], rateHz: 0 });
      const first = await connect(server);
      first.send({ type: 'request', id: 'order-1', data: { op: 'incr', counter: 'orders' } });
      expect(await first.next((f) => f.type === 'reply', 'the reply')).toMatchObject({ data: { value: 1 } });
      // The same id again after a "reconnection", twice, then a new id.
      const second = await connect(server);
      second.send({ type: 'request', id: 'order-1', data: { op: 'incr', counter: 'orders' } });
      second.send({ type: 'request', id: 'order-1', data: { op: 'incr', counter: 'orders' } });
      second.send({ type: 'request', id: 'order-2', data: { op: 'incr', counter: 'orders' } });
      await second.changes.until(() => second.frames.length === 3, 5_000, 'three replies');
      expect(second.frames).toEqual([
        { type: 'reply', id: 'order-1', data: { value: 1 } },
        { type: 'reply', id: 'order-1', data: { value: 1 } },
        { type: 'reply', id: 'order-2', data: { value: 2 } },
      ]);
      expect(server.stats()).toMatchObject({ executions: 2, repeats: 2 });
    });

    it('treats "7" and 7 as two ids, and stores error replies too', async () => {
      const server = await start({ channels: ['c'], rateHz: 0 });
      const client = await connect(server);
      client.send({ type: 'request', id: 7, data: { op: 'incr', counter: 'k' } });
      client.send({ type: 'request', id: '7', data: { op: 'incr', counter: 'k' } });
      client.send({ type: 'request', id: 'bad', data: { op: 'nope' } });
      client.send({ type: 'request', id: 'bad', data: { op: 'echo' } });
      await client.changes.until(() => client.frames.length === 4, 5_000, 'four replies');
      // Replies may come in any order: each names its id.
      const replies = client.frames.map((f) => [f.id, f.data ?? f.error?.code]);
      expect(replies).toHaveLength(4);
      expect(replies).toEqual(
        expect.arrayContaining([
          [7, { value: expect.any(Number) }],
          ['7', { value: expect.any(Number) }],
          ['bad', 'unknown_op'],
          ['bad', 'unknown_op'],
        ]),
      );
      const counted = replies.filter(([id]) => id === 7 || id === '7').map(([, v]) => JSON.stringify(v));
      expect(counted.sort()).toEqual(['{"value":1}', '{"value":2}']);
      expect(server.stats()).toMatchObject({ executions: 3, repeats: 1 });
    });

    it('makes a repeat of an id still running wait for its reply, or answer in_progress (not stored) past pendingWaitMs', async () => {
      const gates: (() => void)[] = [];
      let runs = 0;
      const slow = () => {
        runs++;
        return new Promise((resolve) => gates.push(() => resolve({ done: runs })));
      };
      const server = await start({ channels: ['c'], rateHz: 0, pendingWaitMs: 50, operations: { slow } });
      const client = await connect(server);
      client.send({ type: 'request', id: 'long', data: { op: 'slow' } });
      client.send({ type: 'request', id: 'long', data: { op: 'slow' } });
      expect(await client.next((f) => f.type === 'reply', 'the impatient repeat')).toEqual({
        type: 'reply',
        id: 'long',
        error: { code: 'in_progress', message: expect.any(String) },
      });
      // Once the run ends, the first request and every repeat get its reply.
      client.send({ type: 'request', id: 'long', data: { op: 'slow' } });
      gates.shift()?.();
      await client.changes.until(() => client.frames.length === 3, 5_000, 'three replies');
      expect(client.frames.slice(1)).toEqual([
        { type: 'reply', id: 'long', data: { done: 1 } },
        { type: 'reply', id: 'long', data: { done: 1 } },
      ]);
      expect(runs).toBe(1);
    });

    it('forgets a reply requestTtlMs after it was made: the id is then run again (on the server clock)', async () => {
      let clock = 1_000_000;
      const server = await start({ channels: ['c'], rateHz: 0, requestTtlMs: 60_000, now: () => clock });
      const client = await connect(server);
      const ask = async (): Promise<Frame> => {
        const from = client.frames.length;
        client.send({ type: 'request', id: 'r', data: { op: 'incr', counter: 'k' } });
        return client.next((f) => f.type === 'reply', 'a reply', 5_000, from);
      };
      expect((await ask()).data).toEqual({ value: 1 });
      clock += 59_999;
      expect((await ask()).data).toEqual({ value: 1 });
      clock += 1;
      expect((await ask()).data).toEqual({ value: 2 });
      expect(server.stats().executions).toBe(2);
    });
  });

  describe('on its own port', () => {
    it('answers plain HTTP with 426 and /health with its figures, and closes its clients with 1001 when it stops', async () => {
      const server = await start({ channels: ['c'], rateHz: 0 });
      const client = await connect(server);
      const http = server.url.replace('ws:', 'http:');
      expect((await fetch(`${http}/`)).status).toBe(426);
      expect(await (await fetch(`${http}/health`)).json()).toEqual({
        connections: 1,
        executions: 0,
        repeats: 0,
        published: 0,
      });
      const stopped = server.close();
      expect(await client.closed()).toEqual({ code: 1001, reason: 'server shutting down' });
      await stopped;
    });
  });

  describe('attached to an existing HTTP server', () => {
    let http: Server | undefined;
    afterEach(async () => {
      if (http) await new Promise<void>((resolve) => http?.close(() => resolve()));
      http = undefined;
    });

    it('takes upgrades on its path and leaves the others to the server', async () => {
      http = createServer((_req, res) => res.end('page'));
      http.on('upgrade', (req, socket) => {
        if (req.url !== '/feed') socket.end('HTTP/1.1 418 Other\r\nConnection: close\r\n\r\n');
      });
      http.listen(0, '127.0.0.1');
      await once(http, 'listening');
      const { port } = http.address() as AddressInfo;
      const feed = await start({ server: http, path: '/feed', channels: ['c'], rateHz: 0 });
      expect(feed.url).toBe('/feed');
      const client = await FeedClient.connect(`ws://127.0.0.1:${port}/feed`);
      clients.push(client);
      client.send({ type: 'subscribe', channel: 'c' });
      await client.next((f) => f.type === 'subscribed', 'subscribed');
      await feed.publish('c', { n: 1 });
      expect((await client.messageCount('c', 1))[0]?.data).toEqual({ n: 1 });
      await expect(FeedClient.connect(`ws://127.0.0.1:${port}/other`)).rejects.toThrow(/418/);
      await feed.close();
      // The HTTP server is still the app's.
      expect(http.listening).toBe(true);
    });
  });
});
