import { NEVER, Observable } from 'rxjs';
import {
  CallbackError,
  constantBackoff,
  fromWebSocket,
  InvalidOptionError,
  json,
  multiplex,
  request,
  RequestTimeoutError,
  SendQueueOverflowError,
  type ReactiveWebSocket,
  type RequestOptions,
} from '../../../lib/index';
import {
  answerRequests,
  createFeedServerDouble,
  createWebSocketDouble,
  type FeedClientFrame,
  type FeedMessage,
  type FeedReply,
  type FeedServerFrame,
} from '../../../lib/testing/index';
import {
  ask,
  cancel,
  doubled,
  ids,
  isReply,
  newScheduler,
  setup,
  unhandledDuring,
  URL,
  type ClientMsg,
  type Reply,
  type ServerMsg,
} from './fixtures';

/**
 * What is particular to `isReply`, or to neither way of knowing a reply: the behaviours both share run for both in
 * reply-forms.spec.ts.
 */
describe('request', () => {
  describe('when the server answers', () => {
    it('narrows the reply with a type guard, and keeps make’s literal types against the socket’s message type', () => {
      // Compile-time: the reply is a Reply (it has data), and make's object literal needs no annotation.
      const { socket } = setup();
      const reply$: Observable<Reply> = request(socket, (id) => ({ type: 'request', id, data: 1 }), { isReply });
      const any$: Observable<ServerMsg> = request(socket, (id) => ({ type: 'request', id, data: 1 }), {
        isReply: (msg, id) => msg.type === 'reply' && msg.id === id,
      });
      // @ts-expect-error not a ClientMsg
      request(socket, (id) => ({ type: 'nope', id }), { isReply });
      expect([reply$, any$].every((o) => o instanceof Observable)).toBe(true);
    });
  });

  describe('timeout', () => {
    it('carries a stable code, the id and timeoutMs, and no payload in its message', () => {
      const error = new RequestTimeoutError('secret-id', 50);
      expect(error).toMatchObject({
        name: 'RequestTimeoutError',
        code: 'ERR_REQUEST_TIMEOUT',
        id: 'secret-id',
        timeoutMs: 50,
      });
      expect(error.message).not.toContain('secret-id');
    });

    it('waits as long as the socket runs with timeoutMs: Infinity', () => {
      newScheduler().run(({ expectObservable }) => {
        const { server, socket } = setup();
        answerRequests(server, { delayMs: 3_000_000_000, reply: doubled });
        expectObservable(request(socket, ask(1), { isReply, id: ids(), timeoutMs: Infinity })).toBe(
          '3000000000ms (r|)',
          {
            r: { type: 'reply', id: 'r1', data: 2 },
          },
        );
      });
    });
  });

  describe('unsubscribing before the reply', () => {
    it('sends nothing without a cancel option, and closes the socket it alone held', () => {
      newScheduler().run(({ expectObservable, flush }) => {
        const { server, socket } = setup();
        expectObservable(request(socket, ask(1), { isReply, id: ids() }), '^ 9ms !').toBe('');
        flush();
        expect(server.connection(0).sentJson()).toEqual([{ type: 'request', id: 'r1', data: 1 }]);
        expect(server.connection(0).clientClose).toMatchObject({ code: 1000, time: 10 });
      });
    });
  });

  describe('across a reconnection', () => {
    it("goes out on the next open when the send queue refused it (resend: 'on-reconnect'), not at its timeout", () => {
      newScheduler().run(({ cold, expectObservable, flush }) => {
        const server = createWebSocketDouble<ServerMsg, ClientMsg>();
        server.script(cold('10ms o', { o: 'open' }));
        answerRequests(server, { delayMs: 1, reply: doubled });
        const socket = fromWebSocket<ServerMsg, ClientMsg>(URL, {
          ...json<ServerMsg, ClientMsg>(),
          WebSocketCtor: server.WebSocketCtor,
          sendQueue: { maxMessages: 1, overflow: 'report' },
        });
        const errors: unknown[] = [];
        socket.error$.subscribe((error) => errors.push(error));
        // The queue is full before the request is made.
        socket.send({ type: 'cancel', id: 'x' });
        expectObservable(
          request(socket, ask(1), { isReply, id: ids(), resend: 'on-reconnect', timeoutMs: 1_000 }),
        ).toBe('11ms (r|)', { r: { type: 'reply', id: 'r1', data: 2 } });
        flush();
        expect(server.connection(0).sentJson()).toEqual([
          { type: 'cancel', id: 'x' },
          { type: 'request', id: 'r1', data: 1 },
        ]);
        expect(errors).toEqual([]);
      });
    });

    it("fails at once, with the socket's error, when the send queue refuses it (resend: 'never'), not at its timeout", () => {
      newScheduler().run(({ cold, expectObservable, flush }) => {
        const server = createWebSocketDouble<ServerMsg, ClientMsg>();
        server.script(cold('10ms o', { o: 'open' }));
        const socket = fromWebSocket<ServerMsg, ClientMsg>(URL, {
          ...json<ServerMsg, ClientMsg>(),
          WebSocketCtor: server.WebSocketCtor,
          sendQueue: { maxMessages: 1, overflow: 'report' },
        });
        const errors: unknown[] = [];
        socket.error$.subscribe((error) => errors.push(error));
        socket.send({ type: 'cancel', id: 'x' });
        socket.connect();
        const refused = (error: unknown): boolean =>
          error instanceof SendQueueOverflowError && (error.rejected as ClientMsg).type === 'request';
        expectObservable(request(socket, ask(1), { isReply, id: ids(), timeoutMs: 1_000 })).toBe(
          '#',
          undefined,
          expect.objectContaining({ code: 'ERR_SEND_QUEUE_OVERFLOW' }),
        );
        flush();
        // The application's own error$ subscriber hears it too, once.
        expect(errors.filter(refused)).toHaveLength(1);
        expect(server.connection(0).sentJson()).toEqual([{ type: 'cancel', id: 'x' }]);
      });
    });

    it('fails at once with the EncodeError when its message cannot be encoded, whether or not error$ is heard', () => {
      for (const listening of [false, true]) {
        newScheduler().run(({ expectObservable }) => {
          const { socket } = setup();
          if (listening) socket.error$.subscribe();
          const circular: { type: 'request'; id: string; data: number; self?: unknown } = {
            type: 'request',
            id: '',
            data: 1,
          };
          circular.self = circular;
          expectObservable(
            request(socket, (id) => Object.assign(circular, { id }), { isReply, id: ids(), timeoutMs: 1_000 }),
          ).toBe('#', undefined, expect.objectContaining({ code: 'ERR_ENCODE' }));
        });
      }
    });

    it('takes one reply when the answer races the drop: a reply that arrives completes it, and nothing is resent', () => {
      newScheduler().run(({ cold, expectObservable, flush }) => {
        const { server, socket } = setup();
        // The reply leaves at 5 ms and the connection drops at 6 ms: the reply wins.
        server.script((connection) => (connection.index === 0 ? cold('6ms x', { x: 'drop' }) : undefined));
        const answerer = answerRequests(server, { delayMs: 5, reply: doubled });
        socket.connect();
        expectObservable(request(socket, ask(1), { isReply, id: ids(), resend: 'on-reconnect' })).toBe('5ms (r|)', {
          r: { type: 'reply', id: 'r1', data: 2 },
        });
        flush();
        expect(server.connections).toHaveLength(2);
        expect(server.connection(1).sentJson()).toEqual([]);
        expect(answerer.runs('r1')).toBe(1);
      });
    });
  });

  describe('what the callbacks throw', () => {
    const thrown: [string, unknown][] = [
      ['an Error', new Error('payload text')],
      ['a string', 'payload text'],
      ['undefined', undefined],
      ['an object', { nasty: true }],
    ];
    const hooks = ['request.id', 'request.make', 'request.isReply', 'request.cancel'] as const;

    describe.each(thrown)('%s', (_kind, boom) => {
      const throwing = () => {
        throw boom;
      };
      const options = (hook: (typeof hooks)[number]): RequestOptions<ServerMsg, ClientMsg, Reply> => ({
        isReply: hook === 'request.isReply' ? throwing : isReply,
        id: hook === 'request.id' ? throwing : ids(),
        cancel: hook === 'request.cancel' ? throwing : cancel,
        timeoutMs: 50,
      });

      it.each(hooks)(
        '%s: the subscriber gets a CallbackError naming it, error$ hears it, nothing is uncaught',
        (hook) => {
          const unhandled = unhandledDuring(() =>
            newScheduler().run(({ expectObservable, flush }) => {
              const { server, socket } = setup();
              const reported: unknown[] = [];
              socket.error$.subscribe((error) => reported.push(error));
              answerRequests(server, { delayMs: 5, reply: hook === 'request.isReply' ? doubled : () => undefined });
              const make = hook === 'request.make' ? throwing : ask(1);
              const errors: unknown[] = [];
              const reply$ = request(socket, make, options(hook));
              reply$.subscribe({ error: (error: unknown) => errors.push(error) });
              // When: id and make at once, before anything is sent; isReply on the reply at 5; cancel at the timeout.
              const frame = { 'request.id': 0, 'request.make': 0, 'request.isReply': 5, 'request.cancel': 50 }[hook];
              expectObservable(reply$.pipe()).toBe(`${frame}ms #`, undefined, new CallbackError(hook, boom));
              flush();
              expect(errors).toHaveLength(1);
              expect(errors[0]).toBeInstanceOf(CallbackError);
              expect(errors[0]).toMatchObject({ code: 'ERR_CALLBACK', hook, cause: boom });
              expect((errors[0] as Error).message).not.toContain('payload text');
              // Two requests ran (the subscription above and expectObservable's): each reported its own.
              expect(reported).toHaveLength(2);
              expect(reported).toContain(errors[0]);
              for (const error of reported) expect(error).toMatchObject({ code: 'ERR_CALLBACK', hook });
              const sent = server.connections.flatMap((connection) => connection.sentJson());
              if (hook === 'request.id' || hook === 'request.make') expect(server.connections).toHaveLength(0);
              // isReply threw: the request is given up like a timeout, so its cancel goes out.
              if (hook === 'request.isReply') expect(sent.filter((m) => m.type === 'cancel')).toHaveLength(2);
            }),
          );
          expect(unhandled).toEqual([]);
        },
      );

      it('request.cancel on an unsubscribe: reported on error$, nothing sent, nothing uncaught, the connection let go', () => {
        const unhandled = unhandledDuring(() =>
          newScheduler().run(({ expectObservable, flush }) => {
            const { server, socket } = setup();
            const reported: unknown[] = [];
            socket.error$.subscribe((error) => reported.push(error));
            expectObservable(request(socket, ask(1), options('request.cancel')), '^ 9ms !').toBe('');
            flush();
            expect(reported).toEqual([expect.objectContaining({ code: 'ERR_CALLBACK', hook: 'request.cancel' })]);
            expect(server.connection(0).sentJson()).toEqual([{ type: 'request', id: 'r1', data: 1 }]);
            expect(server.connection(0).clientClose?.time).toBe(10);
          }),
        );
        expect(unhandled).toEqual([]);
      });
    });

    it.each<[string, unknown, string]>([
      ['a number', 7, 'it returned a number, not a string'],
      ['undefined', undefined, 'it returned undefined, not a string'],
      ['an object', { id: 1 }, 'it returned an Object, not a string'],
      ["''", '', 'it returned an empty id'],
    ])('request.id returning %s: an InvalidOptionError saying so, nothing sent or reported', (_name, made, says) => {
      newScheduler().run(({ expectObservable, flush }) => {
        const { server, socket } = setup();
        const reported: unknown[] = [];
        socket.error$.subscribe((error) => reported.push(error));
        const errors: unknown[] = [];
        request(socket, ask(1), { isReply, id: () => made as string }).subscribe({ error: (e) => errors.push(e) });
        expectObservable(socket.message$, '^ 2ms !').toBe('');
        flush();
        expect(errors).toHaveLength(1);
        expect(errors[0]).toBeInstanceOf(InvalidOptionError);
        expect(errors[0]).toMatchObject({ option: 'request.id' });
        expect((errors[0] as Error).message).toContain(says);
        expect((errors[0] as Error).message).not.toContain('threw');
        expect(reported).toEqual([]);
        expect(server.connections.flatMap((c) => c.sentJson())).toEqual([]);
      });
    });

    it.each<[string, unknown]>([
      ['an empty object', {}],
      ['null', null],
      ['undefined', undefined],
      ['a string', 'wss://feed.example/ws'],
      ['an object without close$', { message$: NEVER, open$: NEVER, send: () => undefined }],
    ])('refuses %s as the socket with a TypeError naming the problem, at the call', (_name, socket) => {
      expect(() => request(socket as ReactiveWebSocket<ServerMsg, ClientMsg>, ask(1), { isReply })).toThrow(
        new TypeError('request: the first argument must be a socket made by fromWebSocket'),
      );
    });
  });

  describe('ids', () => {
    it('are by default a random prefix per socket object and a counter, fresh for each subscription', () => {
      newScheduler().run(({ flush }) => {
        const { server, socket } = setup();
        const other = setup();
        const reply$ = request(socket, ask(1), { isReply, timeoutMs: 5 });
        reply$.subscribe({ error: () => undefined });
        reply$.subscribe({ error: () => undefined });
        request(other.socket, ask(1), { isReply, timeoutMs: 5 }).subscribe({ error: () => undefined });
        flush();
        const [a, b] = server
          .connection(0)
          .sentJson()
          .map((m) => m.id);
        const [c] = other.server
          .connection(0)
          .sentJson()
          .map((m) => m.id);
        expect(a).toMatch(/^.+-1$/);
        expect(b).toBe(a?.replace(/-1$/, '-2'));
        expect(c).toMatch(/-1$/);
        expect(c).not.toBe(a);
      });
    });
  });

  describe('options', () => {
    const { socket } = setup();
    it.each([
      ['timeoutMs', { timeoutMs: 0 }],
      ['timeoutMs', { timeoutMs: -1 }],
      ['timeoutMs', { timeoutMs: Number.NaN }],
      ['timeoutMs', { timeoutMs: 2 ** 31 }],
      ['resend', { resend: 'always' }],
      ['cancel', { cancel: 'x' }],
      ['id', { id: 1 }],
      ['isReply', { isReply: undefined }],
    ])('refuses a bad %s with InvalidOptionError', (name, bad) => {
      const options = { isReply, ...bad } as unknown as RequestOptions<ServerMsg, ClientMsg>;
      expect(() => request(socket, ask(1), options)).toThrow(InvalidOptionError);
      expect(() => request(socket, ask(1), options)).toThrow(`request.${name}`);
    });
  });

  describe('with the feed server double, next to a resumable channel', () => {
    type FeedIn = FeedServerFrame<number>;
    const feedSetup = () => {
      const server = createWebSocketDouble<FeedIn, FeedClientFrame>({ autoOpen: true });
      const feed = createFeedServerDouble(server, { answer: (data) => (data as number) * 2 });
      const socket = fromWebSocket<FeedIn, FeedClientFrame>(URL, {
        ...json<FeedIn, FeedClientFrame>(),
        WebSocketCtor: server.WebSocketCtor,
        reconnect: { backoff: constantBackoff({ delayMs: 10, jitter: 'none' }) },
      });
      const ticks = multiplex(
        socket,
        (cursor): FeedClientFrame => ({
          type: 'subscribe',
          channel: 't',
          ...(cursor !== undefined && { since: cursor }),
        }),
        (): FeedClientFrame => ({ type: 'unsubscribe', channel: 't' }),
        (msg): msg is FeedMessage<number> => msg.type === 'message' && msg.channel === 't',
        { cursorOf: (msg) => msg.cursor },
      );
      const isFeedReply = (msg: FeedIn, id: string): msg is FeedReply => msg.type === 'reply' && msg.id === id;
      const place = (data: number) => (id: string) => ({ type: 'request', id, data }) as const;
      return { server, feed, socket, ticks, isFeedReply, place };
    };

    it('a request made while the connection is down goes once on the reopening, with the resubscription: one reply, one run, the gap replayed', () => {
      newScheduler().run(({ expectObservable, flush }) => {
        const { server, feed, socket, ticks, isFeedReply, place } = feedSetup();
        const delivered: number[] = [];
        ticks.subscribe((msg) => delivered.push(msg.data));
        server.scheduler.schedule(() => feed.publish('t', 1), 2);
        server.scheduler.schedule(() => feed.dropConnections(), 5);
        server.scheduler.schedule(() => feed.publish('t', 2), 7); // while the client is away
        // Made at 8 ms, while away: sent on the open at 15 ms, answered there.
        const reply$ = request(socket, place(21), { isReply: isFeedReply, id: ids(), resend: 'on-reconnect' });
        expectObservable(reply$, '8ms ^').toBe('15ms (r|)', { r: { type: 'reply', id: 'r1', data: 42 } });
        flush();
        // Both go on open$, in the order they subscribed to it: the channel, then the request (which resends, so it
        // does not wait in the send queue).
        expect(server.connection(1).sentJson()).toEqual([
          { type: 'subscribe', channel: 't', since: '1' },
          { type: 'request', id: 'r1', data: 21 },
        ]);
        expect(feed.executions).toBe(1);
        expect(delivered).toEqual([1, 2]);
      });
    });

    it('an id sent again, on any connection, gets the stored reply and does not run again', () => {
      newScheduler().run(({ expectObservable, flush }) => {
        const { server, feed, socket, isFeedReply, place } = feedSetup();
        const same = () => 'order-9';
        server.scheduler.schedule(() => feed.dropConnections(), 5);
        expectObservable(request(socket, place(1), { isReply: isFeedReply, id: same })).toBe('(r|)', {
          r: { type: 'reply', id: 'order-9', data: 2 },
        });
        // Another request with the same id (and other data) after the reconnection: the stored reply.
        expectObservable(request(socket, place(5), { isReply: isFeedReply, id: same }), '20ms ^').toBe('20ms (r|)', {
          r: { type: 'reply', id: 'order-9', data: 2 },
        });
        flush();
        expect(server.connections).toHaveLength(2);
        expect(feed.executions).toBe(1);
      });
    });
  });
});

describe('RequestTimeoutError', () => {
  it('says how long the request waited and where its id is, and carries both', () => {
    const error = new RequestTimeoutError('r7', 250);
    expect(error.message).toBe("No reply to a request within 250 ms (its id is on the error's id property)");
    expect(error).toMatchObject({ name: 'RequestTimeoutError', code: 'ERR_REQUEST_TIMEOUT', id: 'r7', timeoutMs: 250 });
  });
});
