/**
 * A feed server on Redis that stops while requests run: it stores the replies of the requests it already took
 * before its store closes, and takes no new one from a connection it is closing. A client that resends the ids to
 * another server gets the stored replies, not `in_progress` for the whole reply TTL.
 */
import { startFeedServer, type FeedServer } from '../../../examples/feed-server/server';
import { createExecutions } from '../../helpers/feed-proof';
import { startRedis, type RedisServer } from '../../helpers/redis';
import { requireSystem } from '../../helpers/system';
import { FeedClient } from './feed-client';

const N = 300;

requireSystem('redis-server').describe('a feed server on Redis that stops while requests run', (redisServerPath) => {
  let redis: RedisServer | undefined;
  const servers: FeedServer[] = [];
  const clients: FeedClient[] = [];
  let prefixes = 0;
  beforeAll(async () => {
    redis = await startRedis({ binary: redisServerPath });
  }, 15_000);
  afterEach(async () => {
    for (const client of clients.splice(0)) client.close();
    await Promise.all(servers.splice(0).map((server) => server.kill()));
  });
  afterAll(async () => {
    await redis?.stop();
  });

  describe.each([
    ['close() (1001)', (server: FeedServer) => server.close()],
    ['kill() (connections cut)', (server: FeedServer) => server.kill()],
  ])('with %s', (_how, stop) => {
    it(`of ${N} requests sent just before the stop, each resent to another server is answered with its one run`, async () => {
      const keyPrefix = `shutdown${++prefixes}:`;
      const executions = createExecutions();
      const serve = async (): Promise<FeedServer> => {
        const server = await startFeedServer({
          redisUrl: (redis as RedisServer).url,
          keyPrefix,
          channels: ['c'],
          publish: false,
          pendingWaitMs: 100,
          operations: { take: executions.operation },
          log: false,
        });
        servers.push(server);
        return server;
      };
      const frame = (i: number) => ({ type: 'request', id: `r${i}`, data: { op: 'take', client: 'one', n: i } });
      const a = await serve();
      const onA = await FeedClient.connect(a.url);
      clients.push(onA);
      for (let i = 0; i < N; i++) onA.send(frame(i));
      // The stop comes as the first request runs, while the rest are still arriving.
      await executions.changes.until(() => (executions.runs.get('one')?.length ?? 0) > 0, 5_000, 'the first run');
      await stop(a);

      const b = await serve();
      const onB = await FeedClient.connect(b.url);
      clients.push(onB);
      for (let i = 0; i < N; i++) onB.send(frame(i));
      await onB.changes.until(() => onB.frames.length === N, 10_000, `${N} replies`);
      const wrong = onB.frames.filter((f) => (f.data as { runs?: number } | undefined)?.runs !== 1);
      expect(wrong).toEqual([]);
      expect(executions.runs.get('one')).toHaveLength(N);
    });
  });
});
