/**
 * History gone, with the library client and Redis: while the client is away, a channel's stream is trimmed past its
 * cursor. On its return the app is told, for that channel only (`onResume` with `recovered: false`), and the channel
 * goes on with live data; the other channels replay their gap.
 */
import { createClient } from 'redis';
import { startFeedPublisher, type Publisher } from '../../../examples/feed-server/publisher';
import { startFeedServer, type FeedServer } from '../../../examples/feed-server/server';
import { createExecutions, createProofClient, waitSubscribed, type ProofClient } from '../../helpers/feed-proof';
import { whenStatus } from '../../helpers/observe';
import { startRedis, type RedisServer } from '../../helpers/redis';
import { requireSystem } from '../../helpers/system';

const range = (from: number, to: number): number[] => Array.from({ length: to - from + 1 }, (_, i) => from + i);

requireSystem('redis-server').describe(
  'a resumable channel whose Redis history is trimmed while the client is away',
  (redisServerPath) => {
    let redis: RedisServer | undefined;
    let publisher: Publisher | undefined;
    let server: FeedServer | undefined;
    let client: ProofClient | undefined;
    beforeAll(async () => {
      redis = await startRedis({ binary: redisServerPath });
    }, 15_000);
    afterAll(async () => {
      client?.close();
      await server?.kill();
      await publisher?.stop();
      await redis?.stop();
    });

    it('tells the app recovered: false for the trimmed channel only, which goes on with live data; the others fill their gap', async () => {
      const url = (redis as RedisServer).url;
      const channels = ['a', 'b', 'c'];
      const executions = createExecutions();
      const serve = (port: number) =>
        startFeedServer({ port, redisUrl: url, channels, publish: false, operations: { take: executions.operation } });
      const feed = await startFeedPublisher({ redisUrl: url, channels, rateHz: 0, historyLength: 1_000 });
      publisher = feed;
      const publish = async (from: number, to: number): Promise<void> => {
        for (const n of range(from, to)) for (const channel of channels) await feed.publish(channel, { n });
      };
      server = await serve(0);
      const port = server.port;
      const proof = createProofClient({ name: 'away', url: server.url, channels });
      client = proof;
      const count = (channel: string): number => proof.delivered.get(channel)?.length ?? 0;
      await waitSubscribed(proof, channels.length, 10_000);
      await publish(1, 5);
      await proof.settled(5, 10_000, 'the first five messages');

      // Away: the server goes, and history moves on without the client.
      await server.close();
      await whenStatus(proof.socket.state$, 'reconnecting');
      await publish(6, 50);
      const admin = createClient({ url });
      await admin.connect();
      // What a MAXLEN trim does: 'a' keeps 41-50, its cursor (of 5) is gone; 'b' and 'c' keep everything.
      expect(await admin.xTrim('feed:stream:a', 'MAXLEN', 10)).toBe(40);
      admin.destroy();
      server = await serve(port);
      await proof.resumedAll(1, 10_000, 'the answers to the resubscriptions');
      await publish(51, 52);
      await proof.changes.until(
        () => count('a') >= 7 && count('b') >= 52 && count('c') >= 52,
        10_000,
        'the live messages after the return',
      );

      expect(proof.resumed.get('a')).toEqual([{ recovered: false, cursor: expect.any(String) }]);
      expect(proof.resumed.get('b')).toEqual([{ recovered: true, cursor: expect.any(String) }]);
      expect(proof.resumed.get('c')).toEqual([{ recovered: true, cursor: expect.any(String) }]);
      expect(proof.delivered.get('a')).toEqual([...range(1, 5), 51, 52]);
      expect(proof.delivered.get('b')).toEqual(range(1, 52));
      expect(proof.delivered.get('c')).toEqual(range(1, 52));
      expect(proof.errors).toEqual([]);
    }, 20_000);
  },
);
