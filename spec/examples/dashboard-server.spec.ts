/**
 * The dashboard's server (`npm start`) as a feed: its `/feed` endpoint speaks the reference protocol over a history
 * that outlives a restart of the listener (in this process's memory, or in Redis), and its fault controls break the
 * connections of both endpoints. A plain `ws` client plays the page's part, frame by frame.
 */
import { WebSocket } from 'ws';
import { startDashboard, type Dashboard } from '../../examples/dashboard/server';
import { startRedis, type RedisServer } from '../helpers/redis';
import { requireSystem } from '../helpers/system';
import { Changes } from '../helpers/wait';

interface Frame {
  readonly type: string;
  readonly channel?: string;
  readonly recovered?: boolean;
  readonly cursor?: string;
  readonly id?: string;
  readonly data?: { readonly n?: number; readonly t?: number; readonly value?: number };
}

/** A client of one connection: every frame it got, and how it closed. */
interface FeedClient {
  readonly frames: Frame[];
  readonly changes: Changes;
  closed: { readonly code: number } | undefined;
  send(frame: object): void;
  /** Resolves once `condition(frames)` holds. */
  until(condition: (frames: readonly Frame[]) => boolean, what: string, timeoutMs?: number): Promise<void>;
  close(): void;
}

async function feedClient(url: string): Promise<FeedClient> {
  const socket = new WebSocket(url);
  const changes = new Changes();
  const client: FeedClient = {
    frames: [],
    changes,
    closed: undefined,
    send: (frame) => socket.send(JSON.stringify(frame)),
    until: (condition, what, timeoutMs = 10_000) => changes.until(() => condition(client.frames), timeoutMs, what),
    close: () => socket.terminate(),
  };
  socket.on('message', (data) => {
    client.frames.push(JSON.parse((data as Buffer).toString('utf8')) as Frame);
    changes.notify();
  });
  socket.on('close', (code) => {
    client.closed = { code };
    changes.notify();
  });
  socket.on('error', () => undefined);
  await new Promise<void>((resolve, reject) => {
    socket.once('open', () => resolve());
    socket.once('error', reject);
  });
  return client;
}

const messagesOf = (frames: readonly Frame[], channel: string): Frame[] =>
  frames.filter((frame) => frame.type === 'message' && frame.channel === channel);

/** Connects, subscribes to `channel` (from `since`, when given) and waits for its answer and `count` messages. */
async function subscribed(url: string, channel: string, since: string | undefined, count: number) {
  const client = await feedClient(url);
  client.send({ type: 'subscribe', channel, ...(since !== undefined && { since }) });
  await client.until(
    (frames) => frames.some((frame) => frame.type === 'subscribed') && messagesOf(frames, channel).length >= count,
    `the answer and ${count} messages of ${channel}`,
  );
  return client;
}

const post = async (dashboard: Dashboard, path: string): Promise<unknown> => {
  const response = await fetch(`http://127.0.0.1:${dashboard.port}${path}`, { method: 'POST' });
  expect(response.status).toBeLessThan(300);
  return response.json();
};

/** The `n` of every message of `channel`, in order. */
const numbers = (frames: readonly Frame[], channel: string): number[] =>
  messagesOf(frames, channel).map((frame) => frame.data?.n ?? -1);

const contiguous = (ns: readonly number[]): boolean =>
  ns.every((n, index) => index === 0 || n === (ns[index - 1] ?? 0) + 1);

describe('the dashboard server, history in memory', () => {
  let dashboard: Dashboard;
  let feedUrl: string;
  const clients: FeedClient[] = [];
  const track = (client: FeedClient): FeedClient => (clients.push(client), client);
  /** What the server printed: a restart says when its listener is back. */
  const lines: string[] = [];
  const printed = new Changes();
  const listenerBack = async (): Promise<void> => {
    const before = lines.filter((line) => line.startsWith('listener back')).length;
    await printed.until(
      () => lines.filter((line) => line.startsWith('listener back')).length > before,
      5_000,
      'the listener to be back',
    );
  };

  beforeAll(async () => {
    dashboard = await startDashboard({
      port: 0,
      host: '127.0.0.1',
      restartDowntimeMs: 500,
      log: (line) => {
        lines.push(line);
        printed.notify();
      },
    });
    feedUrl = `ws://127.0.0.1:${dashboard.port}/feed`;
  }, 30_000);

  afterEach(() => {
    for (const client of clients.splice(0)) client.close();
  });

  afterAll(() => dashboard.stop(), 10_000);

  it('publishes each channel numbered from 1 with no gap, and says where its history is', async () => {
    const client = track(await subscribed(feedUrl, 'cpu', undefined, 5));
    const ns = numbers(client.frames, 'cpu');
    expect(contiguous(ns)).toBe(true);
    expect(dashboard.history).toBe('memory');
    const status = (await (await fetch(`http://127.0.0.1:${dashboard.port}/api/status`)).json()) as object;
    expect(status).toMatchObject({ history: 'memory' });
    client.send({ type: 'request', id: 'status-1', data: { op: 'status' } });
    await client.until((frames) => frames.some((frame) => frame.id === 'status-1'), 'the status reply');
    expect(client.frames.find((frame) => frame.id === 'status-1')).toEqual({
      type: 'reply',
      id: 'status-1',
      data: { instance: 1, history: 'memory', connections: 1 },
    });
  });

  it('keeps the history across a restart: a client resumes from its cursor with nothing missing', async () => {
    const first = track(await subscribed(feedUrl, 'BTC-USD', undefined, 5));
    const back = listenerBack();
    await post(dashboard, '/fault/restart');
    await first.until(() => first.closed !== undefined, 'the close');
    expect(first.closed).toEqual({ code: 1012 });
    const before = messagesOf(first.frames, 'BTC-USD');
    const last = before.at(-1);
    await back;
    const backAt = Date.now();
    const second = track(await subscribed(feedUrl, 'BTC-USD', last?.cursor ?? '', 40));
    expect(second.frames[0]).toEqual({ type: 'subscribed', channel: 'BTC-USD', recovered: true });
    const ns = [...numbers(first.frames, 'BTC-USD'), ...numbers(second.frames, 'BTC-USD')];
    expect(contiguous(ns)).toBe(true);
    // Published while the listener was down (500 ms at 50 a second), and replayed.
    const replayed = messagesOf(second.frames, 'BTC-USD').filter((frame) => (frame.data?.t ?? Infinity) < backAt);
    expect(replayed.length).toBeGreaterThan(10);
  }, 20_000);

  it('forgets the history on the forget fault: a client resuming from before it is answered recovered: false', async () => {
    const first = track(await subscribed(feedUrl, 'ETH-USD', undefined, 5));
    const back = listenerBack();
    await post(dashboard, '/fault/forget');
    await first.until(() => first.closed !== undefined, 'the close');
    expect(first.closed).toEqual({ code: 1012 });
    const cursor = messagesOf(first.frames, 'ETH-USD').at(-1)?.cursor ?? '';
    await back;
    const second = track(await subscribed(feedUrl, 'ETH-USD', cursor, 1));
    expect(second.frames[0]).toEqual({ type: 'subscribed', channel: 'ETH-USD', recovered: false });
    // Live from there on: the numbering jumps over what was forgotten.
    const lastBefore = numbers(first.frames, 'ETH-USD').at(-1) ?? 0;
    expect(numbers(second.frames, 'ETH-USD')[0]).toBeGreaterThan(lastBefore + 1);
  }, 20_000);

  it('stalls the open connections on the silent fault with stall=1: nothing answered, then cut; the feed goes on', async () => {
    const first = track(await subscribed(feedUrl, 'requests', undefined, 3));
    await post(dashboard, '/fault/silent?ms=600&stall=1');
    first.send({ type: 'request', id: 'ping-in-stall', data: { op: 'echo' } });
    await first.until(() => first.closed !== undefined, 'the cut', 5_000);
    expect(first.closed).toEqual({ code: 1006 });
    expect(first.frames.some((frame) => frame.id === 'ping-in-stall')).toBe(false);
    const cursor = messagesOf(first.frames, 'requests').at(-1)?.cursor ?? '';
    const second = track(await subscribed(feedUrl, 'requests', cursor, 10));
    expect(second.frames[0]).toEqual({ type: 'subscribed', channel: 'requests', recovered: true });
    expect(contiguous([...numbers(first.frames, 'requests'), ...numbers(second.frames, 'requests')])).toBe(true);
  }, 20_000);

  it('closes the clients of both endpoints with the code asked for', async () => {
    const feed = track(await subscribed(feedUrl, 'memory', undefined, 1));
    const legacy = track(await feedClient(`ws://127.0.0.1:${dashboard.port}/ws`));
    await legacy.until((frames) => frames.some((frame) => frame.type === 'hello'), 'the hello');
    // Both, and any a previous test let go of that the server has not seen close yet.
    const reply = (await post(dashboard, '/fault/close?code=4001')) as { clients: number; code: number };
    expect(reply.code).toBe(4001);
    expect(reply.clients).toBeGreaterThanOrEqual(2);
    await feed.until(() => feed.closed !== undefined, 'the close of the feed client');
    await legacy.until(() => legacy.closed !== undefined, 'the close of the dashboard.v1 client');
    expect([feed.closed, legacy.closed]).toEqual([{ code: 4001 }, { code: 4001 }]);
  });
});

requireSystem('redis-server').describe('the dashboard server, history in Redis', (redisServerPath) => {
  let redis: RedisServer;
  let dashboard: Dashboard | undefined;

  beforeAll(async () => {
    redis = await startRedis({ binary: redisServerPath });
  }, 20_000);

  afterAll(async () => {
    await dashboard?.stop();
    await redis?.stop();
  }, 20_000);

  it('keeps the history in Redis: a dashboard started again on it goes on numbering, and resumes a cursor of the first', async () => {
    dashboard = await startDashboard({ port: 0, host: '127.0.0.1', redisUrl: redis.url, log: false });
    expect(dashboard.history).toBe('redis');
    const first = await subscribed(`ws://127.0.0.1:${dashboard.port}/feed`, 'cpu', undefined, 5);
    first.close();
    await dashboard.stop();
    dashboard = await startDashboard({ port: 0, host: '127.0.0.1', redisUrl: redis.url, log: false });
    const cursor = messagesOf(first.frames, 'cpu').at(-1)?.cursor ?? '';
    const second = await subscribed(`ws://127.0.0.1:${dashboard.port}/feed`, 'cpu', cursor, 5);
    try {
      expect(second.frames[0]).toEqual({ type: 'subscribed', channel: 'cpu', recovered: true });
      expect(contiguous([...numbers(first.frames, 'cpu'), ...numbers(second.frames, 'cpu')])).toBe(true);
    } finally {
      second.close();
    }
  }, 30_000);
});
