/**
 * `request()` behaves the same whichever way it knows its reply: `isReply(message, id)` tested by each waiting
 * request, or `replyIdOf(message)` read once per message and looked up among the requests waiting on the socket.
 * Every spec here runs with both, with the same marbles.
 */
import { map, mergeMap, of, range, toArray, type Observable } from 'rxjs';
import {
  CallbackError,
  fromWebSocket,
  json,
  request,
  RequestTimeoutError,
  WebSocketCloseError,
} from '../../../lib/index';
import { answerRequests, createWebSocketDouble } from '../../../lib/testing/index';
import {
  ask,
  cancel,
  doubled,
  FORMS,
  ids,
  newScheduler,
  setup,
  unhandledDuring,
  URL,
  type ClientMsg,
  type Reply,
  type ServerMsg,
} from './fixtures';

describe.each(FORMS)('request, knowing its reply by %s', (_form, match) => {
  describe('when the server answers', () => {
    it('emits the reply and completes, then lets the connection go and leaves no timer', () => {
      const scheduler = newScheduler();
      scheduler.run(({ expectObservable, flush }) => {
        const { server, socket } = setup();
        answerRequests(server, { delayMs: 5, reply: doubled });
        expectObservable(request(socket, ask(21), { ...match, id: ids() })).toBe('5ms (r|)', {
          r: { type: 'reply', id: 'r1', data: 42 },
        });
        flush();
        expect(server.connection(0).sentJson()).toEqual([{ type: 'request', id: 'r1', data: 21 }]);
        expect(server.connection(0).clientClose).toMatchObject({ code: 1000, time: 5 });
        expect(scheduler.now()).toBeLessThan(100);
      });
    });

    it('ignores a reply for an id no request waits for (still on message$), and the right reply completes it', () => {
      newScheduler().run(({ cold, expectObservable }) => {
        const { server, socket } = setup();
        answerRequests(server, { delayMs: 8, reply: doubled });
        cold('3ms x').subscribe(() => server.latest.messageJson({ type: 'reply', id: 'unknown', data: 0 }));
        expectObservable(request(socket, ask(1), { ...match, id: ids() })).toBe('8ms (r|)', {
          r: { type: 'reply', id: 'r1', data: 2 },
        });
        expectObservable(socket.message$, '^ 9ms !').toBe('3ms u 4ms r', {
          u: { type: 'reply', id: 'unknown', data: 0 },
          r: { type: 'reply', id: 'r1', data: 2 },
        });
      });
    });

    it('gives each of 64 requests in flight its own reply, answered in the reverse order', () => {
      newScheduler().run(({ expectObservable }) => {
        const { server, socket } = setup();
        // Request n (1 to 64) is answered 100 - n ms after it is sent: the last one made comes back first.
        server.script((connection) => {
          connection.sent$.subscribe(() => {
            const sent = connection.sentJson().at(-1);
            const reply = sent && doubled(sent, sent.id);
            if (sent?.type === 'request' && reply) {
              server.scheduler.schedule(() => connection.messageJson(reply), 100 - sent.data);
            }
          });
          return undefined;
        });
        const all$ = range(1, 64).pipe(
          mergeMap((n) => request(socket, ask(n), { ...match, id: () => `q${n}` })),
          map((reply) => [reply.data / 2, reply.id]),
          toArray(),
        );
        expectObservable(all$).toBe('99ms (a|)', {
          a: Array.from({ length: 64 }, (_, i) => [64 - i, `q${64 - i}`]),
        });
      });
    });

    it('gives the reply to every request waiting for its id, in the order they were made', () => {
      newScheduler().run(({ expectObservable }) => {
        const { server, socket } = setup();
        answerRequests(server, { delayMs: 5, reply: doubled });
        const same = () => 'order-9';
        expectObservable(request(socket, ask(1), { ...match, id: same })).toBe('5ms (r|)', {
          r: { type: 'reply', id: 'order-9', data: 2 },
        });
        expectObservable(request(socket, ask(7), { ...match, id: same }), '2ms ^').toBe('5ms (r|)', {
          r: { type: 'reply', id: 'order-9', data: 2 },
        });
      });
    });

    it('a request made with the same id from the reply’s callback is not answered by that reply, but by its own', () => {
      newScheduler().run(({ flush }) => {
        const { server, socket } = setup();
        const answerer = answerRequests(server, { delayMs: 5, reply: doubled, remember: false });
        const again: [number, unknown][] = [];
        request(socket, ask(1), { ...match, id: () => 'same' }).subscribe(() =>
          request(socket, ask(2), { ...match, id: () => 'same' }).subscribe((reply) =>
            again.push([server.scheduler.now(), reply]),
          ),
        );
        flush();
        expect(again).toEqual([[10, { type: 'reply', id: 'same', data: 4 }]]);
        expect(answerer.runs('same')).toBe(2);
      });
    });

    it('keeps the connection through a chain of requests, each made when the last one’s reply comes', () => {
      newScheduler().run(({ expectObservable, flush }) => {
        const { server, socket } = setup();
        answerRequests(server, { delayMs: 2, reply: doubled });
        const chain = (n: number): Observable<Reply> =>
          request(socket, ask(n), { ...match, id: () => `c${n}` }).pipe(
            mergeMap((reply) => (n < 5 ? chain(n + 1) : of(reply))),
          );
        expectObservable(chain(1)).toBe('10ms (r|)', { r: { type: 'reply', id: 'c5', data: 10 } });
        flush();
        // One connection for the five requests: none of them let it go while the next was being made.
        expect(server.connections).toHaveLength(1);
        expect(
          server
            .connection(0)
            .sentJson()
            .map((m) => m.id),
        ).toEqual(['c1', 'c2', 'c3', 'c4', 'c5']);
        expect(server.connection(0).clientClose?.time).toBe(10);
      });
    });
  });

  describe('timeout', () => {
    it('errors with RequestTimeoutError exactly timeoutMs after the subscription, sends cancel, and lets go', () => {
      newScheduler().run(({ expectObservable, flush }) => {
        const { server, socket } = setup();
        const reply$ = request(socket, ask(1), { ...match, id: ids(), timeoutMs: 50, cancel });
        expectObservable(reply$).toBe('50ms #', undefined, new RequestTimeoutError('r1', 50));
        flush();
        expect(server.connection(0).sentJson()).toEqual([
          { type: 'request', id: 'r1', data: 1 },
          { type: 'cancel', id: 'r1' },
        ]);
        expect(server.connection(0).sent[1]?.time).toBe(50);
        expect(server.connection(0).clientClose?.time).toBe(50);
      });
    });

    it('ignores a reply that comes after the timeout: it is on message$, and the request has ended', () => {
      newScheduler().run(({ expectObservable, flush }) => {
        const { server, socket } = setup();
        socket.connect(); // someone else holds the socket, so the late reply does arrive
        answerRequests(server, { delayMs: 30, reply: doubled });
        const reply$ = request(socket, ask(1), { ...match, id: ids(), timeoutMs: 20 });
        expectObservable(reply$).toBe('20ms #', undefined, new RequestTimeoutError('r1', 20));
        expectObservable(socket.message$, '^ 40ms !').toBe('30ms r', { r: { type: 'reply', id: 'r1', data: 2 } });
        flush();
      });
    });
  });

  describe('unsubscribing before the reply', () => {
    it('sends the cancel message, ignores the later reply, and lets the connection go', () => {
      newScheduler().run(({ expectObservable, flush }) => {
        const { server, socket } = setup();
        const held = socket.connect();
        answerRequests(server, { delayMs: 30, reply: doubled });
        expectObservable(request(socket, ask(1), { ...match, id: ids(), cancel }), '^ 19ms !').toBe('');
        expectObservable(socket.message$, '^ 40ms !').toBe('30ms r', { r: { type: 'reply', id: 'r1', data: 2 } });
        flush();
        expect(server.connection(0).sentJson()).toEqual([
          { type: 'request', id: 'r1', data: 1 },
          { type: 'cancel', id: 'r1' },
        ]);
        expect(server.connection(0).sent[1]?.time).toBe(20);
        held.unsubscribe();
      });
    });

    it('leaves another request waiting for the same id waiting, and it gets the reply', () => {
      newScheduler().run(({ expectObservable, flush }) => {
        const { server, socket } = setup();
        answerRequests(server, { delayMs: 30, reply: doubled });
        const same = () => 'same';
        expectObservable(request(socket, ask(1), { ...match, id: same }), '^ 9ms !').toBe('');
        expectObservable(request(socket, ask(1), { ...match, id: same }), '^ 39ms !').toBe('30ms (r|)', {
          r: { type: 'reply', id: 'same', data: 2 },
        });
        flush();
        expect(server.connection(0).clientClose).toMatchObject({ code: 1000, time: 30 });
      });
    });
  });

  describe('across a reconnection', () => {
    it("resends with the same id after a drop (resend: 'on-reconnect'), and the stored reply completes it once", () => {
      newScheduler().run(({ cold, expectObservable, flush }) => {
        const { server, socket } = setup();
        server.script((connection) => (connection.index === 0 ? cold('4ms x', { x: 'drop' }) : undefined));
        const answerer = answerRequests(server, { delayMs: 5, reply: doubled });
        const reply$ = request(socket, ask(1), { ...match, id: ids(), resend: 'on-reconnect' });
        expectObservable(reply$).toBe('19ms (r|)', { r: { type: 'reply', id: 'r1', data: 2 } });
        flush();
        expect(server.connection(0).sentJson()).toEqual([{ type: 'request', id: 'r1', data: 1 }]);
        expect(server.connection(1).sentJson()).toEqual([{ type: 'request', id: 'r1', data: 1 }]);
        expect(server.connection(1).sent[0]?.time).toBe(14);
        expect(answerer.runs('r1')).toBe(1);
        // The server saw it twice, the second time as a repeat of an id it had answered.
        expect(answerer.received.map((r) => [r.connection, r.repeat])).toEqual([
          [0, false],
          [1, true],
        ]);
      });
    });

    it("goes once on the next connection when an earlier open$ subscriber reconnects at an open (resend: 'on-reconnect')", () => {
      newScheduler().run(({ cold, flush }) => {
        const { server, socket } = setup();
        // The first connection drops at 4 ms; the second opens at 14 ms and is replaced at once; the third at 24 ms.
        server.script((connection) => (connection.index === 0 ? cold('4ms x', { x: 'drop' }) : undefined));
        let reconnected = false;
        socket.open$.subscribe((open) => {
          if (open.attempt > 0 && !reconnected) {
            reconnected = true;
            socket.reconnect();
          }
        });
        const answerer = answerRequests(server, { delayMs: 50, reply: doubled });
        const seen: unknown[] = [];
        request(socket, ask(1), { ...match, id: ids(), resend: 'on-reconnect', timeoutMs: 1_000 }).subscribe({
          next: (reply) => seen.push(reply),
          error: (error: unknown) => seen.push(error),
        });
        flush();
        expect(server.connections).toHaveLength(3);
        expect(server.connection(1).sentJson()).toEqual([]);
        expect(server.connection(2).sentJson()).toEqual([{ type: 'request', id: 'r1', data: 1 }]);
        expect(answerer.received.map((received) => received.connection)).toEqual([0, 2]);
        expect(seen).toEqual([{ type: 'reply', id: 'r1', data: 2 }]);
      });
    });

    it("ends as the socket does when an earlier open$ subscriber closes it at an open (resend: 'on-reconnect')", () => {
      newScheduler().run(({ cold, flush }) => {
        const { server, socket } = setup();
        server.script((connection) => (connection.index === 0 ? cold('4ms x', { x: 'drop' }) : undefined));
        socket.open$.subscribe((open) => {
          if (open.attempt > 0) socket.close();
        });
        const errors: unknown[] = [];
        socket.error$.subscribe((error) => errors.push(error));
        const seen: unknown[] = [];
        request(socket, ask(1), { ...match, id: ids(), resend: 'on-reconnect', timeoutMs: 1_000 }).subscribe({
          error: (error: unknown) => seen.push(error),
        });
        flush();
        expect(seen).toEqual([new WebSocketCloseError({ code: 1000, reason: '', wasClean: true })]);
        // The drop's error alone: nothing was refused.
        expect(errors.map((error) => (error as Error).name)).toEqual(['TransportError']);
        expect(server.connection(1).sentJson()).toEqual([]);
      });
    });

    it("does not resend with resend: 'never': the request times out", () => {
      newScheduler().run(({ cold, expectObservable, flush }) => {
        const { server, socket } = setup();
        server.script((connection) => (connection.index === 0 ? cold('4ms x', { x: 'drop' }) : undefined));
        answerRequests(server, { delayMs: 5, reply: doubled });
        expectObservable(request(socket, ask(1), { ...match, id: ids(), timeoutMs: 100 })).toBe(
          '100ms #',
          undefined,
          new RequestTimeoutError('r1', 100),
        );
        flush();
        expect(server.connections).toHaveLength(2);
        expect(server.connection(1).sentJson()).toEqual([]);
      });
    });

    it('sends a request made while disconnected once, on the open that flushes the queue', () => {
      newScheduler().run(({ cold, expectObservable, flush }) => {
        const server = createWebSocketDouble<ServerMsg, ClientMsg>();
        server.script(cold('10ms o', { o: 'open' }));
        answerRequests(server, { delayMs: 1, reply: doubled });
        const socket = fromWebSocket<ServerMsg, ClientMsg>(URL, {
          ...json<ServerMsg, ClientMsg>(),
          WebSocketCtor: server.WebSocketCtor,
        });
        expectObservable(request(socket, ask(1), { ...match, id: ids(), resend: 'on-reconnect' })).toBe('11ms (r|)', {
          r: { type: 'reply', id: 'r1', data: 2 },
        });
        flush();
        expect(server.connection(0).sentJson()).toEqual([{ type: 'request', id: 'r1', data: 1 }]);
      });
    });

    it('takes one reply when the drop wins the race in the same frame: resent, answered from the store', () => {
      newScheduler().run(({ cold, expectObservable, flush }) => {
        const { server, socket } = setup();
        server.script((connection) => (connection.index === 0 ? cold('5ms x', { x: 'drop' }) : undefined));
        const answerer = answerRequests(server, { delayMs: 5, reply: doubled });
        const values: unknown[] = [];
        expectObservable(request(socket, ask(1), { ...match, id: ids(), resend: 'on-reconnect' })).toBe('20ms (r|)', {
          r: { type: 'reply', id: 'r1', data: 2 },
        });
        socket.message$.subscribe((message) => values.push(message));
        flush();
        // One reply reached the socket: the first was lost with the connection.
        expect(values).toEqual([{ type: 'reply', id: 'r1', data: 2 }]);
        expect(answerer.runs('r1')).toBe(1);
      });
    });
  });

  describe('when the socket stops for good', () => {
    it('errors every waiting request with a WebSocketCloseError for the close when close() is called', () => {
      newScheduler().run(({ cold, expectObservable }) => {
        const { socket } = setup();
        cold('7ms c').subscribe(() => socket.close());
        const closed = new WebSocketCloseError({ code: 1000, reason: '', wasClean: true });
        expectObservable(request(socket, ask(1), { ...match, id: ids() })).toBe('7ms #', undefined, closed);
        expectObservable(request(socket, ask(2), { ...match, id: ids() }), '2ms ^').toBe('7ms #', undefined, closed);
      });
    });

    it("errors with message$'s error when the server closes with a code the policy stops on", () => {
      newScheduler().run(({ cold, expectObservable }) => {
        const { server, socket } = setup();
        server.script(cold('7ms c', { c: { close: 1008 } }));
        const close = { code: 1008, reason: '', wasClean: true };
        expectObservable(request(socket, ask(1), { ...match, id: ids(), resend: 'on-reconnect' })).toBe(
          '7ms #',
          undefined,
          new WebSocketCloseError(close),
        );
      });
    });

    it('errors with a WebSocketCloseError for the server’s normal close that ends the socket, reason and all', () => {
      newScheduler().run(({ cold, expectObservable }) => {
        const { server, socket } = setup();
        server.script(cold('7ms c', { c: { close: { code: 1000, reason: 'bye' } } }));
        const bye = new WebSocketCloseError({ code: 1000, reason: 'bye', wasClean: true });
        expectObservable(request(socket, ask(1), { ...match, id: ids() })).toBe('7ms #', undefined, bye);
        expectObservable(request(socket, ask(2), { ...match, id: ids() }), '3ms ^').toBe('7ms #', undefined, bye);
      });
    });

    it('tells each request of the last close it saw: a drop before it began to wait is not its close', () => {
      newScheduler().run(({ cold, expectObservable }) => {
        const { server, socket } = setup();
        // The first connection drops at 4 ms; close() at 8 ms, while the socket waits to reconnect, makes no close.
        server.script((connection) => (connection.index === 0 ? cold('4ms x', { x: 'drop' }) : undefined));
        cold('8ms c').subscribe(() => socket.close());
        const drop = new WebSocketCloseError({ code: 1006, reason: '', wasClean: false });
        const normal = new WebSocketCloseError({ code: 1000, reason: '', wasClean: true });
        expectObservable(request(socket, ask(1), { ...match, id: ids() })).toBe('8ms #', undefined, drop);
        // Resent, so that its message waits for the next open rather than in the queue (which close() hands back).
        const later = { ...match, id: ids(), resend: 'on-reconnect' } as const;
        expectObservable(request(socket, ask(2), later), '6ms ^').toBe('8ms #', undefined, normal);
      });
    });

    it('a request made from the error callback of one that the stop ended starts a new connection, and is answered', () => {
      newScheduler().run(({ cold, expectObservable, flush }) => {
        const { server, socket } = setup();
        answerRequests(server, { delayMs: 5, reply: doubled });
        server.script((connection) => (connection.index === 0 ? cold('3ms c', { c: { close: 1008 } }) : undefined));
        const again$ = request(socket, ask(2), { ...match, id: () => 'again' });
        const first$ = request(socket, ask(1), { ...match, id: ids() });
        const outcome: unknown[] = [];
        first$.subscribe({ error: () => again$.subscribe((reply) => outcome.push(reply)) });
        expectObservable(first$).toBe(
          '3ms #',
          undefined,
          new WebSocketCloseError({ code: 1008, reason: '', wasClean: true }),
        );
        flush();
        expect(outcome).toEqual([{ type: 'reply', id: 'again', data: 4 }]);
        expect(server.connections).toHaveLength(2);
      });
    });
  });

  describe('what the reply callback throws', () => {
    const byId = 'replyIdOf' in match && match.replyIdOf !== undefined;
    const hook = byId ? 'request.replyIdOf' : 'request.isReply';
    const throwing = (): never => {
      throw new Error('payload text');
    };
    const broken = byId ? { replyIdOf: throwing } : { isReply: throwing };

    it('gives up every waiting request with a CallbackError naming it: cancel sent, error$ told, nothing uncaught', () => {
      const unhandled = unhandledDuring(() =>
        newScheduler().run(({ expectObservable, flush }) => {
          const { server, socket } = setup();
          const reported: unknown[] = [];
          socket.error$.subscribe((error) => reported.push(error));
          answerRequests(server, { delayMs: 5, reply: doubled });
          const error = new CallbackError(hook, new Error('payload text'));
          const make = ids();
          const errors: unknown[] = [];
          const first$ = request(socket, ask(1), { ...broken, id: make, cancel });
          first$.subscribe({ error: (e: unknown) => errors.push(e) });
          expectObservable(request(socket, ask(2), { ...broken, id: make, cancel })).toBe('5ms #', undefined, error);
          flush();
          expect(server.connection(0).sentJson()).toEqual([
            { type: 'request', id: 'r1', data: 1 },
            { type: 'request', id: 'r2', data: 2 },
            { type: 'cancel', id: 'r1' },
            { type: 'cancel', id: 'r2' },
          ]);
          expect(errors).toEqual([error]);
          // isReply threw once for each request it was called for; replyIdOf once for the message, reported once.
          expect(reported).toHaveLength(byId ? 1 : 2);
          for (const each of reported) expect(each).toMatchObject({ code: 'ERR_CALLBACK', hook });
          expect(reported).toContain(errors[0]);
          expect((errors[0] as Error).message).not.toContain('payload text');
          expect(server.connection(0).clientClose?.time).toBe(5);
        }),
      );
      expect(unhandled).toEqual([]);
    });
  });
});
