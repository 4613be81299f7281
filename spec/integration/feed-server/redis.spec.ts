import { createClient } from 'redis';
import { startFeedPublisher, type Publisher } from '../../../examples/feed-server/publisher';
import { startFeedServer, type FeedServer, type FeedServerOptions } from '../../../examples/feed-server/server';
import { keepFigures } from '../../helpers/figures';
import { startRedis, type RedisServer } from '../../helpers/redis';
import { requireSystem } from '../../helpers/system';
import { breaksIn, FeedClient, type MessageFrame } from './feed-client';

requireSystem('redis-server').describe(
  'the reference feed server, history in Redis shared by several servers (plain ws clients on loopback)',
  (redisServerPath) => {
    let redis: RedisServer;
    let admin: ReturnType<typeof createClient>;
    const servers: FeedServer[] = [];
    const publishers: Publisher[] = [];
    const clients: FeedClient[] = [];
    let prefixes = 0;
    /** Each spec gets keys of its own in the one Redis. */
    let keyPrefix = '';

    beforeAll(async () => {
      redis = await startRedis({ binary: redisServerPath });
      admin = createClient({ url: redis.url });
      admin.on('error', () => undefined);
      await admin.connect();
    }, 15_000);
    afterAll(async () => {
      if (admin?.isOpen) admin.destroy();
      await redis?.stop();
    });
    beforeEach(() => {
      keyPrefix = `spec${++prefixes}:`;
    });
    afterEach(async () => {
      for (const client of clients.splice(0)) client.close();
      await Promise.all(publishers.splice(0).map((publisher) => publisher.stop()));
      await Promise.all(servers.splice(0).map((server) => server.kill()));
    });

    /** A server that only serves: the spec's publisher writes. */
    const serve = async (options: FeedServerOptions = {}): Promise<FeedServer> => {
      const server = await startFeedServer({
        redisUrl: redis.url,
        keyPrefix,
        channels: ['fast'],
        publish: false,
        log: false,
        ...options,
      });
      servers.push(server);
      return server;
    };
    const publish = async (rateHz: number, historyLength = 5_000): Promise<Publisher> => {
      const publisher = await startFeedPublisher({
        redisUrl: redis.url,
        keyPrefix,
        channels: ['fast'],
        rateHz,
        historyLength,
      });
      publishers.push(publisher);
      return publisher;
    };
    const connect = async (server: FeedServer): Promise<FeedClient> => {
      const client = await FeedClient.connect(server.url);
      clients.push(client);
      return client;
    };

    describe('when the backend a client reads from dies mid-stream (1000 messages/s)', () => {
      it('the client resumes on another backend with since = its last cursor: recovered, no gap, no duplicate, 5 times over', async () => {
        await publish(1_000);
        let current = await serve();
        let standby = await serve();
        const all: MessageFrame[] = [];
        const resumeMs: number[] = [];
        let client = await connect(current);
        client.send({ type: 'subscribe', channel: 'fast' });
        await client.messageCount('fast', 100);
        for (let round = 0; round < 5; round++) {
          const killedAt = performance.now();
          await current.kill();
          await client.closed();
          all.push(...client.messages('fast'));
          const since = all.at(-1)?.cursor as string;
          client = await connect(standby);
          client.send({ type: 'subscribe', channel: 'fast', since });
          const resumed = await client.messageCount('fast', 100);
          expect(client.frames[0]).toEqual({ type: 'subscribed', channel: 'fast', recovered: true });
          resumeMs.push((client.arrivals[1] as number) - killedAt);
          expect(resumed.length).toBeGreaterThanOrEqual(100);
          [current, standby] = [standby, await serve()];
        }
        all.push(...client.messages('fast'));
        expect(breaksIn(all)).toEqual([]);
        expect(new Set(all.map((m) => m.cursor)).size).toBe(all.length);
        expect(all.length).toBeGreaterThanOrEqual(600);
        const sorted = [...resumeMs].sort((a, b) => a - b);
        keepFigures('feed-server-redis-failover', {
          rounds: 5,
          rateHz: 1_000,
          messagesChecked: all.length,
          killToFirstResumedMessageMs: { median: sorted[2], max: sorted.at(-1), all: resumeMs },
        });
      }, 20_000);

      it('a replay that overlaps the live stream sends each entry once: 50 clients resume together on one backend while the feed runs', async () => {
        await publish(1_000);
        const a = await serve();
        const b = await serve();
        const first = await connect(a);
        first.send({ type: 'subscribe', channel: 'fast' });
        const seen = await first.messageCount('fast', 300);
        // Cursors from far back: each replay is long, and the feed keeps publishing while it is read and sent.
        const resumers = await Promise.all(Array.from({ length: 50 }, () => connect(b)));
        resumers.forEach((client, i) => {
          client.send({ type: 'subscribe', channel: 'fast', since: (seen[i * 5] as MessageFrame).cursor });
        });
        for (const [i, client] of resumers.entries()) {
          const messages = await client.messageCount('fast', 400);
          expect(client.frames[0]).toMatchObject({ recovered: true });
          expect(messages[0]?.data.n).toBe((seen[i * 5] as MessageFrame).data.n + 1);
          expect(breaksIn(messages)).toEqual([]);
        }
      }, 20_000);
    });

    describe('when history is trimmed past the cursor of a client that is away', () => {
      it('the client is answered recovered: false, then live messages follow', async () => {
        const publisher = await publish(0);
        const a = await serve();
        const client = await connect(a);
        client.send({ type: 'subscribe', channel: 'fast' });
        await client.next((f) => f.type === 'subscribed', 'subscribed');
        for (let n = 1; n <= 5; n++) await publisher.publish('fast', { n });
        const since = (await client.messageCount('fast', 5)).at(-1)?.cursor as string;
        client.close();
        for (let n = 6; n <= 50; n++) await publisher.publish('fast', { n });
        // What a MAXLEN trim does while the client is away: 6..40 gone, 41..50 kept.
        expect(await admin.xTrim(`${keyPrefix}stream:fast`, 'MAXLEN', 10)).toBe(40);

        const b = await serve();
        const back = await connect(b);
        back.send({ type: 'subscribe', channel: 'fast', since });
        await back.next((f) => f.type === 'subscribed', 'subscribed');
        await publisher.publish('fast', { n: 51 });
        await back.messageCount('fast', 1);
        expect(back.frames).toEqual([
          { type: 'subscribed', channel: 'fast', recovered: false },
          expect.objectContaining({ type: 'message', data: { n: 51 } }),
        ]);

        // A cursor still in the trimmed stream replays from there.
        const kept = await connect(b);
        const [oldest] = (await admin.xRange(`${keyPrefix}stream:fast`, '-', '+', { COUNT: 1 })) ?? [];
        kept.send({ type: 'subscribe', channel: 'fast', since: oldest?.id });
        expect((await kept.messageCount('fast', 10)).map((m) => m.data.n)).toEqual([
          42, 43, 44, 45, 46, 47, 48, 49, 50, 51,
        ]);
        expect(kept.frames[0]).toMatchObject({ recovered: true });
      });
    });

    describe('requests', () => {
      it('a repeated id on the other server gets the stored reply and is not run again', async () => {
        const a = await serve({ channels: ['c'] });
        const b = await serve({ channels: ['c'] });
        const onA = await connect(a);
        onA.send({ type: 'request', id: 'order-9', data: { op: 'incr', counter: 'orders' } });
        expect(await onA.next((f) => f.type === 'reply', 'the reply on A')).toEqual({
          type: 'reply',
          id: 'order-9',
          data: { value: 1 },
        });
        const onB = await connect(b);
        onB.send({ type: 'request', id: 'order-9', data: { op: 'incr', counter: 'orders' } });
        expect(await onB.next((f) => f.type === 'reply', 'the reply on B')).toEqual({
          type: 'reply',
          id: 'order-9',
          data: { value: 1 },
        });
        onB.send({ type: 'request', id: 'order-10', data: { op: 'incr', counter: 'orders' } });
        expect(await onB.next((f) => f.id === 'order-10', 'the new id')).toMatchObject({ data: { value: 2 } });
        expect([a.stats().executions, b.stats().executions, b.stats().repeats]).toEqual([1, 1, 1]);
        expect(await admin.get(`${keyPrefix}counter:orders`)).toBe('2');
        // Stored with the documented TTL (5 minutes by default).
        const ttl = await admin.pTTL(`${keyPrefix}request:"order-9"`);
        expect(ttl).toBeGreaterThan(290_000);
        expect(ttl).toBeLessThanOrEqual(300_000);
      });

      it('the same id sent to both servers at once runs once: both get the one reply', async () => {
        const a = await serve({ channels: ['c'] });
        const b = await serve({ channels: ['c'] });
        const [onA, onB] = await Promise.all([connect(a), connect(b)]);
        const rounds = 20;
        for (let i = 0; i < rounds; i++) {
          const frame = { type: 'request', id: `race-${i}`, data: { op: 'incr', counter: 'race' } };
          onA.send(frame);
          onB.send(frame);
        }
        await onA.changes.until(() => onA.frames.length === rounds, 5_000, 'replies on A');
        await onB.changes.until(() => onB.frames.length === rounds, 5_000, 'replies on B');
        const byId = (client: FeedClient) =>
          new Map(client.frames.map((f) => [f.id, JSON.stringify(f.data ?? f.error)]));
        expect(byId(onA)).toEqual(byId(onB));
        expect(a.stats().executions + b.stats().executions).toBe(rounds);
        expect(await admin.get(`${keyPrefix}counter:race`)).toBe(String(rounds));
      });

      it('a reply expires with requestTtlMs, by the Redis clock: after it, the id runs again', async () => {
        const a = await serve({ channels: ['c'], requestTtlMs: 300 });
        const client = await connect(a);
        client.send({ type: 'request', id: 'short', data: { op: 'incr', counter: 'k' } });
        await client.next((f) => f.type === 'reply', 'the reply');
        const key = `${keyPrefix}request:"short"`;
        const ttl = await admin.pTTL(key);
        expect(ttl).toBeGreaterThan(0);
        expect(ttl).toBeLessThanOrEqual(300);
        // Redis says nothing when a key expires: ask it until the key is gone (bounded).
        for (let tries = 0; (await admin.exists(key)) === 1; tries++) {
          expect(tries).toBeLessThan(100);
          await new Promise((resolve) => setTimeout(resolve, 20));
        }
        client.send({ type: 'request', id: 'short', data: { op: 'incr', counter: 'k' } });
        expect(await client.next((f) => f.type === 'reply', 'the second reply', 5_000, 1)).toMatchObject({
          data: { value: 2 },
        });
      });
    });

    describe('a publisher that restarts', () => {
      it('continues the numbering from the newest entry', async () => {
        const a = await serve();
        const client = await connect(a);
        client.send({ type: 'subscribe', channel: 'fast' });
        await client.next((f) => f.type === 'subscribed', 'subscribed');
        const first = await publish(500);
        await client.messageCount('fast', 20);
        await first.stop();
        await publish(500);
        const messages = await client.messageCount('fast', 60);
        expect(breaksIn(messages)).toEqual([]);
      });
    });
  },
);
