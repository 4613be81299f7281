import { spawn, type ChildProcess } from 'node:child_process';
import { createClient } from 'redis';
import { once } from 'node:events';
import { startFeedPublisher, type Publisher } from '../../../examples/feed-server/publisher';
import { ROOT } from '../../helpers/child';
import { keepFigures } from '../../helpers/figures';
import { startNginx, type Nginx } from '../../helpers/nginx';
import { requireSystem } from '../../helpers/system';
import { startRedis, type RedisServer } from '../../helpers/redis';
import { Changes, within } from '../../helpers/wait';
import { createProofClient, type ProofClient } from '../../helpers/feed-proof';
import { breaksIn, FeedClient, type MessageFrame } from './feed-client';

/** A feed server process started from the command line, as an operator would. */
interface Backend {
  readonly port: number;
  readonly child: ChildProcess;
  readonly exited: Promise<unknown>;
}

async function startBackend(redisUrl: string): Promise<Backend> {
  const child = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      'examples/feed-server/main.ts',
      '--port',
      '0',
      '--redis',
      redisUrl,
      '--channels',
      'fast',
      '--no-publish',
      '--quiet',
    ],
    { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const exited = once(child, 'exit');
  let stdout = '';
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  // It prints one JSON line once it listens.
  const line = new Promise<string>((resolve, reject) => {
    child.stdout?.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      const end = stdout.indexOf('\n');
      if (end >= 0) resolve(stdout.slice(0, end));
    });
    void exited.then(() => reject(new Error(`the feed server exited before listening: ${stderr}`)));
  });
  const { port } = JSON.parse(await within(line, 15_000, 'the feed server to listen')) as { port: number };
  return { port, child, exited };
}

async function connectionsOf(backend: Backend): Promise<number> {
  const response = await fetch(`http://127.0.0.1:${backend.port}/health`);
  return ((await response.json()) as { connections: number }).connections;
}

requireSystem('nginx').describe('the reference feed server behind nginx, two backends on one Redis', (nginxPath) =>
  requireSystem('redis-server').describe('with Redis', (redisServerPath) => {
    let redis: RedisServer | undefined;
    let publisher: Publisher | undefined;
    let backends: Backend[] = [];
    let nginx: Nginx | undefined;
    const clients: FeedClient[] = [];

    beforeAll(async () => {
      redis = await startRedis({ binary: redisServerPath });
      publisher = await startFeedPublisher({ redisUrl: redis.url, channels: ['fast'], rateHz: 500 });
      backends = await Promise.all([startBackend(redis.url), startBackend(redis.url)]);
      nginx = await startNginx({ upstreamPorts: backends.map((b) => b.port), binary: nginxPath });
    }, 30_000);

    afterAll(async () => {
      for (const client of clients) client.close();
      await nginx?.stop();
      for (const backend of backends) {
        if (backend.child.exitCode === null && backend.child.signalCode === null) backend.child.kill('SIGKILL');
        await backend.exited;
      }
      await publisher?.stop();
      await redis?.stop();
    });

    it('when the backend a client is on is killed, the client reconnects through nginx to the other and resumes: no gap, no duplicate', async () => {
      const proxy = nginx as Nginx;
      /** One reader: it subscribes, and after a cut reconnects through nginx with the last cursor it got. */
      const read = async () => {
        const received: MessageFrame[] = [];
        const answers: unknown[] = [];
        let client = await FeedClient.connect(proxy.url);
        clients.push(client);
        client.send({ type: 'subscribe', channel: 'fast' });
        await client.messageCount('fast', 50);
        return {
          received,
          answers,
          get client() {
            return client;
          },
          async resume(): Promise<number> {
            await client.closed();
            received.push(...client.messages('fast'));
            const since = received.at(-1)?.cursor as string;
            client = await FeedClient.connect(proxy.url);
            clients.push(client);
            client.send({ type: 'subscribe', channel: 'fast', since });
            await client.messageCount('fast', 50);
            answers.push(client.frames[0]);
            // When the first resumed message arrived (frame 0 is the subscribed answer).
            return client.arrivals[1] as number;
          },
          finish(): MessageFrame[] {
            return [...received, ...client.messages('fast')];
          },
        };
      };
      const readers = await Promise.all(Array.from({ length: 6 }, () => read()));
      // nginx balances round-robin: both backends have readers.
      const counts = await Promise.all(backends.map(connectionsOf));
      expect(counts).toEqual([3, 3]);
      const victim = backends[0] as Backend;
      const killedAt = performance.now();
      victim.child.kill('SIGKILL');
      await victim.exited;
      // The readers that were on it are cut (nginx closes their side) and resume at once; the others read on.
      const firstClients = readers.map((reader) => reader.client);
      const resumedAt: number[] = [];
      const progress = new Changes();
      let ending = false;
      for (const reader of readers) {
        void reader.client.whenClosed.then(async () => {
          if (ending) return;
          resumedAt.push(await reader.resume());
          progress.notify();
        });
      }
      await progress.until(() => resumedAt.length === 3, 10_000, 'three readers to resume');
      const cut = firstClients.map((client) => client.closeInfo !== undefined);
      expect(await connectionsOf(backends[1] as Backend)).toBe(6);
      for (const [i, reader] of readers.entries()) {
        if (!cut[i]) await reader.client.messageCount('fast', reader.client.messages('fast').length + 50);
        const messages = reader.finish();
        expect(breaksIn(messages)).toEqual([]);
        expect(new Set(messages.map((m) => m.cursor)).size).toBe(messages.length);
      }
      expect(readers.flatMap((r) => r.answers)).toEqual(
        Array.from({ length: 3 }, () => ({ type: 'subscribed', channel: 'fast', recovered: true })),
      );
      expect(cut.filter(Boolean)).toHaveLength(3);
      ending = true;
      const checked = readers.reduce((sum, r) => sum + r.finish().length, 0);
      keepFigures('feed-server-nginx-failover', {
        readers: 6,
        cut: 3,
        rateHz: 500,
        messagesChecked: checked,
        killToFirstResumedMessageMs: resumedAt.map((t) => t - killedAt),
      });
    }, 30_000);
  }),
);

requireSystem('nginx').describe(
  'the library client behind nginx, two feed server processes on one Redis',
  (nginxPath) =>
    requireSystem('redis-server').describe('with Redis', (redisServerPath) => {
      let redis: RedisServer | undefined;
      let publisher: Publisher | undefined;
      let backends: Backend[] = [];
      let nginx: Nginx | undefined;
      let client: ProofClient | undefined;

      beforeAll(async () => {
        redis = await startRedis({ binary: redisServerPath });
        publisher = await startFeedPublisher({ redisUrl: redis.url, channels: ['fast'], rateHz: 500 });
        backends = await Promise.all([startBackend(redis.url), startBackend(redis.url)]);
        nginx = await startNginx({ upstreamPorts: backends.map((b) => b.port), binary: nginxPath });
      }, 30_000);

      afterAll(async () => {
        client?.close();
        await nginx?.stop();
        for (const backend of backends) {
          if (backend.child.exitCode === null && backend.child.signalCode === null) backend.child.kill('SIGKILL');
          await backend.exited;
        }
        await publisher?.stop();
        await redis?.stop();
      });

      it('when the backend it is on is killed mid-stream, it resumes on the other: no gap, no duplicate, every request answered once', async () => {
        const proof = createProofClient({
          name: 'nginx',
          url: (nginx as Nginx).url,
          channels: ['fast'],
          // The built-in operation: a counter per request, so a reply of 1 says it ran once.
          requestData: (n) => ({ op: 'incr', counter: `request-${n}` }),
        });
        client = proof;
        const delivered = proof.delivered.get('fast') as number[];
        await proof.changes.until(() => delivered.length >= 100, 10_000, '100 messages');
        // Which backend nginx gave the client.
        const counts = await Promise.all(backends.map(connectionsOf));
        expect([...counts].sort()).toEqual([0, 1]);
        const victim = backends[counts.indexOf(1)] as Backend;
        const survivor = backends[counts.indexOf(0)] as Backend;
        const before = delivered.length;
        // Requests are in flight when the backend dies: made in this same turn, none answered yet.
        proof.ask(200);
        const killedAt = performance.now();
        victim.child.kill('SIGKILL');
        await victim.exited;
        await proof.resumedAll(1, 10_000, 'the resubscription on the other backend');
        const resumedAfterMs = performance.now() - killedAt;
        proof.ask(200);
        await proof.settled(before + 300, 10_000, '300 more messages and every reply');

        expect(await connectionsOf(survivor)).toBe(1);
        expect(proof.resumed.get('fast')).toEqual([{ recovered: true, cursor: expect.any(String) }]);
        expect(proof.errors).toEqual([]);
        // No gap, no duplicate across the failover: the publisher numbers the messages one by one.
        const first = delivered[0] as number;
        expect(delivered).toEqual(Array.from({ length: delivered.length }, (_, i) => first + i));
        // Each request answered once; each ran once (its counter is 1), but one whose backend died between running it
        // and storing its reply is answered in_progress: run at most once across a crash (docs/protocol.md).
        const answers = [...proof.replies.values()];
        expect(answers.every((list) => list.length === 1)).toBe(true);
        expect(proof.replies.size).toBe(400);
        const inProgress = answers.filter((list) => list[0]?.error?.code === 'in_progress').length;
        const once = answers.filter((list) => list[0]?.data?.value === 1).length;
        expect(once + inProgress).toBe(400);
        // What the server side did: no counter moved twice.
        const admin = createClient({ url: (redis as RedisServer).url });
        await admin.connect();
        const values = await admin.mGet(Array.from({ length: 400 }, (_, i) => `feed:counter:request-${i + 1}`));
        admin.destroy();
        expect(values.filter((value) => value !== null && value !== '1')).toEqual([]);
        expect(values.filter((value) => value === '1').length).toBeGreaterThanOrEqual(once);
        keepFigures('feed-server-nginx-library-failover', {
          messagesChecked: delivered.length,
          requests: 400,
          answeredRanOnce: once,
          answeredInProgress: inProgress,
          killToResumeAnswerMs: resumedAfterMs,
        });
      }, 30_000);
    }),
);
