import { asyncScheduler, NEVER, Observable, Subject, throwError } from 'rxjs';
import type { TestScheduler } from 'rxjs/testing';
import {
  CallbackError,
  CLOSED,
  CLOSING,
  CONNECTING,
  constantBackoff,
  DecodeError,
  EncodeError,
  MessageNotSentError,
  OPEN,
  type RxWebSocketError,
  fromWebSocket,
  InvalidOptionError,
  json,
  multiplex,
  request,
  RequestTimeoutError,
  SendQueueOverflowError,
  type ReactiveWebSocket,
  type RequestOptions,
  type WebSocketConstructor,
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
  counting,
  doubled,
  FORMS,
  ids,
  isReply,
  newScheduler,
  replyIdOf,
  setup,
  unhandledDuring,
  URL,
  type ClientMsg,
  type Reply,
  type ServerMsg,
} from './fixtures';
import { at } from '../../helpers/virtual-time';

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
      ['an object without message$', { open$: NEVER, close$: NEVER, send: () => undefined }],
      ['an object without open$', { message$: NEVER, close$: NEVER, send: () => undefined }],
      ['an object whose send is no function', { message$: NEVER, open$: NEVER, close$: NEVER, send: 'x' }],
    ])('refuses %s as the socket with a TypeError naming the problem, at the call', (_name, socket) => {
      expect(() => request(socket as ReactiveWebSocket<ServerMsg, ClientMsg>, ask(1), { isReply })).toThrow(
        new TypeError('request: the first argument must be a socket made by fromWebSocket'),
      );
    });
  });

  describe('ids', () => {
    /** The ids of two requests on one socket object (one Observable subscribed twice) and of one on another. */
    const defaultIds = (): [string | undefined, string | undefined, string | undefined] => {
      let ids: [string | undefined, string | undefined, string | undefined] = [undefined, undefined, undefined];
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
        ids = [a, b, c];
      });
      return ids;
    };

    it('are by default a random prefix per socket object and a counter, fresh for each subscription', () => {
      const [a, b, c] = defaultIds();
      // A UUID (crypto.randomUUID, where there is one), a dash, and the counter.
      expect(a).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}-1$/);
      expect(b).toBe(a?.replace(/-1$/, '-2'));
      expect(c).toMatch(/-1$/);
      expect(c).not.toBe(a);
    });

    it.each<[string, unknown]>([
      ['no crypto', undefined],
      ['a crypto without randomUUID (no secure context)', {}],
    ])('with %s, are a random base-36 prefix per socket object and a counter', (_name, crypto) => {
      const descriptor = Object.getOwnPropertyDescriptor(globalThis, 'crypto');
      Object.defineProperty(globalThis, 'crypto', { value: crypto, configurable: true, writable: true });
      try {
        const [a, b, c] = defaultIds();
        // Two draws of Math.random in base 36, each without its leading '0.'.
        expect(a).toMatch(/^[0-9a-z]+-1$/);
        expect(b).toBe(a?.replace(/-1$/, '-2'));
        expect(c).toMatch(/^[0-9a-z]+-1$/);
        expect(c).not.toBe(a);
      } finally {
        if (descriptor) Object.defineProperty(globalThis, 'crypto', descriptor);
      }
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

    it.each<[string, unknown, unknown, string]>([
      ['make, no function', 'x', { isReply }, 'Invalid option request.make: "x" (a function)'],
      ['options left out', ask(1), undefined, 'Invalid option request: undefined (an object)'],
      ['options null', ask(1), null, 'Invalid option request: null (an object)'],
      ['options a string', ask(1), 'fast', 'Invalid option request: "fast" (an object)'],
      [
        'resend',
        ask(1),
        { isReply, resend: 'always' },
        `Invalid option request.resend: "always" ('never' or 'on-reconnect')`,
      ],
      ['cancel', ask(1), { isReply, cancel: 'x' }, 'Invalid option request.cancel: "x" (a function)'],
      ['id', ask(1), { isReply, id: 1 }, 'Invalid option request.id: 1 (a function)'],
      ['replyIdOf, no function', ask(1), { replyIdOf: 'id' }, 'Invalid option request.replyIdOf: "id" (a function)'],
    ])('says what is wrong with %s', (_name, make, options, message) => {
      const call = (request as unknown as (...all: unknown[]) => unknown).bind(undefined, socket, make, options);
      expect(call).toThrow(InvalidOptionError);
      expect(call).toThrow(message);
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

describe('request: sending, and what stops a send', () => {
  /**
   * A socket on a double that never opens (and does not retry): what is sent waits in a queue of one, which throws when
   * full.
   */
  const neverOpen = () => {
    const server = createWebSocketDouble<ServerMsg, ClientMsg>();
    const socket = fromWebSocket<ServerMsg, ClientMsg>(URL, {
      ...json<ServerMsg, ClientMsg>(),
      WebSocketCtor: server.WebSocketCtor,
      sendQueue: { maxMessages: 1, overflow: 'throw' },
      reconnect: false,
    });
    return { server, socket };
  };

  it("goes out at once on a socket already open with resend: 'on-reconnect' (open$ will not say it again)", () => {
    newScheduler().run(({ expectObservable, flush }) => {
      const { server, socket } = setup();
      answerRequests(server, { delayMs: 5, reply: doubled });
      expectObservable(socket.message$, '^ 20ms !').toBe('6ms r', { r: { type: 'reply', id: 'r1', data: 2 } });
      const reply$ = request(socket, ask(1), { isReply, id: ids(), resend: 'on-reconnect', timeoutMs: 1_000 });
      expectObservable(reply$, '1ms ^').toBe('6ms (r|)', { r: { type: 'reply', id: 'r1', data: 2 } });
      flush();
      expect(server.connection(0).sentJson()).toEqual([{ type: 'request', id: 'r1', data: 1 }]);
    });
  });

  it("goes out at once on a socket-like already open with resend: 'on-reconnect', by its readyState", () => {
    newScheduler().run(({ expectObservable, flush }) => {
      const { server, socket } = setup();
      answerRequests(server, { delayMs: 5, reply: doubled });
      socket.message$.subscribe();
      // A socket of the application's own making, over one made by fromWebSocket: only its readyState says it is open.
      const own = counting(socket);
      const reply$ = request(own, ask(1), { isReply, id: ids(), resend: 'on-reconnect', timeoutMs: 1_000 });
      expectObservable(reply$, '1ms ^').toBe('6ms (r|)', { r: { type: 'reply', id: 'r1', data: 2 } });
      flush();
      expect(server.connection(0).sentJson()).toEqual([{ type: 'request', id: 'r1', data: 1 }]);
    });
  });

  it("waits for open$ on a socket-like not open yet with resend: 'on-reconnect', by its readyState: it goes once", () => {
    newScheduler().run(({ cold, expectObservable, flush }) => {
      const server = createWebSocketDouble<ServerMsg, ClientMsg>();
      server.script(cold('10ms o', { o: 'open' }));
      answerRequests(server, { delayMs: 5, reply: doubled });
      const socket = fromWebSocket<ServerMsg, ClientMsg>(URL, {
        ...json<ServerMsg, ClientMsg>(),
        WebSocketCtor: server.WebSocketCtor,
      });
      // A socket of the application's own making, over one made by fromWebSocket: only its readyState says it is open.
      const own = counting(socket);
      const reply$ = request(own, ask(1), { isReply, id: ids(), resend: 'on-reconnect', timeoutMs: 1_000 });
      // Made at 1 ms, the connection opens at 11; the answer comes 5 ms after the request.
      expectObservable(reply$, '1ms ^').toBe('16ms (r|)', { r: { type: 'reply', id: 'r1', data: 2 } });
      flush();
      expect(server.connection(0).sentJson()).toEqual([{ type: 'request', id: 'r1', data: 1 }]);
    });
  });

  it("made from a state$ callback of open with resend: 'on-reconnect', goes once: when open$ announces the socket", () => {
    newScheduler().run(({ flush }) => {
      const { server, socket } = setup();
      answerRequests(server, { delayMs: 5, reply: doubled });
      const seen: unknown[] = [];
      let made = false;
      socket.state$.subscribe((state) => {
        if (state.status !== 'open' || made) return;
        made = true;
        request(socket, ask(1), { isReply, id: ids(), resend: 'on-reconnect', timeoutMs: 1_000 }).subscribe({
          next: (reply) => seen.push(reply),
          error: (error: unknown) => seen.push(error),
          complete: () => seen.push('complete'),
        });
      });
      socket.message$.subscribe();
      flush();
      expect(server.connection(0).sentJson()).toEqual([{ type: 'request', id: 'r1', data: 1 }]);
      expect(seen).toEqual([{ type: 'reply', id: 'r1', data: 2 }, 'complete']);
    });
  });

  it("takes resend: 'never' written out, as the default", () => {
    newScheduler().run(({ expectObservable }) => {
      const { server, socket } = setup();
      answerRequests(server, { delayMs: 5, reply: doubled });
      expectObservable(request(socket, ask(1), { isReply, id: ids(), resend: 'never' })).toBe('5ms (r|)', {
        r: { type: 'reply', id: 'r1', data: 2 },
      });
    });
  });

  it('with timeoutMs: Infinity, a request never answered never fails: no timer is set', () => {
    newScheduler().run(({ flush }) => {
      const { server, socket } = setup();
      const seen: unknown[] = [];
      const subscription = request(socket, ask(1), { isReply, id: ids(), timeoutMs: Infinity }).subscribe({
        next: (reply) => seen.push(reply),
        error: (error: unknown) => seen.push(error),
        complete: () => seen.push('complete'),
      });
      flush();
      expect(seen).toEqual([]);
      expect(server.connection(0).sentJson()).toEqual([{ type: 'request', id: 'r1', data: 1 }]);
      // Nothing waited for a frame at Infinity.
      expect(server.scheduler.now()).toBeLessThan(Infinity);
      subscription.unsubscribe();
    });
  });

  it('fails with what send() throws (a full queue set to throw): no cancel made, nothing sent', () => {
    newScheduler().run(({ expectObservable, flush }) => {
      const { server, socket } = neverOpen();
      socket.send({ type: 'cancel', id: 'x' });
      const made: string[] = [];
      const cancelling = (id: string) => (made.push(id), cancel(id));
      expectObservable(request(socket, ask(1), { isReply, id: ids(), cancel: cancelling, timeoutMs: 50 })).toBe(
        '#',
        undefined,
        expect.objectContaining({ code: 'ERR_SEND_QUEUE_OVERFLOW', rejected: { type: 'request', id: 'r1', data: 1 } }),
      );
      flush();
      expect(made).toEqual([]);
      expect(server.connections.flatMap((connection) => connection.sentJson())).toEqual([]);
    });
  });

  it('at its timeout, fails with what sending the cancel threw, when it throws', () => {
    newScheduler().run(({ cold, expectObservable }) => {
      const server = createWebSocketDouble<ServerMsg, ClientMsg>({ autoOpen: true });
      const socket = fromWebSocket<ServerMsg, ClientMsg>(URL, {
        ...json<ServerMsg, ClientMsg>(),
        WebSocketCtor: server.WebSocketCtor,
        sendQueue: { maxMessages: 1, overflow: 'throw' },
        reconnect: { backoff: constantBackoff({ delayMs: 100, jitter: 'none' }) },
      });
      // Sent at once; the connection drops at 5 ms, and a message sent at 6 ms fills the queue: the cancel, at the
      // timeout, finds it full.
      server.script((connection) => (connection.index === 0 ? cold('5ms x', { x: 'drop' }) : undefined));
      at(server, 6, () => socket.send({ type: 'cancel', id: 'x' }));
      expectObservable(request(socket, ask(1), { isReply, id: ids(), cancel, timeoutMs: 50 })).toBe(
        '50ms #',
        undefined,
        expect.objectContaining({ code: 'ERR_SEND_QUEUE_OVERFLOW', rejected: { type: 'cancel', id: 'r1' } }),
      );
    });
  });

  describe('made while the socket is not open, its message waiting in the send queue', () => {
    /** A socket whose first connection opens at 100 ms; its server answers every request 1 ms after it comes. */
    const opensLate = (cold: TestScheduler['createColdObservable']) => {
      const server = createWebSocketDouble<ServerMsg, ClientMsg>();
      server.script(cold('100ms o', { o: 'open' }));
      const answerer = answerRequests(server, { delayMs: 1, reply: doubled });
      const socket = fromWebSocket<ServerMsg, ClientMsg>(URL, {
        ...json<ServerMsg, ClientMsg>(),
        WebSocketCtor: server.WebSocketCtor,
      });
      return { server, socket, answerer };
    };

    it('goes out when the socket opens, and is answered', () => {
      newScheduler().run(({ cold, expectObservable }) => {
        const { socket } = opensLate(cold);
        expectObservable(request(socket, ask(1), { isReply, id: ids(), cancel, timeoutMs: 1_000 })).toBe('101ms (r|)', {
          r: { type: 'reply', id: 'r1', data: 2 },
        });
      });
    });

    it.each(['timed out', 'let go'])(
      'once %s, comes out of the queue: never sent, on this connection or a later one, and no cancel made',
      (how) => {
        newScheduler().run(({ cold, expectObservable, flush }) => {
          const { server, socket, answerer } = opensLate(cold);
          const made: string[] = [];
          const cancelling = (id: string) => (made.push(id), cancel(id));
          // A hold of its own keeps the socket connecting after the request has gone.
          socket.message$.subscribe();
          const timedOut = how === 'timed out';
          const reply$ = request(socket, ask(1), {
            isReply,
            id: ids(),
            cancel: cancelling,
            timeoutMs: timedOut ? 50 : 1_000,
          });
          if (timedOut) {
            expectObservable(reply$).toBe(
              '50ms #',
              undefined,
              expect.objectContaining({ code: 'ERR_REQUEST_TIMEOUT' }),
            );
          } else expectObservable(reply$, '^ 49ms !').toBe('');
          at(server, 40, () => expect(socket.bufferedAmount).toBeGreaterThan(0));
          at(server, 60, () => expect(socket.bufferedAmount).toBe(0));
          flush();
          expect(server.connection(0).sentJson()).toEqual([]);
          expect(made).toEqual([]);
          expect(answerer.runs('r1')).toBe(0);
          expect(socket.close()).toEqual([]);
        });
      },
    );

    it('takes out its own entry, not another of the same value: one sent already leaves a later one queued', () => {
      newScheduler().run(({ cold, expectObservable, flush }) => {
        const server = createWebSocketDouble<ServerMsg, ClientMsg>();
        // The first connection opens at 100 ms and drops at 150; the next, made at 160, opens at 180.
        server.script((connection) =>
          connection.index === 0 ? cold('100ms o 49ms x', { o: 'open', x: 'drop' }) : cold('20ms o', { o: 'open' }),
        );
        const socket = fromWebSocket<ServerMsg, ClientMsg>(URL, {
          ...json<ServerMsg, ClientMsg>(),
          WebSocketCtor: server.WebSocketCtor,
          reconnect: { backoff: constantBackoff({ delayMs: 10, jitter: 'none' }) },
        });
        // Both requests send this very object.
        const same: ClientMsg = { type: 'request', id: 'same', data: 1 };
        const first = request(socket, () => same, { isReply, id: () => 'a', cancel, timeoutMs: 170 });
        const second = request(socket, () => same, { isReply, id: () => 'b', cancel, timeoutMs: 1_000 });
        expectObservable(first).toBe('170ms #', undefined, expect.objectContaining({ code: 'ERR_REQUEST_TIMEOUT' }));
        expectObservable(second, '155ms ^ 100ms !').toBe('');
        flush();
        expect(server.connection(0).sentJson()).toEqual([same]);
        // The first request was sent: its cancel goes; the second's message, queued at 155 ms, is not the first's to
        // take out, and goes at the open (then, let go at 255 ms, the second is cancelled too).
        expect(server.connection(1).sentJson()).toEqual([
          same,
          { type: 'cancel', id: 'a' },
          { type: 'cancel', id: 'b' },
        ]);
      });
    });

    it("with resend: 'on-reconnect', kept by the request and never sent: no cancel either", () => {
      newScheduler().run(({ cold, expectObservable, flush }) => {
        const { server, socket } = opensLate(cold);
        const made: string[] = [];
        const cancelling = (id: string) => (made.push(id), cancel(id));
        socket.message$.subscribe();
        expectObservable(
          request(socket, ask(1), { isReply, id: ids(), cancel: cancelling, resend: 'on-reconnect', timeoutMs: 50 }),
        ).toBe('50ms #', undefined, expect.objectContaining({ code: 'ERR_REQUEST_TIMEOUT' }));
        flush();
        expect(made).toEqual([]);
        expect(server.connection(0).sentJson()).toEqual([]);
      });
    });

    it('takes out its own message only: what the application queued before and after still goes, in order', () => {
      newScheduler().run(({ cold, expectObservable, flush }) => {
        const { server, socket } = opensLate(cold);
        socket.send({ type: 'cancel', id: 'before' });
        expectObservable(request(socket, ask(1), { isReply, id: ids(), timeoutMs: 50 })).toBe(
          '50ms #',
          undefined,
          expect.objectContaining({ code: 'ERR_REQUEST_TIMEOUT' }),
        );
        socket.send({ type: 'cancel', id: 'after' });
        socket.message$.subscribe();
        flush();
        expect(server.connection(0).sentJson()).toEqual([
          { type: 'cancel', id: 'before' },
          { type: 'cancel', id: 'after' },
        ]);
      });
    });

    describe("that the socket throws on at the open's flush", () => {
      /**
       * A socket whose first connection opens at 100 ms, and any later one 200 ms after it is made, and whose socket
       * throws on every request it is handed.
       */
      const throwsOnRequests = (cold: TestScheduler['createColdObservable']) => {
        const server = createWebSocketDouble<ServerMsg, ClientMsg>();
        server.script((connection) => cold(connection.index === 0 ? '100ms o' : '200ms o', { o: 'open' }));
        const thrown = new TypeError('cannot send this');
        const Base = server.WebSocketCtor;
        const socket = fromWebSocket<ServerMsg, ClientMsg>(URL, {
          ...json<ServerMsg, ClientMsg>(),
          WebSocketCtor: class extends Base {
            override send(data: string): void {
              if (data.includes('"request"')) throw thrown;
              super.send(data);
            }
          },
        });
        const made: string[] = [];
        const cancelling = (id: string) => (made.push(id), cancel(id));
        const reported: unknown[] = [];
        socket.error$.subscribe((error) => reported.push(error));
        // A hold of its own keeps the connection whatever the request does.
        socket.message$.subscribe();
        return { server, socket, thrown, made, cancelling, reported };
      };

      it("fails at that open with a MessageNotSentError ('send-threw', what the socket threw as its cause), no cancel sent", () => {
        newScheduler().run(({ cold, expectObservable, flush }) => {
          const { server, socket, thrown, made, cancelling, reported } = throwsOnRequests(cold);
          expectObservable(request(socket, ask(1), { isReply, id: ids(), cancel: cancelling, timeoutMs: 1_000 })).toBe(
            '100ms #',
            undefined,
            expect.objectContaining({
              code: 'ERR_MESSAGE_NOT_SENT',
              reason: 'send-threw',
              messages: [{ type: 'request', id: 'r1', data: 1 }],
              cause: thrown,
            }),
          );
          flush();
          expect(reported).toEqual([expect.objectContaining({ code: 'ERR_MESSAGE_NOT_SENT', reason: 'send-threw' })]);
          expect(made).toEqual([]);
          expect(server.connection(0).sentJson()).toEqual([]);
        });
      });

      it.each([
        ['an error$ subscriber', 'error$'],
        ['a state$ subscriber of open that sends first', 'state$'],
      ] as const)('%s reconnecting at that open: fails then all the same, no cancel sent', (_, where) => {
        newScheduler().run(({ cold, expectObservable, flush }) => {
          const { server, socket, thrown, made, cancelling } = throwsOnRequests(cold);
          // Dropped without a close event: the connection that follows opens 200 ms later.
          let reconnected = false;
          const reconnect = () => void (!reconnected && ((reconnected = true), socket.reconnect()));
          if (where === 'error$') socket.error$.subscribe(reconnect);
          else
            socket.state$.subscribe((state) => {
              if (state.status !== 'open') return;
              socket.send({ type: 'cancel', id: 'first' });
              reconnect();
            });
          expectObservable(request(socket, ask(1), { isReply, id: ids(), cancel: cancelling, timeoutMs: 150 })).toBe(
            '100ms #',
            undefined,
            expect.objectContaining({ code: 'ERR_MESSAGE_NOT_SENT', reason: 'send-threw', cause: thrown }),
          );
          flush();
          expect(made).toEqual([]);
          expect(server.connections).toHaveLength(2);
        });
      });

      it('let go on hearing that report on error$, before the open is announced: sends no cancel', () => {
        newScheduler().run(({ cold, flush }) => {
          const { server, socket, made, cancelling, reported } = throwsOnRequests(cold);
          const heard: unknown[] = [];
          const subscription = request(socket, ask(1), {
            isReply,
            id: ids(),
            cancel: cancelling,
            timeoutMs: 1_000,
          }).subscribe({ next: (reply) => heard.push(reply), error: (error) => heard.push(error) });
          socket.error$.subscribe(() => subscription.unsubscribe());
          flush();
          expect(heard).toEqual([]);
          expect(reported).toHaveLength(1);
          expect(made).toEqual([]);
          expect(server.connection(0).sentJson()).toEqual([]);
        });
      });
    });

    describe('made while the connection closes for its last holder, which takes 20 ms', () => {
      /** A socket held until 5 ms, whose server answers every request 1 ms after it comes and each close in 20 ms. */
      const leaving = () => {
        const server = createWebSocketDouble<ServerMsg, ClientMsg>({ autoOpen: true, closeDelayMs: 20 });
        const answerer = answerRequests(server, { delayMs: 1, reply: doubled });
        const socket = fromWebSocket<ServerMsg, ClientMsg>(URL, {
          ...json<ServerMsg, ClientMsg>(),
          WebSocketCtor: server.WebSocketCtor,
        });
        const hold = socket.message$.subscribe();
        at(server, 5, () => hold.unsubscribe());
        return { server, socket, answerer };
      };

      it('goes on the next connection, and is answered', () => {
        newScheduler().run(({ expectObservable, flush }) => {
          const { server, socket, answerer } = leaving();
          const reply$ = request(socket, ask(1), { isReply, id: ids(), cancel, timeoutMs: 1_000 });
          // Made at 6 ms: the first connection closes at 25, the next opens then, and the answer comes 1 ms later.
          expectObservable(reply$, '6ms ^').toBe('26ms (r|)', { r: { type: 'reply', id: 'r1', data: 2 } });
          flush();
          expect(server.connections.map((connection) => connection.sentJson())).toEqual([[], [ask(1)('r1')]]);
          expect(answerer.runs('r1')).toBe(1);
        });
      });

      it('goes on the next connection, and a drop of that one before the reply does not fail it', () => {
        newScheduler().run(({ cold, expectObservable }) => {
          const server = createWebSocketDouble<ServerMsg, ClientMsg>({ autoOpen: true, closeDelayMs: 20 });
          // The second connection (opened at 25 ms) drops at 30; the third (made at 40) answers at once.
          const reply = { type: 'reply', id: 'r1', data: 2 } as const;
          server.script((connection) =>
            connection.index === 1
              ? cold('5ms d', { d: 'drop' })
              : connection.index === 2
                ? cold('r', { r: { json: reply } })
                : undefined,
          );
          const socket = fromWebSocket<ServerMsg, ClientMsg>(URL, {
            ...json<ServerMsg, ClientMsg>(),
            WebSocketCtor: server.WebSocketCtor,
            reconnect: { backoff: constantBackoff({ delayMs: 10, jitter: 'none' }) },
          });
          const hold = socket.message$.subscribe();
          at(server, 5, () => hold.unsubscribe());
          const reply$ = request(socket, ask(1), { isReply, id: ids(), timeoutMs: 1_000 });
          expectObservable(reply$, '6ms ^').toBe('40ms (r|)', { r: reply });
        });
      });

      it.each(FORMS)(
        'handed back by close() (%s), fails with a MessageNotSentError once that connection has closed: no cancel, no new connection',
        (_, form) => {
          newScheduler().run(({ expectObservable, flush }) => {
            const { server, socket } = leaving();
            const reported: RxWebSocketError[] = [];
            socket.error$.subscribe((error) => reported.push(error));
            const reply$ = request(socket, ask(1), { ...form, id: ids(), cancel, timeoutMs: 1_000 });
            expectObservable(reply$, '6ms ^').toBe(
              '25ms #',
              undefined,
              expect.objectContaining({
                code: 'ERR_MESSAGE_NOT_SENT',
                reason: 'close-called',
                messages: [ask(1)('r1')],
              }),
            );
            at(server, 7, () => expect(socket.close()).toEqual([ask(1)('r1')]));
            flush();
            expect(reported).toEqual([
              expect.objectContaining({ code: 'ERR_MESSAGE_NOT_SENT', reason: 'close-called' }),
            ]);
            expect(server.connections.map((connection) => connection.sentJson())).toEqual([[]]);
            expect(socket.readyState).toBe(CLOSED);
          });
        },
      );

      it('made from a state$ callback of closing and handed back by close(), fails once that connection has closed', () => {
        newScheduler().run(({ flush }) => {
          const { server, socket } = leaving();
          const errors: unknown[] = [];
          let made = false;
          socket.state$.subscribe((state) => {
            // The socket still says it is open here: the close is about to be made.
            if (state.status !== 'closing' || made) return;
            made = true;
            request(socket, ask(1), { isReply, id: ids(), cancel, timeoutMs: 1_000 }).subscribe({
              error: (error: unknown) => errors.push([server.scheduler.now(), error]),
            });
          });
          at(server, 7, () => expect(socket.close()).toEqual([ask(1)('r1')]));
          flush();
          expect(errors).toEqual([
            [25, expect.objectContaining({ code: 'ERR_MESSAGE_NOT_SENT', reason: 'close-called' })],
          ]);
          expect(server.connections.map((connection) => connection.sentJson())).toEqual([[]]);
          expect(socket.readyState).toBe(CLOSED);
        });
      });

      it('handed back by close() from a close$ callback after its own, fails at the closed state that follows: no new connection', () => {
        newScheduler().run(({ expectObservable, flush }) => {
          const { server, socket } = leaving();
          const reply$ = request(socket, ask(1), { replyIdOf, id: ids(), cancel, timeoutMs: 1_000 });
          // Heard after the request's own close$ subscription, made as it queued its message at 6 ms.
          at(server, 7, () => {
            const closing = socket.close$.subscribe(() => {
              closing.unsubscribe();
              expect(socket.close()).toEqual([ask(1)('r1')]);
            });
          });
          expectObservable(reply$, '6ms ^').toBe(
            '25ms #',
            undefined,
            expect.objectContaining({ code: 'ERR_MESSAGE_NOT_SENT', reason: 'close-called' }),
          );
          flush();
          // Told before the next connection, which it would have held, was made: nothing went, and none was made.
          expect(server.connections.map((connection) => connection.sentJson())).toEqual([[]]);
        });
      });

      it.each(['timed out', 'let go'])(
        'handed back by close(), then %s before that connection has closed: no cancel is made',
        (how) => {
          newScheduler().run(({ expectObservable, flush }) => {
            const { server, socket } = leaving();
            const reported: RxWebSocketError[] = [];
            socket.error$.subscribe((error) => reported.push(error));
            const made: string[] = [];
            const cancelling = (id: string) => (made.push(id), cancel(id));
            const reply$ = request(socket, ask(1), { isReply, id: ids(), cancel: cancelling, timeoutMs: 10 });
            if (how === 'timed out') {
              expectObservable(reply$, '6ms ^').toBe(
                '16ms #',
                undefined,
                expect.objectContaining({ code: 'ERR_REQUEST_TIMEOUT' }),
              );
            } else expectObservable(reply$, '6ms ^ 3ms !').toBe('');
            at(server, 7, () => socket.close());
            flush();
            expect(made).toEqual([]);
            expect(reported).toEqual([
              expect.objectContaining({ code: 'ERR_MESSAGE_NOT_SENT', reason: 'close-called' }),
            ]);
            expect(server.connections.map((connection) => connection.sentJson())).toEqual([[]]);
          });
        },
      );

      it('handed back by close() with nobody on error$, fails the same way', () => {
        newScheduler().run(({ expectObservable, flush }) => {
          const { server, socket } = leaving();
          const reply$ = request(socket, ask(1), { isReply, id: ids(), cancel, timeoutMs: 1_000 });
          expectObservable(reply$, '6ms ^').toBe(
            '25ms #',
            undefined,
            expect.objectContaining({ code: 'ERR_MESSAGE_NOT_SENT', reason: 'close-called' }),
          );
          at(server, 7, () => socket.close());
          flush();
          expect(server.connections.map((connection) => connection.sentJson())).toEqual([[]]);
        });
      });
    });

    it('sent once the socket opens, is not failed by a later drop: a reply on the next connection still answers it', () => {
      newScheduler().run(({ cold, expectObservable }) => {
        const server = createWebSocketDouble<ServerMsg, ClientMsg>();
        // The first connection opens at 100 ms and drops at 120; the next, made at 130, opens at once.
        server.script((connection) =>
          connection.index === 0
            ? cold('100ms o 19ms d', { o: 'open', d: 'drop' })
            : cold('o 9ms r', { o: 'open', r: { json: { type: 'reply', id: 'r1', data: 2 } } }),
        );
        const socket = fromWebSocket<ServerMsg, ClientMsg>(URL, {
          ...json<ServerMsg, ClientMsg>(),
          WebSocketCtor: server.WebSocketCtor,
          reconnect: { backoff: constantBackoff({ delayMs: 10, jitter: 'none' }) },
        });
        expectObservable(request(socket, ask(1), { isReply, id: ids(), timeoutMs: 1_000 })).toBe('140ms (r|)', {
          r: { type: 'reply', id: 'r1', data: 2 },
        });
      });
    });
  });

  it('makes no cancel once answered, nor once the socket failed', () => {
    newScheduler().run(({ expectObservable, flush }) => {
      const { server, socket } = setup();
      answerRequests(server, { delayMs: 5, reply: doubled });
      const made: string[] = [];
      const cancelling = (id: string) => (made.push(id), cancel(id));
      expectObservable(request(socket, ask(1), { isReply, id: ids(), cancel: cancelling })).toBe('5ms (r|)', {
        r: { type: 'reply', id: 'r1', data: 2 },
      });
      flush();
      expect(made).toEqual([]);
    });
    newScheduler().run(({ cold, expectObservable, flush }) => {
      const made: string[] = [];
      const cancelling = (id: string) => (made.push(id), cancel(id));
      // A close the policy does not retry ends the socket's streams: the request fails with it.
      const failing = setup();
      failing.server.script(cold('3ms c', { c: { close: 1008 } }));
      expectObservable(request(failing.socket, ask(1), { isReply, id: ids(), cancel: cancelling })).toBe(
        '3ms #',
        undefined,
        expect.objectContaining({ code: 'ERR_WEBSOCKET_CLOSED', closeCode: 1008 }),
      );
      flush();
      expect(made).toEqual([]);
    });
  });

  it('fails with the MessageNotSentError when made while close() closes the socket (from a state$ callback)', () => {
    newScheduler().run(({ flush }) => {
      const { server, socket } = setup();
      const errors: unknown[] = [];
      let made = false;
      socket.state$.subscribe((state) => {
        // Once: the request holds the socket, so a later close would make another.
        if (state.status !== 'closing' || made) return;
        made = true;
        request(socket, ask(1), { isReply, id: ids() }).subscribe({ error: (error: unknown) => errors.push(error) });
      });
      socket.message$.subscribe();
      at(server, 1, () => socket.close());
      flush();
      expect(errors).toEqual([expect.objectContaining({ code: 'ERR_MESSAGE_NOT_SENT', reason: 'sent-while-closing' })]);
      expect(server.connection(0).sentJson()).toEqual([]);
    });
  });

  it('answered while queued (a reply for its id read while the connection closes, as ws delivers it), takes its message out', () => {
    /** A WebSocket-like driven by hand, which, as `ws` does, still delivers messages once close() has been called. */
    class HandSocket {
      static last: HandSocket | undefined;
      readyState: number = CONNECTING;
      readonly protocol = '';
      readonly extensions = '';
      readonly bufferedAmount = 0;
      binaryType = 'blob';
      onopen: ((event: object) => void) | null = null;
      onmessage: ((event: object) => void) | null = null;
      onclose: ((event: object) => void) | null = null;
      onerror: ((event: object) => void) | null = null;
      constructor(readonly url: string) {
        HandSocket.last = this;
      }
      send(): void {}
      close(): void {
        this.readyState = CLOSING;
      }
    }
    newScheduler().run(({ flush }) => {
      const socket = fromWebSocket<ServerMsg, ClientMsg>(URL, {
        ...json<ServerMsg, ClientMsg>(),
        WebSocketCtor: HandSocket as unknown as WebSocketConstructor,
        reconnect: false,
      });
      const replies: unknown[] = [];
      let made = false;
      socket.state$.subscribe((state) => {
        if (state.status !== 'closing' || made) return;
        made = true;
        // Made while the last holder's close is under way: its message waits for the next connection.
        request(socket, ask(1), { isReply, id: () => 'dup' }).subscribe((reply) => replies.push(reply));
      });
      const holder = socket.message$.subscribe();
      asyncScheduler.schedule(() => {
        const ws = HandSocket.last!;
        ws.readyState = OPEN;
        ws.onopen?.({ type: 'open' });
        holder.unsubscribe();
        // A reply for the same id (stored by the server for an earlier request with it) read during the handshake.
        ws.onmessage?.({ type: 'message', data: JSON.stringify({ type: 'reply', id: 'dup', data: 2 }) });
      }, 1);
      flush();
      expect(replies).toEqual([{ type: 'reply', id: 'dup', data: 2 }]);
      expect(socket.close()).toEqual([]);
    });
  });

  it('on a socket that cannot start, fails at once and leaves nothing queued or scheduled', () => {
    newScheduler().run(({ expectObservable, flush }) => {
      const socket = fromWebSocket<ServerMsg, ClientMsg>(URL, {
        ...json<ServerMsg, ClientMsg>(),
        WebSocketCtor: class {
          constructor() {
            throw new Error('no sockets here');
          }
        } as unknown as typeof WebSocket,
        reconnect: false,
      });
      expectObservable(request(socket, ask(1), { isReply, id: ids(), cancel, timeoutMs: 50 })).toBe(
        '#',
        undefined,
        expect.objectContaining({ code: 'ERR_TRANSPORT' }),
      );
      flush();
      expect(socket.close()).toEqual([]);
    });
  });

  it('is not failed by a message its serializer sends meanwhile that cannot be encoded: only its own refusal counts', () => {
    newScheduler().run(({ expectObservable, flush }) => {
      const server = createWebSocketDouble<ServerMsg, ClientMsg>({ autoOpen: true });
      answerRequests(server, { delayMs: 1, reply: doubled });
      const reported: unknown[] = [];
      // A serializer that logs each request by sending a message it cannot encode itself.
      const socket: ReactiveWebSocket<ServerMsg, ClientMsg> = fromWebSocket<ServerMsg, ClientMsg>(URL, {
        ...json<ServerMsg, ClientMsg>(),
        serializer: (message) => {
          if (message.type === 'cancel' && message.id === 'log') throw new Error('no log');
          if (message.type === 'request') socket.send({ type: 'cancel', id: 'log' });
          return JSON.stringify(message);
        },
        WebSocketCtor: server.WebSocketCtor,
      });
      socket.error$.subscribe((error) => reported.push(error));
      expectObservable(request(socket, ask(1), { isReply, id: ids() })).toBe('1ms (r|)', {
        r: { type: 'reply', id: 'r1', data: 2 },
      });
      flush();
      expect(reported).toEqual([expect.objectContaining({ code: 'ERR_ENCODE', value: { type: 'cancel', id: 'log' } })]);
    });
  });

  it("on a socket of the application's own, heeds only the errors about its own message while it sends", () => {
    newScheduler().run(({ cold, expectObservable }) => {
      const other: ClientMsg = { type: 'cancel', id: 'other' };
      const errors = new Subject<RxWebSocketError>();
      const replies = cold<ServerMsg>('2ms r', { r: { type: 'reply', id: 'r1', data: 2 } });
      const socket = {
        message$: replies,
        open$: NEVER,
        close$: NEVER,
        error$: errors,
        readyState: OPEN,
        send: () => {
          errors.next(new EncodeError(other, new Error('no')));
          errors.next(new SendQueueOverflowError(other, { maxMessages: 1, maxBytes: 10 }));
          errors.next(new MessageNotSentError([other], 'sent-while-closing'));
          errors.next(new DecodeError('{', new Error('no')));
        },
      };
      expectObservable(request(socket, ask(1), { isReply, id: ids() })).toBe('2ms (r|)', {
        r: { type: 'reply', id: 'r1', data: 2 },
      });
    });
  });

  it('on a socket whose message$ fails at once, fails with its error and sends nothing', () => {
    newScheduler().run(({ expectObservable, flush }) => {
      const sent: unknown[] = [];
      const socket = {
        message$: throwError(() => new Error('gone')),
        open$: NEVER,
        close$: NEVER,
        readyState: CLOSED,
        send: (message: ClientMsg) => void sent.push(message),
      };
      expectObservable(request(socket, ask(1), { isReply, id: ids(), cancel })).toBe('#', undefined, new Error('gone'));
      flush();
      expect(sent).toEqual([]);
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
