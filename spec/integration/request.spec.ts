import { lastValueFrom, map, mergeMap, range, tap, toArray } from 'rxjs';
import { constantBackoff, fromWebSocket, json, request } from '../../lib/index';
import { startFeedServer, type FeedServer } from '../../examples/feed-server/server';
import { closeAfterEach } from '../helpers/cleanup';
import { startTcpProxy, type TcpProxy } from '../helpers/tcp-proxy';

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
