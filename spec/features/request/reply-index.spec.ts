/**
 * `request(..., { replyIdOf })`: the requests waiting on one socket with one `replyIdOf` share one `message$`
 * subscription and an index of requests by id, so a message costs one `replyIdOf` call however many requests wait;
 * the subscription lives exactly as long as a request waits on it.
 */
import { NEVER, Observable, Subject, throwError } from 'rxjs';
import { InvalidOptionError, request, WebSocketCloseError, type RequestOptions } from '../../../lib/index';
import { OPEN } from '../../../lib/core/web-socket-like';
import { answerRequests } from '../../../lib/testing/index';
import {
  ask,
  cancel,
  counting,
  doubled,
  ids,
  isReply,
  newScheduler,
  replyIdOf,
  setup,
  type ClientMsg,
  type ServerMsg,
} from './fixtures';

describe('request with replyIdOf', () => {
  describe('with many requests in flight', () => {
    it('shares one message$ subscription, and calls replyIdOf once per message however many wait', () => {
      newScheduler().run(({ cold, flush }) => {
        const { server, socket: real } = setup();
        const socket = counting(real);
        answerRequests(server, { delayMs: 10, reply: doubled });
        // Ticks in between: messages that answer nothing, each one call too.
        cold('2ms a 2ms b').subscribe(() => server.latest.messageJson({ type: 'tick', n: 0 }));
        let calls = 0;
        const counted = (msg: ServerMsg): string | undefined => {
          calls++;
          return replyIdOf(msg);
        };
        const replies: unknown[] = [];
        const make = ids();
        for (let n = 1; n <= 32; n++) {
          request(socket, ask(n), { replyIdOf: counted, id: make }).subscribe((reply) => replies.push(reply));
        }
        // One subscription to message$ and one to close$ for the 32.
        expect([socket.active, socket.closeActive]).toEqual([1, 1]);
        flush();
        expect(replies).toHaveLength(32);
        // 32 replies and 2 ticks: one call each (with isReply, 32 waiting requests would each have been asked).
        expect(calls).toBe(34);
        expect(socket.total).toBe(1);
        expect([socket.active, socket.closeActive]).toEqual([0, 0]);
      });
    });

    it('with isReply, by contrast, holds a subscription per request and tests each message for each', () => {
      newScheduler().run(({ flush }) => {
        const { server, socket: real } = setup();
        const socket = counting(real);
        answerRequests(server, { delayMs: 10, reply: doubled });
        let calls = 0;
        const counted = (msg: ServerMsg, id: string): boolean => {
          calls++;
          return isReply(msg, id);
        };
        const make = ids();
        for (let n = 1; n <= 4; n++) request(socket, ask(n), { isReply: counted, id: make }).subscribe();
        expect([socket.active, socket.closeActive]).toEqual([4, 4]);
        flush();
        // Reply k is tested by the 5 - k requests still waiting when it comes: 4 + 3 + 2 + 1.
        expect(calls).toBe(10);
        expect([socket.active, socket.closeActive]).toEqual([0, 0]);
      });
    });
  });

  describe('the shared subscription', () => {
    const endings: [string, (options: { timeoutMs: number }) => RequestOptions<ServerMsg, ClientMsg>, string][] = [
      ['its reply', (o) => ({ replyIdOf, ...o }), '5ms (r|)'],
      ['a timeout', (o) => ({ replyIdOf, ...o, timeoutMs: 3 }), '3ms #'],
      [
        'replyIdOf throwing',
        (o) => ({
          replyIdOf: () => {
            throw new Error('boom');
          },
          ...o,
        }),
        '5ms #',
      ],
    ];

    it.each(endings)(
      'ends when the last request waiting on it ends by %s, and the next request starts another',
      (_how, options, marbles) => {
        newScheduler().run(({ expectObservable, flush }) => {
          const { server, socket: real } = setup();
          const socket = counting(real);
          answerRequests(server, { delayMs: 5, reply: doubled });
          const make = ids();
          expectObservable(request(socket, ask(1), { ...options({ timeoutMs: 50 }), id: make }).pipe()).toBe(
            marbles,
            { r: { type: 'reply', id: 'r1', data: 2 } },
            expect.anything(),
          );
          flush();
          expect([socket.active, socket.closeActive]).toEqual([0, 0]);
          expect(socket.total).toBe(1);
          // The socket let go of its connection too.
          expect(server.connection(0).clientClose?.code).toBe(1000);
          request(socket, ask(2), { replyIdOf, id: make }).subscribe();
          expect([socket.active, socket.total]).toEqual([1, 2]);
          flush();
          expect([socket.active, socket.closeActive]).toEqual([0, 0]);
        });
      },
    );

    it('ends when the last of several requests is unsubscribed, not before, each cancel sent while it holds', () => {
      newScheduler().run(({ flush }) => {
        const { server, socket: real } = setup();
        const socket = counting(real);
        const make = ids();
        const a = request(socket, ask(1), { replyIdOf, id: make, cancel }).subscribe();
        const b = request(socket, ask(2), { replyIdOf, id: make, cancel }).subscribe();
        const active: number[] = [];
        server.scheduler.schedule(() => {
          a.unsubscribe();
          active.push(socket.active);
        }, 2);
        server.scheduler.schedule(() => {
          b.unsubscribe();
          active.push(socket.active);
        }, 4);
        flush();
        expect(active).toEqual([1, 0]);
        expect(socket.closeActive).toBe(0);
        expect(server.connection(0).sentJson()).toEqual([
          { type: 'request', id: 'r1', data: 1 },
          { type: 'request', id: 'r2', data: 2 },
          { type: 'cancel', id: 'r1' },
          { type: 'cancel', id: 'r2' },
        ]);
        expect(server.connection(0).clientClose?.code).toBe(1000);
      });
    });

    it('ends when the socket stops, every waiting request erroring, and a request made after starts another', () => {
      newScheduler().run(({ cold, flush }) => {
        const { server, socket: real } = setup();
        const socket = counting(real);
        server.script(cold('4ms c', { c: { close: 1008 } }));
        const errors: unknown[] = [];
        const make = ids();
        for (let n = 1; n <= 3; n++)
          request(socket, ask(n), { replyIdOf, id: make }).subscribe({ error: (e: unknown) => errors.push(e) });
        flush();
        expect(errors).toEqual(Array(3).fill(new WebSocketCloseError({ code: 1008, reason: '', wasClean: true })));
        expect([socket.active, socket.closeActive]).toEqual([0, 0]);
        request(socket, ask(4), { replyIdOf, id: make }).subscribe({ error: () => undefined });
        expect([socket.active, socket.total]).toEqual([1, 2]);
      });
    });

    it('is one per replyIdOf function: two functions on one socket, two subscriptions, each request answered', () => {
      newScheduler().run(({ flush }) => {
        const { server, socket: real } = setup();
        const socket = counting(real);
        answerRequests(server, { delayMs: 5, reply: doubled });
        const other = (msg: ServerMsg): string | undefined => replyIdOf(msg);
        const replies: unknown[] = [];
        const make = ids();
        request(socket, ask(1), { replyIdOf, id: make }).subscribe((r) => replies.push(r));
        request(socket, ask(2), { replyIdOf: other, id: make }).subscribe((r) => replies.push(r));
        request(socket, ask(3), { replyIdOf, id: make }).subscribe((r) => replies.push(r));
        expect(socket.active).toBe(2);
        flush();
        expect(replies).toEqual([
          { type: 'reply', id: 'r1', data: 2 },
          { type: 'reply', id: 'r2', data: 4 },
          { type: 'reply', id: 'r3', data: 6 },
        ]);
        expect([socket.active, socket.closeActive]).toEqual([0, 0]);
      });
    });

    it('is one per socket: the same replyIdOf on two sockets, each request answered on its own', () => {
      newScheduler().run(({ flush }) => {
        const first = setup();
        const second = setup();
        const a = counting(first.socket);
        const b = counting(second.socket);
        answerRequests(first.server, { delayMs: 5, reply: doubled });
        answerRequests(second.server, {
          delayMs: 7,
          reply: (message, id) => (message.type === 'request' ? { type: 'reply' as const, id, data: -1 } : undefined),
        });
        const replies: unknown[] = [];
        // The same ids on both sockets: each socket's index is its own.
        request(a, ask(1), { replyIdOf, id: () => 'x' }).subscribe((r) => replies.push(['a', r]));
        request(b, ask(1), { replyIdOf, id: () => 'x' }).subscribe((r) => replies.push(['b', r]));
        expect([a.active, b.active]).toEqual([1, 1]);
        flush();
        expect(replies).toEqual([
          ['a', { type: 'reply', id: 'x', data: 2 }],
          ['b', { type: 'reply', id: 'x', data: -1 }],
        ]);
        expect([a.active, b.active]).toEqual([0, 0]);
      });
    });
  });

  describe('on a socket whose message$ ends at once', () => {
    const stub = (message$: Observable<ServerMsg>) =>
      counting<ServerMsg, ClientMsg>({
        message$,
        open$: NEVER,
        close$: NEVER,
        readyState: OPEN,
        send: () => undefined,
      });

    it('errors the request with its error, and leaves nothing subscribed; the next request subscribes afresh', () => {
      const socket = stub(throwError(() => new Error('cannot start')));
      const errors: unknown[] = [];
      request(socket, ask(1), { replyIdOf, id: ids() }).subscribe({ error: (e: unknown) => errors.push(e) });
      expect(errors).toEqual([new Error('cannot start')]);
      expect([socket.active, socket.closeActive]).toEqual([0, 0]);
      request(socket, ask(2), { replyIdOf, id: ids() }).subscribe({ error: (e: unknown) => errors.push(e) });
      expect(errors).toHaveLength(2);
      expect(socket.total).toBe(2);
    });

    it('a request made from the failing one’s error callback subscribes afresh and waits, and later ones join it', () => {
      const messages = new Subject<ServerMsg>();
      let fail = true;
      const socket = stub(
        new Observable<ServerMsg>((subscriber) => {
          if (!fail) return messages.subscribe(subscriber);
          fail = false;
          subscriber.error(new Error('cannot start'));
          return undefined;
        }),
      );
      const replies: unknown[] = [];
      request(socket, ask(1), { replyIdOf, id: () => 'one' }).subscribe({
        error: () => request(socket, ask(2), { replyIdOf, id: () => 'two' }).subscribe((r) => replies.push(r)),
      });
      expect(socket.active).toBe(1);
      // The failed request's leaving does not take the new subscription's place: the next request shares it.
      request(socket, ask(3), { replyIdOf, id: () => 'three' }).subscribe((r) => replies.push(r));
      expect([socket.active, socket.total]).toEqual([1, 2]);
      messages.next({ type: 'reply', id: 'two', data: 4 });
      messages.next({ type: 'reply', id: 'three', data: 6 });
      expect(replies).toEqual([
        { type: 'reply', id: 'two', data: 4 },
        { type: 'reply', id: 'three', data: 6 },
      ]);
      expect([socket.active, socket.closeActive]).toEqual([0, 0]);
    });
  });

  describe('options', () => {
    const { socket } = setup();
    const bad = (options: unknown) => () => request(socket, ask(1), options as RequestOptions<ServerMsg, ClientMsg>);

    it('refuses isReply and replyIdOf together, naming both', () => {
      expect(bad({ isReply, replyIdOf })).toThrow(InvalidOptionError);
      expect(bad({ isReply, replyIdOf })).toThrow(/request\.replyIdOf.*request\.isReply/);
    });

    it('refuses neither, naming both', () => {
      expect(bad({ timeoutMs: 5 })).toThrow(InvalidOptionError);
      expect(bad({ timeoutMs: 5 })).toThrow(/request\.isReply.*request\.replyIdOf/);
    });

    it('refuses a replyIdOf that is not a function', () => {
      expect(bad({ replyIdOf: 'id' })).toThrow(InvalidOptionError);
      expect(bad({ replyIdOf: 'id' })).toThrow('request.replyIdOf');
    });

    it('takes replyIdOf, and at compile time neither both nor neither', () => {
      // @ts-expect-error both
      expect(() => request(socket, ask(1), { isReply, replyIdOf })).toThrow(InvalidOptionError);
      // @ts-expect-error neither
      expect(() => request(socket, ask(1), { timeoutMs: 5 })).toThrow(InvalidOptionError);
      expect(request(socket, ask(1), { replyIdOf })).toBeDefined();
    });
  });
});
