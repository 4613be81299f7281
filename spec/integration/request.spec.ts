import { lastValueFrom, map, mergeMap, range, tap, toArray } from 'rxjs';
import { constantBackoff, fromWebSocket, json, request, RequestTimeoutError } from '../../lib/index';
import { startFeedServer, type FeedServer } from '../../examples/feed-server/server';
import { closeAfterEach } from '../helpers/cleanup';
import { startTcpProxy, type TcpProxy } from '../helpers/tcp-proxy';
import { Changes } from '../helpers/wait';

type Reply = { type: 'reply'; id: string; data?: { value: number }; error?: { code: string; message: string } };
type ServerFrame = Reply | { type: string };
type RequestFrame = { type: 'request'; id: string; data: { op: 'incr' | 'incrThenCut'; counter: string } };

const isReply = (frame: ServerFrame, id: string): frame is Reply =>
  frame.type === 'reply' && (frame as Reply).id === id;

describe('request() against the reference feed server, its connections cut while requests wait', () => {
  const track = closeAfterEach();
  let server: FeedServer | undefined;
  let proxy: TcpProxy | undefined;
  afterEach(async () => {
    await proxy?.close();
    await server?.kill();
    proxy = server = undefined;
  });

  it("answers every one of 2,000 requests exactly once with resend: 'on-reconnect', and the server runs each id once", async () => {
    const N = 2_000;
    const CUT_AT = [300, 900, 1_500]; // replies received when the client's side cuts every connection
    const SERVER_CUTS = new Set([600, 1_200, 1_800]); // requests whose reply is lost: run, then every connection cut
    let cutter: TcpProxy | undefined;
    server = await startFeedServer({
      publish: false,
      channels: [],
      log: false,
      operations: {
        // The request runs and its reply is stored, then the connection dies before the reply can leave.
        incrThenCut: async ({ counter }, context) => {
          const value = await context.increment(String(counter));
          cutter?.cutAll();
          return { value };
        },
      },
    });
    proxy = cutter = await startTcpProxy(server.port);
    const socket = track(
      fromWebSocket<ServerFrame, RequestFrame>(proxy.url, {
        ...json<ServerFrame, RequestFrame>(),
        reconnect: { backoff: constantBackoff({ delayMs: 20, jitter: 'none' }) },
      }),
    );
    const cuts = proxy;
    let answered = 0;
    const replies = await lastValueFrom(
      range(0, N).pipe(
        // Up to 300 requests wait at any time, so every cut leaves some sent and unanswered.
        mergeMap(
          (n) =>
            request(
              socket,
              (id) => ({
                type: 'request',
                id,
                data: { op: SERVER_CUTS.has(n) ? 'incrThenCut' : 'incr', counter: `c${n}` },
              }),
              {
                isReply,
                resend: 'on-reconnect',
                timeoutMs: 15_000,
              },
            ).pipe(map((reply) => ({ n, reply }))),
          300,
        ),
        tap(() => {
          if (CUT_AT.includes(++answered)) cuts.cutAll();
        }),
        toArray(),
      ),
    );

    expect(replies).toHaveLength(N);
    // Each request got its one reply, and the reply says its counter moved once: run once, however often it was sent.
    const byN = new Map(replies.map(({ n, reply }) => [n, reply]));
    expect(byN.size).toBe(N);
    const notOnce = replies.filter(({ reply }) => reply.error !== undefined || reply.data?.value !== 1);
    expect(notOnce).toEqual([]);
    expect(new Set(replies.map(({ reply }) => reply.id)).size).toBe(N);
    const { executions, repeats } = server.stats();
    expect(executions).toBe(N);
    // The cuts did happen: six times every connection went, and the client came back each time.
    expect(proxy.accepted).toBeGreaterThanOrEqual(1 + CUT_AT.length + SERVER_CUTS.size);
    // At least the requests whose reply a cut lost were sent again, and answered from the store without running again.
    expect(repeats).toBeGreaterThanOrEqual(SERVER_CUTS.size);
  }, 30_000);
});

describe('request() against the reference feed server: the checklist', () => {
  type Frame = Reply | { type: 'request'; id: string; data: Record<string, unknown> };
  const track = closeAfterEach();
  let server: FeedServer | undefined;
  let proxy: TcpProxy | undefined;
  /** Requests held by the `hold` operation until the spec lets them go, by the `key` they were given. */
  const held = new Map<string, () => void>();
  const cancelled: string[] = [];
  /** Notified by every event the specs wait for. */
  const changes = new Changes();
  afterEach(async () => {
    for (const release of held.values()) release();
    held.clear();
    cancelled.length = 0;
    await proxy?.close();
    await server?.kill();
    proxy = server = undefined;
  });

  /** A feed server (in memory) with `hold` (answers when let go) and `cancel` (records the id it is told to drop). */
  async function start(): Promise<{ socket: ReturnType<typeof fromWebSocket<ServerFrame, Frame>>; seen: Reply[] }> {
    server = await startFeedServer({
      publish: false,
      channels: [],
      log: false,
      operations: {
        hold: ({ key }) =>
          new Promise((resolve) => {
            held.set(String(key), () => resolve(undefined));
            changes.notify();
          }).then(() => ({ value: 7 })),
        cancel: ({ target }) => {
          cancelled.push(String(target));
          changes.notify();
          return null;
        },
      },
    });
    proxy = await startTcpProxy(server.port);
    const socket = track(
      fromWebSocket<ServerFrame, Frame>(proxy.url, {
        ...json<ServerFrame, Frame>(),
        reconnect: { backoff: constantBackoff({ delayMs: 20, jitter: 'none' }) },
      }),
    );
    // Every reply that reaches the socket, whoever waits for it: what the requests ignored is counted here.
    const seen: Reply[] = [];
    socket.message$.subscribe((frame) => {
      if (frame.type === 'reply') seen.push(frame as Reply);
      changes.notify();
    });
    return { socket, seen };
  }
  const hold = (key: string) => (id: string) => ({ type: 'request', id, data: { op: 'hold', key } }) as const;
  const waitFor = (condition: () => boolean, what: string) => changes.until(condition, 5_000, what);
  /** The observer of a request: what it emitted or errored with, in `outcome`. */
  const into = (outcome: unknown[]) => ({
    next: (reply: unknown) => {
      outcome.push(reply);
      changes.notify();
    },
    error: (error: unknown) => {
      outcome.push(error);
      changes.notify();
    },
  });

  it('times out with RequestTimeoutError, and the reply that comes later is ignored (seen on message$, not emitted)', async () => {
    const { socket, seen } = await start();
    const outcome: unknown[] = [];
    request(socket, hold('slow'), { isReply, timeoutMs: 200 }).subscribe(into(outcome));
    await waitFor(() => outcome.length > 0, 'the timeout');
    expect(outcome).toEqual([expect.any(RequestTimeoutError)]);
    held.get('slow')?.();
    await waitFor(() => seen.length > 0, 'the late reply');
    expect(seen).toEqual([{ type: 'reply', id: (outcome[0] as RequestTimeoutError).id, data: { value: 7 } }]);
    expect(outcome).toHaveLength(1);
  });

  it('with timeoutMs: Infinity, waits for a reply however late: no timer is set (a real one would fire at once)', async () => {
    const { socket } = await start();
    const outcome: unknown[] = [];
    request(socket, hold('forever'), { isReply, timeoutMs: Infinity }).subscribe(into(outcome));
    await waitFor(() => held.has('forever'), 'the server holding the request');
    // A second request, answered, so that the first has waited two round trips.
    const second: unknown[] = [];
    request(socket, hold('next'), { isReply, timeoutMs: 5_000 }).subscribe(into(second));
    await waitFor(() => held.has('next'), 'the server holding the second request');
    held.get('next')?.();
    await waitFor(() => second.length > 0, 'the second reply');
    expect(outcome).toEqual([]);
    held.get('forever')?.();
    await waitFor(() => outcome.length > 0, 'the late reply');
    expect(outcome).toEqual([expect.objectContaining({ type: 'reply', data: { value: 7 } })]);
  });

  it('unsubscribing sends the cancel message (the server hears the id), and the later reply is ignored', async () => {
    const { socket, seen } = await start();
    const outcome: unknown[] = [];
    let id = '';
    const subscription = request(
      socket,
      (requestId) => {
        id = requestId;
        return hold('cancelled')(requestId);
      },
      {
        isReply,
        cancel: (target) => ({ type: 'request', id: `cancel:${target}`, data: { op: 'cancel', target } }),
      },
    ).subscribe(into(outcome));
    await waitFor(() => held.has('cancelled'), 'the request to run');
    subscription.unsubscribe();
    await waitFor(() => cancelled.length > 0, 'the cancel message');
    expect(cancelled).toEqual([id]);
    held.get('cancelled')?.();
    await waitFor(() => seen.some((reply) => reply.id === id), 'the reply after the cancel');
    expect(outcome).toEqual([]);
  });

  it('a reply for an id no request waits for is ignored (seen on message$), and the waiting request still gets its own', async () => {
    const { socket, seen } = await start();
    const outcome: unknown[] = [];
    request(socket, hold('mine'), { isReply }).subscribe(into(outcome));
    await waitFor(() => held.has('mine'), 'the request to run');
    // A frame sent past request(): its reply matches no waiting request.
    socket.send({ type: 'request', id: 'stranger', data: { op: 'hold', key: 'stranger' } });
    await waitFor(() => held.has('stranger'), 'the stranger to run');
    held.get('stranger')?.();
    await waitFor(() => seen.length === 1, 'the stranger reply');
    expect(outcome).toEqual([]);
    held.get('mine')?.();
    await waitFor(() => outcome.length > 0, 'the reply');
    expect(outcome).toEqual([expect.objectContaining({ type: 'reply', data: { value: 7 } })]);
    expect(seen.map((reply) => reply.id)).toEqual(['stranger', (outcome[0] as Reply).id]);
  });

  it('a reply racing a reconnection (the connection cut as the reply leaves) is taken once, and the request runs once', async () => {
    const { socket } = await start();
    const cuts = proxy as TcpProxy;
    const rounds = 20;
    const outcome: unknown[] = [];
    for (let i = 0; i < rounds; i++) {
      const done = outcome.length + 1;
      request(socket, hold(`race-${i}`), { isReply, resend: 'on-reconnect', timeoutMs: 5_000 }).subscribe(
        into(outcome),
      );
      await waitFor(() => held.has(`race-${i}`), `request ${i} to run`);
      // The reply leaves now; the cut comes in the same turn, before or after its bytes cross the proxy.
      held.get(`race-${i}`)?.();
      setImmediate(() => cuts.cutAll());
      await waitFor(() => outcome.length >= done, `reply ${i}`);
    }
    expect(outcome).toHaveLength(rounds);
    expect(outcome.every((reply) => (reply as Reply).data?.value === 7)).toBe(true);
    expect((server as FeedServer).stats().executions).toBe(rounds);
    expect(cuts.accepted).toBeGreaterThan(1);
  });
});
