/**
 * Resumable channels against the reference feed server (examples/feed-server, history in memory), through a TCP proxy
 * on loopback that cuts the connections: every message published is delivered exactly once and in order per channel
 * across the cuts, and a channel whose history is gone tells the app and goes on with live data.
 */
import { constantBackoff, fromWebSocket, json, multiplex, type ResumeEvent } from '../../lib/index';
import { startFeedServer, type FeedServer } from '../../examples/feed-server/server';
import { closeAfterEach } from '../helpers/cleanup';
import { whenStatus } from '../helpers/observe';
import { startTcpProxy, type TcpProxy } from '../helpers/tcp-proxy';
import { Changes } from '../helpers/wait';

type ServerMsg =
  | { readonly type: 'subscribed'; readonly channel: string; readonly recovered?: boolean }
  | { readonly type: 'message'; readonly channel: string; readonly cursor: string; readonly data: { n: number } }
  | { readonly type: 'unsubscribed' | 'error'; readonly channel: string };
type ClientMsg =
  | { readonly type: 'subscribe'; readonly channel: string; readonly since?: string }
  | { readonly type: 'unsubscribe'; readonly channel: string };
type Message = Extract<ServerMsg, { type: 'message' }>;

const track = closeAfterEach();
let feed: FeedServer | undefined;
let proxy: TcpProxy | undefined;
afterEach(async () => {
  await proxy?.close();
  await feed?.kill();
  proxy = undefined;
  feed = undefined;
});

/**
 * A client on `url` with one resumable channel per name, recording what each delivers and each resume event. It
 * reconnects 20 ms after a drop, or only when told (`reconnect()`) while `away` is set.
 */
function client(url: string, names: readonly string[]) {
  const control = { away: false };
  const socket = track(
    fromWebSocket<ServerMsg, ClientMsg>(url, {
      ...json<ServerMsg, ClientMsg>(),
      reconnect: { backoff: (attempt) => (control.away ? 60_000 : constantBackoff({ delayMs: 20 })(attempt)) },
    }),
  );
  const changes = new Changes();
  const delivered = new Map<string, number[]>(names.map((name) => [name, []]));
  const resumed = new Map<string, ResumeEvent[]>(names.map((name) => [name, []]));
  const errors: unknown[] = [];
  let answers = 0;
  socket.message$.subscribe((msg) => {
    if (msg.type === 'subscribed') answers++;
    changes.notify();
  });
  for (const name of names) {
    multiplex(
      socket,
      (cursor): ClientMsg => ({ type: 'subscribe', channel: name, ...(cursor !== undefined && { since: cursor }) }),
      (): ClientMsg => ({ type: 'unsubscribe', channel: name }),
      (msg): msg is Message => msg.type === 'message' && msg.channel === name,
      {
        cursorOf: (msg) => msg.cursor,
        isRecovered: (msg) => (msg.type === 'subscribed' && msg.channel === name ? msg.recovered : undefined),
        onResume: (event) => {
          resumed.get(name)?.push(event);
          changes.notify();
        },
      },
    ).subscribe({
      next: (msg) => {
        delivered.get(name)?.push(msg.data.n);
        changes.notify();
      },
      error: (error: unknown) => errors.push(error),
    });
  }
  const count = (map: Map<string, unknown[]>, name: string) => map.get(name)?.length ?? 0;
  return {
    socket,
    control,
    delivered,
    resumed,
    errors,
    /** Resolves once every channel has delivered `n` messages. */
    deliveredAll: (n: number, what: string) =>
      changes.until(() => names.every((name) => count(delivered, name) >= n), 10_000, what),
    /** Resolves once the server has answered the first subscribe of every channel: live messages reach it from then. */
    subscribed: () => changes.until(() => answers >= names.length, 10_000, 'the first subscriptions'),
    /** Resolves once every channel has been told of `n` resubscriptions. */
    resumedAll: (n: number, what: string) =>
      changes.until(() => names.every((name) => count(resumed, name) >= n), 10_000, what),
  };
}

/** A small seeded generator, so that where the cuts fall is the same from run to run. */
function seeded(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state * 1_103_515_245 + 12_345) % 2 ** 31;
    return state / 2 ** 31;
  };
}

const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);

describe('a resumable channel against the reference feed server', () => {
  it('delivers every published message exactly once and in order per channel while the connection is cut again and again', async () => {
    const channels = ['a', 'b', 'c'];
    const perRound = 134;
    const rounds = 6;
    feed = await startFeedServer({ channels, publish: false, historyLength: 1_000, log: false });
    proxy = await startTcpProxy(feed.port);
    const { delivered, resumed, errors, subscribed, deliveredAll, resumedAll } = client(proxy.url, channels);
    await subscribed();
    // One message per channel first, so that every channel has a cursor before the first cut.
    let next = 1;
    for (const name of channels) await feed.publish(name, { n: next });
    next++;
    await deliveredAll(1, 'the first message of every channel');

    const random = seeded(7);
    for (let round = 1; round <= rounds; round++) {
      // Half the rounds cut in the middle of a chunk while the batch streams, half cut everything right after it.
      const midChunk = round % 2 === 1;
      if (midChunk) proxy.cutMidChunk(random);
      for (let i = 0; i < perRound; i++, next++) {
        for (const name of channels) await feed.publish(name, { n: next });
      }
      if (!midChunk) proxy.cutAll();
      await resumedAll(round, `the resubscriptions of round ${round}`);
    }
    const total = next - 1;
    await deliveredAll(total, `all ${total} messages of every channel`);

    expect(total * channels.length).toBeGreaterThanOrEqual(2_000);
    for (const name of channels) {
      expect(delivered.get(name)).toEqual(range(1, total));
      expect(resumed.get(name)?.map((event) => event.recovered)).toEqual(Array<boolean>(rounds).fill(true));
      expect(resumed.get(name)?.every((event) => event.cursor !== undefined)).toBe(true);
    }
    expect(proxy.accepted).toBe(rounds + 1);
    expect(proxy.midChunkCuts).toBe(rounds / 2);
    expect(errors).toEqual([]);
  }, 30_000);

  it('when the history no longer reaches its cursor, tells the app recovered: false for that channel only, and goes on with live data', async () => {
    feed = await startFeedServer({ channels: ['a', 'b'], publish: false, historyLength: 5, log: false });
    proxy = await startTcpProxy(feed.port);
    const { socket, control, delivered, resumed, errors, subscribed, deliveredAll, resumedAll } = client(proxy.url, [
      'a',
      'b',
    ]);
    await subscribed();
    for (const n of [1, 2, 3]) {
      await feed.publish('a', { n });
      await feed.publish('b', { n });
    }
    await deliveredAll(3, 'the first messages');

    // The client is away, waiting to reconnect, until told to.
    control.away = true;
    proxy.cutAll();
    await whenStatus(socket.state$, 'reconnecting');
    for (const n of range(4, 20)) await feed.publish('a', { n }); // 'a' keeps 16-20 only: cursor of 3 is gone
    await feed.publish('b', { n: 4 }); // 'b' keeps 1-4: its gap can be filled
    control.away = false;
    socket.reconnect();
    await resumedAll(1, 'the answers to the resubscriptions');
    for (const n of [21, 22]) await feed.publish('a', { n });
    await feed.publish('b', { n: 5 });
    await deliveredAll(5, 'the live messages after the resubscription');

    expect(resumed.get('a')).toEqual([{ recovered: false, cursor: expect.any(String) }]);
    expect(resumed.get('b')).toEqual([{ recovered: true, cursor: expect.any(String) }]);
    expect(delivered.get('a')).toEqual([1, 2, 3, 21, 22]);
    expect(delivered.get('b')).toEqual([1, 2, 3, 4, 5]);
    expect(errors).toEqual([]);
  }, 30_000);
});
