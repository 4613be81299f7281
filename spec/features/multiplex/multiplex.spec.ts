import { asyncScheduler, config, NEVER, type Observable, retry } from 'rxjs';
import {
  CallbackError,
  CLOSED,
  CLOSING,
  CONNECTING,
  OPEN,
  constantBackoff,
  EncodeError,
  fromWebSocket,
  InvalidOptionError,
  json,
  multiplex,
  WebSocketCloseError,
  type WebSocketConstructor,
} from '../../../lib/index';
import {
  createWebSocketDouble,
  type ConnectionScript,
  type WebSocketDoubleOptions,
  type WebSocketServerDouble,
} from '../../../lib/testing/index';
import { at, newScheduler } from '../../helpers/virtual-time';

type Command = { op: 'sub' | 'unsub'; channel: string };
type Tick = { channel: string; n: number };

const FEED_URL = 'wss://feed.example/ws';

/** Runs `work` at virtual frame `frame` (inside `TestScheduler.run`). */
/** The connections whose socket is not closed. */
const openSockets = (server: WebSocketServerDouble): number[] =>
  server.connections.filter((connection) => connection.readyState !== 3).map((connection) => connection.index);

/** A socket speaking JSON over a fresh double (inside `TestScheduler.run`). */
function feed(double: WebSocketDoubleOptions = {}) {
  const server = createWebSocketDouble<Tick, Command>(double);
  const socket = fromWebSocket<Tick, Command>(FEED_URL, {
    ...json<Tick, Command>(),
    WebSocketCtor: server.WebSocketCtor,
  });
  return { server, socket };
}

/** A socket that reads text and sends `Out` (through `serializer`, when given) over a double that opens at once. */
function textFeed<Out>(serializer?: (value: Out) => string | ArrayBuffer | Uint8Array) {
  const server = createWebSocketDouble<string, Out>({ autoOpen: true });
  const socket = fromWebSocket<string, Out>(FEED_URL, {
    WebSocketCtor: server.WebSocketCtor,
    deserializer: (e) => e.data as string,
    ...(serializer && { serializer }),
  });
  return { server, socket };
}

describe('multiplex', () => {
  it('sends one subscribe per channel, one unsubscribe when the last subscriber leaves, and subscribes again after a reconnection without replaying unsubscribes made while disconnected', () => {
    newScheduler().run(({ cold, flush }) => {
      const server = createWebSocketDouble<Tick, Command>();
      // The first connection opens at 1 ms and drops at 10 ms; the second opens 1 ms after it is made.
      server.script((connection) => cold(connection.index === 0 ? '-o 8ms x' : '-o', { o: 'open', x: 'drop' }));
      const socket = fromWebSocket<Tick, Command>('wss://feed.example/ws', {
        ...json<Tick, Command>(),
        WebSocketCtor: server.WebSocketCtor,
        reconnect: { backoff: constantBackoff({ delayMs: 100 }) },
      });
      const channel = (name: string) =>
        multiplex(
          socket,
          () => ({ op: 'sub', channel: name }),
          () => ({ op: 'unsub', channel: name }),
          (tick) => tick.channel === name,
        );
      const btc: Tick[] = [];
      const a = channel('BTC').subscribe((t) => btc.push(t));
      const b = channel('BTC').subscribe();
      const eth = channel('ETH').subscribe();
      cold('5ms u').subscribe(() => b.unsubscribe()); // BTC still has a subscriber: nothing is sent
      cold('6ms m').subscribe(() => server.latest.messageJson({ channel: 'BTC', n: 1 }));
      cold('50ms e').subscribe(() => eth.unsubscribe()); // while disconnected: nothing to cancel
      cold('120ms m').subscribe(() => server.latest.messageJson({ channel: 'BTC', n: 2 }));
      cold('130ms u').subscribe(() => a.unsubscribe());
      flush();
      expect(server.connections).toHaveLength(2);
      expect(server.connection(0).sentJson()).toEqual([
        { op: 'sub', channel: 'BTC' },
        { op: 'sub', channel: 'ETH' },
      ]);
      expect(server.connection(1).sentJson()).toEqual([
        { op: 'sub', channel: 'BTC' },
        { op: 'unsub', channel: 'BTC' },
      ]);
      expect(btc).toEqual([
        { channel: 'BTC', n: 1 },
        { channel: 'BTC', n: 2 },
      ]);
    });
  });

  it('ends every subscriber of a channel with the error that stops the socket, sends no stale unsubscribe, and starts afresh for the next subscriber', () => {
    newScheduler().run(({ cold, flush }) => {
      const server = createWebSocketDouble<Tick, Command>();
      // The first connection is closed by the server with 4401 (not retried); the second stays open.
      server.script((connection) =>
        cold(connection.index === 0 ? '-o 8ms x' : '-o', { o: 'open', x: { close: { code: 4401, reason: 'no' } } }),
      );
      const socket = fromWebSocket<Tick, Command>('wss://feed.example/ws', {
        ...json<Tick, Command>(),
        WebSocketCtor: server.WebSocketCtor,
      });
      const btc = () =>
        multiplex(
          socket,
          () => ({ op: 'sub', channel: 'BTC' }),
          () => ({ op: 'unsub', channel: 'BTC' }),
          (tick) => tick.channel === 'BTC',
        );
      const ended: unknown[] = [];
      btc().subscribe({ error: (error: unknown) => ended.push(error) });
      btc().subscribe({ error: (error: unknown) => ended.push(error) });
      const later: Tick[] = [];
      cold('20ms s').subscribe(() => btc().subscribe((tick) => later.push(tick)));
      cold('25ms m').subscribe(() => server.latest.messageJson({ channel: 'BTC', n: 1 }));
      flush();
      expect(ended).toHaveLength(2);
      expect(ended[0]).toBeInstanceOf(WebSocketCloseError);
      expect(ended[1]).toBe(ended[0]);
      expect((ended[0] as WebSocketCloseError).closeCode).toBe(4401);
      expect(server.connection(0).sentJson()).toEqual([{ op: 'sub', channel: 'BTC' }]);
      expect(server.connection(1).sentJson()).toEqual([{ op: 'sub', channel: 'BTC' }]);
      expect(later).toEqual([{ channel: 'BTC', n: 1 }]);
    });
  });
  describe('when a channel cannot start, or its socket stops', () => {
    /** A socket whose serializer rejects messages while `rejecting()`; nobody listens on error$, so send throws. */
    function rejectingSetup() {
      const server = createWebSocketDouble<{ ch: string }, { sub?: string; unsub?: string }>({ autoOpen: true });
      const control = { rejecting: true };
      const socket = fromWebSocket<{ ch: string }, { sub?: string; unsub?: string }>(FEED_URL, {
        WebSocketCtor: server.WebSocketCtor,
        deserializer: (e) => JSON.parse(e.data as string) as { ch: string },
        serializer: (value) => {
          if (control.rejecting) throw new Error('not now');
          return JSON.stringify(value);
        },
      });
      const channel = multiplex(
        socket,
        () => ({ sub: 'a' }),
        () => ({ unsub: 'a' }),
        (m) => m.ch === 'a',
      );
      return { server, socket, channel, control };
    }

    it('after a subscribe message that could not be sent, the next subscriber of that key still gets its messages', () => {
      newScheduler().run(({ flush }) => {
        const { server, socket, channel, control } = rejectingSetup();
        const hold = socket.connect();
        const firstErrors: unknown[] = [];
        const received: unknown[] = [];
        at(server, 5, () => channel.subscribe({ error: (e: unknown) => firstErrors.push(e) }));
        at(server, 6, () => {
          control.rejecting = false;
          channel.subscribe((m) => received.push(m));
        });
        at(server, 7, () => server.latest.messageJson({ ch: 'a' }));
        at(server, 8, () => hold.unsubscribe());
        flush();
        expect(firstErrors).toHaveLength(1);
        expect(received).toEqual([{ ch: 'a' }]);
      });
    });

    it('a subscribe message the serializer rejects while error$ is listened to errors the subscriber with the EncodeError reported there once, and sends no unsubscribe later', () => {
      newScheduler().run(({ flush }) => {
        const { server, socket, channel, control } = rejectingSetup();
        const reported: unknown[] = [];
        socket.error$.subscribe((error) => reported.push(error));
        const hold = socket.connect();
        const errors: unknown[] = [];
        let sub: { unsubscribe(): void } | undefined;
        at(server, 5, () => (sub = channel.subscribe({ error: (e: unknown) => errors.push(e) })));
        at(server, 6, () => (control.rejecting = false));
        at(server, 7, () => sub?.unsubscribe());
        at(server, 8, () => hold.unsubscribe());
        flush();
        expect(reported).toHaveLength(1);
        expect(reported[0]).toBeInstanceOf(EncodeError);
        expect(errors).toEqual(reported);
        expect(server.connection(0).sent).toEqual([]);
        expect(openSockets(server)).toEqual([]);
      });
    });

    it('a channel whose subscribe message could not be sent does not hold the socket open for ever', () => {
      newScheduler().run(({ flush }) => {
        const { server, socket, channel } = rejectingSetup();
        const hold = socket.connect();
        at(server, 5, () => channel.subscribe({ error: () => undefined }));
        at(server, 8, () => hold.unsubscribe());
        flush();
        expect(server.connections.length).toBe(1);
        expect(openSockets(server)).toEqual([]);
      });
    });

    it('a channel with retry() resubscribes synchronously after a stop code and gets the next connection', () => {
      newScheduler().run(({ cold, flush }) => {
        const server = createWebSocketDouble<{ ch: string }, { sub: string }>();
        server.script((c) => cold(c.index === 0 ? '-o 3ms x' : '-o', { o: 'open', x: { close: 4401 } }));
        const socket = fromWebSocket<{ ch: string }, { sub: string }>(FEED_URL, {
          WebSocketCtor: server.WebSocketCtor,
          deserializer: (e) => JSON.parse(e.data as string) as { ch: string },
          serializer: JSON.stringify,
        });
        const received: unknown[] = [];
        multiplex(
          socket,
          () => ({ sub: 'a' }),
          () => ({ sub: 'no' }),
          (m) => m.ch === 'a',
        )
          .pipe(retry(1))
          .subscribe((m) => received.push(m));
        at(server, 20, () => server.latest.messageJson({ ch: 'a' }));
        flush();
        expect(server.connections.length).toBe(2);
        expect(server.connection(1).sentJson()).toEqual([{ sub: 'a' }]);
        expect(received).toEqual([{ ch: 'a' }]);
      });
    });
  });
  describe('when a channel starts at the edges of an open', () => {
    const subscribeFrom = (socket: ReturnType<typeof fromWebSocket<Tick, Command>>) => () =>
      multiplex(
        socket,
        () => ({ op: 'sub', channel: 'BTC' }),
        () => ({ op: 'unsub', channel: 'BTC' }),
        (tick) => tick.channel === 'BTC',
      ).subscribe();

    it('a channel started from a state$ "open" callback, before open$, subscribes once', () => {
      newScheduler().run(({ flush }) => {
        const { server, socket } = feed({ autoOpen: true });
        const start = subscribeFrom(socket);
        socket.state$.subscribe((state) => {
          if (state.status === 'open') start();
        });
        const held = socket.connect();
        flush();
        expect(server.connection(0).sentJson()).toEqual([{ op: 'sub', channel: 'BTC' }]);
        held.unsubscribe();
      });
    });

    describe("joined while the socket's session ends (the server completes a client's close in 20 ms)", () => {
      /**
       * A socket whose connections open at once (or as `script` says: one that never opens waits for ever, rather than
       * timing out and trying again), a BTC channel on it, and a recorder of what each subscriber gets.
       */
      const ending = (
        script?: ConnectionScript<Tick, Command>,
        url: string | (() => string | Observable<string>) = FEED_URL,
      ) => {
        const server = createWebSocketDouble<Tick, Command>({ autoOpen: !script, closeDelayMs: 20 });
        if (script) server.script(script);
        const socket = fromWebSocket<Tick, Command>(url, {
          ...json<Tick, Command>(),
          WebSocketCtor: server.WebSocketCtor,
          reconnect: { connectTimeoutMs: Infinity },
        });
        const btc = () =>
          multiplex(
            socket,
            () => ({ op: 'sub', channel: 'BTC' }) as const,
            () => ({ op: 'unsub', channel: 'BTC' }) as const,
            (message) => message.channel === 'BTC',
          );
        const log: unknown[] = [];
        const record = (who: string) => ({
          next: (tick: Tick) => log.push([who, tick.n, server.scheduler.now()]),
          complete: () => log.push([who, 'complete', server.scheduler.now()]),
        });
        const sent = () => server.connections.map((connection) => connection.sentJson());
        return { server, socket, btc, log, record, sent };
      };
      const SUB = { op: 'sub', channel: 'BTC' };
      const UNSUB = { op: 'unsub', channel: 'BTC' };

      it('a subscriber that joins a running channel while close() closes the socket holds the next connection, as one of message$ does: the running channel ends with the close', () => {
        newScheduler().run(({ flush }) => {
          const { server, socket, btc, log, record, sent } = ending();
          btc().subscribe(record('first'));
          at(server, 1, () => server.latest.messageJson({ channel: 'BTC', n: 1 }));
          at(server, 5, () => socket.close());
          at(server, 6, () => btc().subscribe(record('late')));
          // On the next connection, opened at 25 ms.
          at(server, 50, () => server.latest.messageJson({ channel: 'BTC', n: 2 }));
          flush();
          expect(log).toEqual([
            ['first', 1, 1],
            ['first', 'complete', 25],
            ['late', 2, 50],
          ]);
          expect(sent()).toEqual([[SUB], [SUB]]);
          expect(openSockets(server)).toEqual([1]);
        });
      });

      it('members that joined a running channel while the socket was open end with it at a close(): none is carried over', () => {
        newScheduler().run(({ flush }) => {
          const { server, socket, btc, log, record, sent } = ending();
          btc().subscribe(record('first'));
          at(server, 2, () => btc().subscribe(record('second')));
          at(server, 5, () => socket.close());
          flush();
          expect(log).toEqual([
            ['first', 'complete', 25],
            ['second', 'complete', 25],
          ]);
          expect(sent()).toEqual([[SUB]]);
          expect(openSockets(server)).toEqual([]);
        });
      });

      it.each(['close() closes it', 'its last subscriber left'])(
        'two subscribers that come while %s share one channel on the next connection: one subscribe, and no unsubscribe while one stays',
        (how) => {
          newScheduler().run(({ flush }) => {
            const { server, socket, btc, log, record, sent } = ending();
            const first = btc().subscribe(record('first'));
            at(server, 5, () => (how === 'close() closes it' ? socket.close() : first.unsubscribe()));
            const late = [6, 7].map((ms) => {
              const held = { subscription: undefined as { unsubscribe(): void } | undefined };
              at(server, ms, () => (held.subscription = btc().subscribe(record(`at ${ms}`))));
              return held;
            });
            at(server, 40, () => late[0]!.subscription!.unsubscribe());
            at(server, 50, () => server.latest.messageJson({ channel: 'BTC', n: 2 }));
            flush();
            expect(sent()).toEqual([how === 'close() closes it' ? [SUB] : [SUB, UNSUB], [SUB]]);
            expect(log.filter((entry) => (entry as unknown[])[0] !== 'first')).toEqual([['at 7', 2, 50]]);
            expect(openSockets(server)).toEqual([1]);
          });
        },
      );

      it.each(['close()', "the server's 1008, which the policy does not retry"])(
        'one that comes from a state$ callback of the closed state that %s ends in holds the next connection too',
        (how) => {
          newScheduler().run(({ flush }) => {
            const { server, socket, btc, log, record, sent } = ending();
            const byServer = how !== 'close()';
            btc().subscribe({
              ...record('first'),
              error: (error: { code: string }) => log.push(['first', error.code, server.scheduler.now()]),
            });
            let joined = false;
            socket.state$.subscribe((state) => {
              if (state.status !== 'closed' || joined) return;
              joined = true;
              btc().subscribe(record('from closed'));
            });
            at(server, 5, () => (byServer ? server.latest.close(1008) : socket.close()));
            at(server, 50, () => server.latest.messageJson({ channel: 'BTC', n: 2 }));
            flush();
            expect(log).toEqual([
              byServer ? ['first', 'ERR_WEBSOCKET_CLOSED', 5] : ['first', 'complete', 25],
              ['from closed', 2, 50],
            ]);
            expect(sent()).toEqual([[SUB], [SUB]]);
          });
        },
      );

      it("one that comes from the ending channel's own completion, and one that came before it, share the channel made again", () => {
        newScheduler().run(({ flush }) => {
          const { server, socket, btc, log, record, sent } = ending();
          btc().subscribe({ complete: () => btc().subscribe(record('from complete')) });
          at(server, 5, () => socket.close());
          at(server, 6, () => btc().subscribe(record('late')));
          at(server, 50, () => server.latest.messageJson({ channel: 'BTC', n: 2 }));
          flush();
          expect(log).toEqual([
            ['from complete', 2, 50],
            ['late', 2, 50],
          ]);
          expect(sent()).toEqual([[SUB], [SUB]]);
        });
      });

      it.each([
        ['a second connection that never opens', false],
        ['a next attempt still waiting for its URL', true],
      ])(
        'a channel made as the socket closes for its last subscriber, closed by close() before it opens (%s), ends for every member: none is carried over again',
        (_, waitsForUrl) => {
          newScheduler().run(({ cold, flush }) => {
            // Only the first connection opens; with waitsForUrl, the next attempt waits for a URL that never comes.
            let asked = 0;
            const { server, socket, btc, log, record } = ending(
              (connection) => (connection.index === 0 ? cold('o', { o: 'open' }) : undefined),
              () => (asked++ === 0 || !waitsForUrl ? FEED_URL : NEVER),
            );
            const first = btc().subscribe();
            at(server, 5, () => first.unsubscribe());
            // Both come while the first connection closes: the channel made at 6 ms holds the next one already.
            at(server, 6, () => btc().subscribe(record('at 6')));
            at(server, 7, () => btc().subscribe(record('at 7')));
            // The next attempt, made at 25 ms, is still connecting.
            at(server, 30, () => socket.close());
            flush();
            expect(log).toEqual([
              ['at 6', 'complete', 30],
              ['at 7', 'complete', 30],
            ]);
            expect(asked).toBe(2);
            expect(server.connections).toHaveLength(waitsForUrl ? 1 : 2);
          });
        },
      );

      it("a channel started from a close$ callback of a close that ends the socket, joined from the closed state's callback, holds the next connection for both, and ends with it", () => {
        newScheduler().run(({ cold, flush }) => {
          // The first connection opens at once and is closed by the server with 1008 (not retried) at 5 ms.
          const {
            server,
            socket,
            btc: channel,
            log,
            record,
          } = ending((connection) => cold(connection.index === 0 ? 'o 4ms c' : 'o', { o: 'open', c: { close: 1008 } }));
          const once = <T>(
            source: { subscribe(next: (value: T) => void): { unsubscribe(): void } },
            act: (value: T) => boolean,
          ) => {
            let done = false;
            source.subscribe((value) => {
              if (!done && act(value)) done = true;
            });
          };
          once(socket.close$, () => (channel().subscribe(record('from close$')), true));
          once(
            socket.state$,
            (state) => state.status === 'closed' && (channel().subscribe(record('from closed')), true),
          );
          socket.connect();
          // The next connection opens at once; close() at 30 ms ends it at 50.
          at(server, 20, () => server.latest.messageJson({ channel: 'BTC', n: 1 }));
          at(server, 30, () => socket.close());
          flush();
          expect(log).toEqual([
            ['from close$', 1, 20],
            ['from closed', 1, 20],
            ['from close$', 'complete', 50],
            ['from closed', 'complete', 50],
          ]);
          expect(server.connections).toHaveLength(2);
        });
      });

      it('a channel whose filter throws as the socket closes errors every member, those that came late too: none is carried over', () => {
        /** A WebSocket-like driven by hand, which, as `ws` does, still delivers messages once close() has been called. */
        class HandSocket {
          static made: HandSocket[] = [];
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
            HandSocket.made.push(this);
          }
          send(): void {}
          close(): void {
            this.readyState = CLOSING;
          }
        }
        newScheduler().run(({ flush }) => {
          const socket = fromWebSocket<Tick, Command>(FEED_URL, {
            ...json<Tick, Command>(),
            WebSocketCtor: HandSocket as unknown as WebSocketConstructor,
            // A connection that never opens waits for ever, rather than timing out and trying again.
            reconnect: { connectTimeoutMs: Infinity },
          });
          const channel = () =>
            multiplex(
              socket,
              () => ({ op: 'sub', channel: 'BTC' }) as const,
              () => ({ op: 'unsub', channel: 'BTC' }) as const,
              (message) => {
                if (message.n < 0) throw new Error('bad tick');
                return message.channel === 'BTC';
              },
            );
          const errors: unknown[] = [];
          const record = (who: string) => ({ error: (error: unknown) => errors.push([who, error]) });
          channel().subscribe(record('first'));
          asyncScheduler.schedule(() => {
            const ws = HandSocket.made[0]!;
            ws.readyState = OPEN;
            ws.onopen?.({ type: 'open' });
            socket.close();
            channel().subscribe(record('late'));
            // Read during the closing handshake.
            ws.onmessage?.({ type: 'message', data: JSON.stringify({ channel: 'BTC', n: -1 }) });
            ws.readyState = CLOSED;
            ws.onclose?.({ type: 'close', code: 1000, reason: '', wasClean: true });
          }, 1);
          flush();
          const failed = expect.objectContaining({ code: 'ERR_CALLBACK', hook: 'multiplex.filter' });
          expect(errors).toEqual([
            ['first', failed],
            ['late', failed],
          ]);
          expect(HandSocket.made).toHaveLength(1);
        });
      });

      it("one that comes late and leaves from another member's completion is carried nowhere: nothing is held or sent", () => {
        newScheduler().run(({ flush }) => {
          const { server, socket, btc, sent } = ending();
          let late: { unsubscribe(): void } | undefined;
          btc().subscribe({ complete: () => late!.unsubscribe() });
          at(server, 5, () => socket.close());
          at(server, 6, () => (late = btc().subscribe()));
          flush();
          expect(sent()).toEqual([[SUB]]);
          expect(openSockets(server)).toEqual([]);
          expect(socket.readyState).toBe(CLOSED);
        });
      });

      it('one that came late to a channel started from a close$ callback, whose next connection close() ends before it opens, ends with it: it is not carried over twice', () => {
        newScheduler().run(({ cold, flush }) => {
          // The server closes the first connection with 1008 (not retried) at 4 ms; the second never opens.
          const {
            server,
            socket,
            btc: channel,
            log,
            record,
          } = ending((connection) =>
            connection.index === 0 ? cold('o 3ms c', { o: 'open', c: { close: 1008 } }) : undefined,
          );
          socket.connect();
          let fromClose = false;
          let fromClosed = false;
          socket.close$.subscribe(() => {
            if (fromClose) return;
            fromClose = true;
            channel().subscribe(record('from close$'));
          });
          socket.state$.subscribe((state) => {
            if (state.status !== 'closed' || fromClosed) return;
            fromClosed = true;
            channel().subscribe(record('from closed'));
          });
          at(server, 30, () => socket.close());
          flush();
          expect(log).toEqual([
            ['from close$', 'complete', 30],
            ['from closed', 'complete', 30],
          ]);
          expect(server.connections).toHaveLength(2);
        });
      });

      it('once the channel made again has opened, a later close() ends it for every member, those that came late included, and carries over those that come as it closes', () => {
        newScheduler().run(({ flush }) => {
          const { server, socket, btc, log, record, sent } = ending();
          btc().subscribe(record('first'));
          at(server, 5, () => socket.close());
          at(server, 6, () => btc().subscribe(record('late')));
          // The next connection opens at 25 ms; its close, made at 30, ends at 50. One that comes meanwhile is carried
          // over in turn, to the connection after it.
          at(server, 30, () => socket.close());
          at(server, 31, () => btc().subscribe(record('later')));
          at(server, 60, () => server.latest.messageJson({ channel: 'BTC', n: 3 }));
          flush();
          expect(log).toEqual([
            ['first', 'complete', 25],
            ['late', 'complete', 50],
            ['later', 3, 60],
          ]);
          expect(sent()).toEqual([[SUB], [SUB], [SUB]]);
          expect(openSockets(server)).toEqual([2]);
        });
      });
    });

    it('a channel started while the socket is already closed (from a close$ callback) subscribes once, on the next open', () => {
      newScheduler().run(({ cold, flush }) => {
        const server = createWebSocketDouble<Tick, Command>();
        server.script((c) => cold(c.index === 0 ? '-o-x' : '-o', { o: 'open', x: 'drop' }));
        const socket = fromWebSocket<Tick, Command>(FEED_URL, {
          ...json<Tick, Command>(),
          WebSocketCtor: server.WebSocketCtor,
          reconnect: { backoff: constantBackoff({ delayMs: 10 }) },
        });
        const start = subscribeFrom(socket);
        let started = false;
        socket.close$.subscribe(() => {
          if (!started) {
            started = true;
            start();
          }
        });
        socket.connect();
        at(server, 50, () => socket.close());
        flush();
        expect(server.connection(0).sentJson()).toEqual([]);
        expect(server.connection(1).sentJson()).toEqual([{ op: 'sub', channel: 'BTC' }]);
      });
    });
  });

  describe('when the application re-enters as a channel starts', () => {
    /** A socket over a double that opens at once and reconnects 10 ms after a drop, and its BTC channel. */
    function reentrant() {
      const server = createWebSocketDouble<Tick, Command>({ autoOpen: true });
      const socket = fromWebSocket<Tick, Command>(FEED_URL, {
        ...json<Tick, Command>(),
        WebSocketCtor: server.WebSocketCtor,
        reconnect: { backoff: constantBackoff({ delayMs: 10, jitter: 'none' }) },
      });
      const btc = (subscribeMsg: () => Command = () => ({ op: 'sub', channel: 'BTC' })) =>
        multiplex(
          socket,
          subscribeMsg,
          () => ({ op: 'unsub', channel: 'BTC' }),
          (tick) => tick.channel === 'BTC',
        );
      const log = (into: unknown[]) => ({
        next: (tick: unknown) => into.push(tick),
        error: (error: unknown) => into.push(error),
        complete: () => into.push('complete'),
      });
      return { server, socket, btc, log };
    }

    it('a socket closed by a state$ subscriber as the channel starts ends the channel, as message$, and the key starts afresh later', () => {
      newScheduler().run(({ flush }) => {
        const { server, socket, btc, log } = reentrant();
        let closed = false;
        socket.state$.subscribe((state) => {
          if (state.status === 'connecting' && !closed) {
            closed = true;
            socket.close();
          }
        });
        const first: unknown[] = [];
        const viaMessages: unknown[] = [];
        const firstSubscription = btc().subscribe(log(first));
        expect(first).toEqual(['complete']);
        expect(firstSubscription.closed).toBe(true);
        const later: unknown[] = [];
        at(server, 5, () => btc().subscribe(log(later)));
        at(server, 5, () => socket.message$.subscribe(log(viaMessages)));
        at(server, 10, () => server.latest.messageJson({ channel: 'BTC', n: 1 }));
        flush();
        expect(server.connections).toHaveLength(1);
        expect(server.connection(0).sentJson()).toEqual([{ op: 'sub', channel: 'BTC' }]);
        expect(later).toEqual([{ channel: 'BTC', n: 1 }]);
        expect(viaMessages).toEqual([{ channel: 'BTC', n: 1 }]);
      });
    });

    it('the same key subscribed from a state$ callback as its channel starts joins that channel: one subscribe, no unsubscribe while one remains', () => {
      newScheduler().run(({ cold, flush }) => {
        const { server, socket, btc } = reentrant();
        server.script((connection) => (connection.index === 0 ? cold('6ms x', { x: 'drop' }) : undefined));
        const b: unknown[] = [];
        let joined: { unsubscribe(): void } | undefined;
        socket.state$.subscribe((state) => {
          if (state.status === 'connecting' && !joined) joined = btc().subscribe((tick) => b.push(tick));
        });
        const a = btc().subscribe();
        at(server, 30, () => a.unsubscribe());
        at(server, 40, () => server.latest.messageJson({ channel: 'BTC', n: 2 }));
        at(server, 50, () => joined!.unsubscribe());
        flush();
        expect(server.connection(0).sentJson()).toEqual([{ op: 'sub', channel: 'BTC' }]);
        expect(server.connection(1).sentJson()).toEqual([
          { op: 'sub', channel: 'BTC' },
          { op: 'unsub', channel: 'BTC' },
        ]);
        expect(server.connection(1).clientClose?.time).toBe(50);
        expect(b).toEqual([{ channel: 'BTC', n: 2 }]);
      });
    });

    it('a channel whose last subscriber leaves from subscribeMsg, as it resubscribes after a reconnection, sends no subscribe', () => {
      newScheduler().run(({ cold, flush }) => {
        const { server, socket, btc } = reentrant();
        server.script((connection) => (connection.index === 0 ? cold('5ms x', { x: 'drop' }) : undefined));
        let calls = 0;
        const held: { subscription?: { unsubscribe(): void } } = {};
        held.subscription = btc(() => {
          // 1: the default key; 2: the first open; 3: the reopening at 15 ms, where the view has gone meanwhile.
          if (++calls === 3) held.subscription!.unsubscribe();
          return { op: 'sub', channel: 'BTC' };
        }).subscribe();
        socket.connect();
        flush();
        expect(calls).toBe(3);
        expect(server.connection(0).sentJson()).toEqual([{ op: 'sub', channel: 'BTC' }]);
        expect(server.connection(1).sentJson()).toEqual([]);
      });
    });

    it('a subscribeMsg that closes the socket as the channel resubscribes: nothing is sent or reported, and the channel completes with the socket', () => {
      newScheduler().run(({ cold, flush }) => {
        const { server, socket, btc, log } = reentrant();
        server.script((connection) => (connection.index === 0 ? cold('5ms x', { x: 'drop' }) : undefined));
        const errors: unknown[] = [];
        // Listened to: a message sent while closing is reported there, not thrown.
        socket.error$.subscribe((error) => errors.push(error));
        let calls = 0;
        const seen: unknown[] = [];
        btc(() => {
          // 1: the default key; 2: the first open; 3: the reopening at 15 ms.
          if (++calls === 3) socket.close();
          return { op: 'sub', channel: 'BTC' };
        }).subscribe(log(seen));
        flush();
        expect(calls).toBe(3);
        expect(seen).toEqual(['complete']);
        expect(errors.map((error) => (error as Error).name)).toEqual(['TransportError']);
        expect(server.connection(1).sentJson()).toEqual([]);
        expect(openSockets(server)).toEqual([]);
      });
    });

    it('a subscribeMsg that reconnects as the channel resubscribes: the channel subscribes once, on the next connection', () => {
      newScheduler().run(({ cold, flush }) => {
        const { server, socket, btc, log } = reentrant();
        server.script((connection) => (connection.index === 0 ? cold('5ms x', { x: 'drop' }) : undefined));
        const errors: unknown[] = [];
        socket.error$.subscribe((error) => errors.push(error));
        let calls = 0;
        const seen: unknown[] = [];
        const channel = btc(() => {
          if (++calls === 3) socket.reconnect();
          return { op: 'sub', channel: 'BTC' };
        }).subscribe(log(seen));
        at(server, 50, () => server.latest.messageJson({ channel: 'BTC', n: 1 }));
        at(server, 60, () => channel.unsubscribe());
        flush();
        expect(calls).toBe(4);
        expect(seen).toEqual([{ channel: 'BTC', n: 1 }]);
        expect(errors.map((error) => (error as Error).name)).toEqual(['TransportError']);
        expect(server.connections.map((connection) => connection.sentJson())).toEqual([
          [{ op: 'sub', channel: 'BTC' }],
          [],
          [
            { op: 'sub', channel: 'BTC' },
            { op: 'unsub', channel: 'BTC' },
          ],
        ]);
      });
    });
  });

  describe('when its filter throws', () => {
    it('errors the channel with a CallbackError holding what it threw, reports it on error$, sends the unsubscribe message, and leaves the socket running', () => {
      newScheduler().run(({ cold, flush }) => {
        const server = createWebSocketDouble<Tick, Command>();
        server.script(
          cold('-o-a-b', { o: 'open', a: { json: { channel: 'BAD', n: 1 } }, b: { json: { channel: 'BTC', n: 2 } } }),
        );
        const socket = fromWebSocket<Tick, Command>(FEED_URL, {
          ...json<Tick, Command>(),
          WebSocketCtor: server.WebSocketCtor,
        });
        const boom = new Error('filter failed');
        const errors: unknown[] = [];
        multiplex(
          socket,
          () => ({ op: 'sub', channel: 'BTC' }),
          () => ({ op: 'unsub', channel: 'BTC' }),
          (tick) => {
            if (tick.channel === 'BAD') throw boom;
            return tick.channel === 'BTC';
          },
        ).subscribe({ error: (error: unknown) => errors.push(error) });
        const messages: Tick[] = [];
        const held = socket.message$.subscribe((tick) => messages.push(tick));
        const heard: unknown[] = [];
        const listening = socket.error$.subscribe((error) => heard.push(error));
        flush();
        expect(errors).toHaveLength(1);
        expect(errors[0]).toBeInstanceOf(CallbackError);
        expect(errors[0]).toMatchObject({ code: 'ERR_CALLBACK', hook: 'multiplex.filter', cause: boom });
        expect(heard).toEqual(errors);
        expect(server.connection(0).sentJson()).toEqual([
          { op: 'sub', channel: 'BTC' },
          { op: 'unsub', channel: 'BTC' },
        ]);
        expect(messages).toEqual([
          { channel: 'BAD', n: 1 },
          { channel: 'BTC', n: 2 },
        ]);
        expect(openSockets(server)).toEqual([0]);
        held.unsubscribe();
        listening.unsubscribe();
      });
    });
  });

  describe('when its unsubscribe message cannot be made or sent', () => {
    it('an unsubscribeMsg that throws is reported on error$ as a CallbackError, and the channel lets go of the socket', () => {
      newScheduler().run(({ flush }) => {
        const { server, socket } = feed({ autoOpen: true });
        const boom = new Error('no unsubscribe today');
        const channel = multiplex(
          socket,
          () => ({ op: 'sub', channel: 'BTC' }),
          () => {
            throw boom;
          },
          (tick) => tick.channel === 'BTC',
        );
        const heard: unknown[] = [];
        const listening = socket.error$.subscribe((error) => heard.push(error));
        const member = channel.subscribe();
        const thrown: unknown[] = [];
        at(server, 5, () => {
          try {
            member.unsubscribe();
          } catch (error) {
            thrown.push(error);
          }
        });
        at(server, 6, () => listening.unsubscribe());
        flush();
        expect(thrown).toEqual([]);
        expect(heard).toHaveLength(1);
        expect(heard[0]).toBeInstanceOf(CallbackError);
        expect(heard[0]).toMatchObject({ hook: 'multiplex.unsubscribeMsg', cause: boom });
        expect(server.connection(0).sentJson()).toEqual([{ op: 'sub', channel: 'BTC' }]);
        expect(server.connections).toHaveLength(1);
        expect(openSockets(server)).toEqual([]);
      });
    });

    it('an unsubscribe message the serializer rejects while nobody listens on error$ throws nowhere, and the channel lets go of the socket', () => {
      newScheduler().run(({ flush }) => {
        const server = createWebSocketDouble<{ ch: string }, { sub?: string; unsub?: string }>({ autoOpen: true });
        const socket = fromWebSocket<{ ch: string }, { sub?: string; unsub?: string }>(FEED_URL, {
          WebSocketCtor: server.WebSocketCtor,
          deserializer: (e) => JSON.parse(e.data as string) as { ch: string },
          serializer: (value) => {
            if (value.unsub) throw new Error('cannot encode');
            return JSON.stringify(value);
          },
        });
        const member = multiplex(
          socket,
          () => ({ sub: 'a' }),
          () => ({ unsub: 'a' }),
          (m) => m.ch === 'a',
        ).subscribe();
        const thrown: unknown[] = [];
        at(server, 5, () => {
          try {
            member.unsubscribe();
          } catch (error) {
            thrown.push(error);
          }
        });
        flush();
        expect(thrown).toEqual([]);
        expect(server.connection(0).sentJson()).toEqual([{ sub: 'a' }]);
        expect(server.connections).toHaveLength(1);
        expect(openSockets(server)).toEqual([]);
      });
    });
  });

  describe('when its subscribe message after a reconnection cannot be made or sent', () => {
    /** What RxJS would rethrow out of band (in an application, an uncaught exception), collected instead. */
    function unhandledErrors(): unknown[] {
      const unhandled: unknown[] = [];
      config.onUnhandledError = (error) => unhandled.push(error);
      return unhandled;
    }
    afterEach(() => {
      config.onUnhandledError = null;
    });

    it('an earlier open$ subscriber that closes the socket: the channel sends nothing and completes with the socket, and nothing is thrown', () => {
      newScheduler().run(({ cold, flush }) => {
        const unhandled = unhandledErrors();
        const server = createWebSocketDouble<Tick, Command>();
        server.script((c) => cold(c.index === 0 ? '-o 4ms x' : '-o', { o: 'open', x: 'drop' }));
        const socket = fromWebSocket<Tick, Command>(FEED_URL, {
          ...json<Tick, Command>(),
          WebSocketCtor: server.WebSocketCtor,
          reconnect: { backoff: constantBackoff({ delayMs: 10 }) },
        });
        let opens = 0;
        socket.open$.subscribe(() => {
          if (++opens === 2) socket.close();
        });
        const events: string[] = [];
        multiplex(
          socket,
          () => ({ op: 'sub', channel: 'BTC' }),
          () => ({ op: 'unsub', channel: 'BTC' }),
          (tick) => tick.channel === 'BTC',
        ).subscribe({
          error: (error: unknown) => events.push(`error ${String(error)}`),
          complete: () => events.push('complete'),
        });
        flush();
        expect(unhandled).toEqual([]);
        expect(server.connection(0).sentJson()).toEqual([{ op: 'sub', channel: 'BTC' }]);
        expect(server.connection(1).sentJson()).toEqual([]);
        expect(events).toEqual(['complete']);
        expect(openSockets(server)).toEqual([]);
      });
    });

    it('a subscribe message the serializer rejects while nobody listens on error$ errors the channel with the EncodeError, and it lets go of the socket', () => {
      newScheduler().run(({ cold, flush }) => {
        const unhandled = unhandledErrors();
        const server = createWebSocketDouble<{ ch: string }, { sub: string }>();
        server.script((c) => cold(c.index === 0 ? '-o 4ms x' : '-o', { o: 'open', x: 'drop' }));
        let sends = 0;
        const socket = fromWebSocket<{ ch: string }, { sub: string }>(FEED_URL, {
          WebSocketCtor: server.WebSocketCtor,
          deserializer: (e) => JSON.parse(e.data as string) as { ch: string },
          serializer: (value) => {
            if (++sends === 2) throw new Error('cannot encode');
            return JSON.stringify(value);
          },
          reconnect: { backoff: constantBackoff({ delayMs: 10 }) },
        });
        const errors: unknown[] = [];
        multiplex(
          socket,
          () => ({ sub: 'a' }),
          () => ({ sub: 'no' }),
          (m) => m.ch === 'a',
        ).subscribe({ error: (error: unknown) => errors.push(error) });
        flush();
        expect(unhandled).toEqual([]);
        expect(errors).toHaveLength(1);
        expect(errors[0]).toBeInstanceOf(EncodeError);
        expect(server.connection(0).sentJson()).toEqual([{ sub: 'a' }]);
        expect(server.connection(1).sentJson()).toEqual([]);
        expect(server.connections).toHaveLength(2);
        expect(openSockets(server)).toEqual([]);
      });
    });

    it.each([
      ['a plain channel', undefined],
      [
        'a resumable channel',
        {
          cursorOf: (m: { ch: string; seq?: string }) => m.seq,
          isRecovered: (m: { ch: string; seq?: string }) => (m.ch === 'resumed' ? true : undefined),
          onResume: (event: unknown) => void event,
        },
      ],
    ])(
      '%s whose subscribe message the serializer rejects while error$ is listened to: the EncodeError, reported once, ends the channel, with no unsubscribe and no resume awaited',
      (_kind, options) => {
        newScheduler().run(({ cold, flush }) => {
          const unhandled = unhandledErrors();
          const server = createWebSocketDouble<{ ch: string; seq?: string }, { sub?: string; unsub?: string }>();
          server.script((c) => cold(c.index === 0 ? '-o 4ms x' : '-o', { o: 'open', x: 'drop' }));
          let sends = 0;
          const socket = fromWebSocket<{ ch: string; seq?: string }, { sub?: string; unsub?: string }>(FEED_URL, {
            WebSocketCtor: server.WebSocketCtor,
            deserializer: (e) => JSON.parse(e.data as string) as { ch: string; seq?: string },
            serializer: (value) => {
              if (++sends === 2) throw new Error('cannot encode');
              return JSON.stringify(value);
            },
            reconnect: { backoff: constantBackoff({ delayMs: 10 }) },
          });
          // The drop is reported too (a TransportError): only what encoding refused is counted.
          const reported: unknown[] = [];
          socket.error$.subscribe((error) => error instanceof EncodeError && reported.push(error));
          const hold = socket.connect();
          const events: unknown[] = [];
          const channel = multiplex(
            socket,
            (cursor) => ({ sub: cursor ?? 'a' }),
            () => ({ unsub: 'a' }),
            (m) => m.ch === 'a',
            options && { ...options, onResume: (event) => events.push(event) },
          ).subscribe({ next: (m) => events.push(m), error: (error: unknown) => events.push(error) });
          at(server, 2, () => server.latest.messageJson({ ch: 'a', seq: '1' }));
          // The second connection opens at 16: its subscribe is rejected. What comes after it is not the channel's.
          at(server, 20, () => server.latest.messageJson({ ch: 'a', seq: '2' }));
          at(server, 25, () => channel.unsubscribe());
          at(server, 30, () => hold.unsubscribe());
          flush();
          expect(unhandled).toEqual([]);
          expect(reported).toHaveLength(1);
          expect(reported[0]).toBeInstanceOf(EncodeError);
          expect(events).toEqual([{ ch: 'a', seq: '1' }, reported[0]]);
          expect(server.connection(0).sentJson()).toEqual([{ sub: 'a' }]);
          expect(server.connection(1).sentJson()).toEqual([]);
          expect(openSockets(server)).toEqual([]);
        });
      },
    );

    it('a subscribeMsg that throws on a re-subscribe: error$ and every subscriber of the channel get the CallbackError', () => {
      newScheduler().run(({ cold, flush }) => {
        const unhandled = unhandledErrors();
        const server = createWebSocketDouble<Tick, Command>();
        server.script((c) => cold(c.index === 0 ? '-o 4ms x' : '-o', { o: 'open', x: 'drop' }));
        const socket = fromWebSocket<Tick, Command>(FEED_URL, {
          ...json<Tick, Command>(),
          WebSocketCtor: server.WebSocketCtor,
          reconnect: { backoff: constantBackoff({ delayMs: 10 }) },
        });
        const boom = new Error('no subscribe today');
        let made = 0;
        const channel = multiplex(
          socket,
          () => {
            if (++made === 2) throw boom;
            return { op: 'sub', channel: 'BTC' };
          },
          () => ({ op: 'unsub', channel: 'BTC' }),
          (tick) => tick.channel === 'BTC',
          { key: 'BTC' },
        );
        const errors: unknown[] = [];
        channel.subscribe({ error: (error: unknown) => errors.push(error) });
        channel.subscribe({ error: (error: unknown) => errors.push(error) });
        const heard: unknown[] = [];
        const listening = socket.error$.subscribe((error) => heard.push(error));
        at(server, 30, () => listening.unsubscribe());
        flush();
        expect(unhandled).toEqual([]);
        expect(errors).toHaveLength(2);
        expect(errors[0]).toBeInstanceOf(CallbackError);
        expect(errors[0]).toMatchObject({ hook: 'multiplex.subscribeMsg', cause: boom });
        expect(errors[1]).toBe(errors[0]);
        expect(heard.filter((error) => error instanceof CallbackError)).toEqual([errors[0]]);
        expect(server.connection(1).sentJson()).toEqual([]);
        expect(openSockets(server)).toEqual([]);
      });
    });

    it('a channel whose last subscriber leaves from an earlier open$ subscriber sends no unsubscribe to a socket it never subscribed on', () => {
      newScheduler().run(({ cold, flush }) => {
        const server = createWebSocketDouble<Tick, Command>();
        server.script((c) => cold(c.index === 0 ? '-o 4ms x' : '-o', { o: 'open', x: 'drop' }));
        const socket = fromWebSocket<Tick, Command>(FEED_URL, {
          ...json<Tick, Command>(),
          WebSocketCtor: server.WebSocketCtor,
          reconnect: { backoff: constantBackoff({ delayMs: 10 }) },
        });
        let opens = 0;
        socket.open$.subscribe(() => {
          if (++opens === 2) member.unsubscribe();
        });
        const member = multiplex(
          socket,
          () => ({ op: 'sub', channel: 'BTC' }),
          () => ({ op: 'unsub', channel: 'BTC' }),
          (tick) => tick.channel === 'BTC',
        ).subscribe();
        const held = socket.connect();
        flush();
        expect(server.connection(0).sentJson()).toEqual([{ op: 'sub', channel: 'BTC' }]);
        expect(server.connection(1).sentJson()).toEqual([]);
        held.unsubscribe();
      });
    });
  });

  describe('its default key', () => {
    it('keys binary subscribe messages by their bytes: two channels with different bytes each subscribe and get their own messages', () => {
      newScheduler().run(({ flush }) => {
        const { server, socket } = textFeed<ArrayBuffer | Uint8Array>();
        const channel = (byte: number, name: string, view = false) =>
          multiplex(
            socket,
            () => (view ? new Uint8Array([9, byte]) : new Uint8Array([9, byte]).buffer),
            () => new Uint8Array([0, byte]).buffer,
            (m) => m === name,
          );
        const a: string[] = [];
        const b: string[] = [];
        channel(1, 'a').subscribe((m) => a.push(m));
        channel(2, 'b').subscribe((m) => b.push(m));
        channel(2, 'b', true).subscribe(); // the same bytes through a view: the same channel
        at(server, 5, () => {
          server.latest.message('a');
          server.latest.message('b');
        });
        flush();
        expect(
          server
            .connection(0)
            .sentMessages()
            .map((data) => [...(data as Uint8Array)]),
        ).toEqual([
          [9, 1],
          [9, 2],
        ]);
        expect(a).toEqual(['a']);
        expect(b).toEqual(['b']);
      });
    });

    it('keys binary data inside a JSON subscribe message by its bytes too, and a string by itself', () => {
      newScheduler().run(({ flush }) => {
        const { server, socket } = textFeed<unknown>((value) =>
          typeof value === 'string'
            ? value
            : JSON.stringify(value, (_k, v: unknown) => (v instanceof ArrayBuffer ? [...new Uint8Array(v)] : v)),
        );
        const channel = (message: unknown) =>
          multiplex(
            socket,
            () => message,
            () => 'bye',
            () => false,
          );
        channel({ id: new Uint8Array([1]).buffer }).subscribe();
        channel({ id: new Uint8Array([2]).buffer }).subscribe();
        channel('{}').subscribe();
        channel('[]').subscribe();
        channel({}).subscribe();
        flush();
        expect(server.connection(0).sentMessages()).toEqual(['{"id":[1]}', '{"id":[2]}', '{}', '[]', '{}']);
      });
    });

    it('refuses a Blob subscribe message without a key with an InvalidOptionError naming multiplex.key, and takes one with a key', () => {
      newScheduler().run(({ flush }) => {
        const { server, socket } = textFeed<Blob>();
        const channel = (options?: { key: string }) =>
          multiplex(
            socket,
            () => new Blob(['sub']),
            () => new Blob(['unsub']),
            () => true,
            options,
          );
        const errors: unknown[] = [];
        const heard: unknown[] = [];
        socket.error$.subscribe((error) => heard.push(error));
        channel().subscribe({ error: (error: unknown) => errors.push(error) });
        const held = channel({ key: 'blob' }).subscribe();
        flush();
        expect(errors).toHaveLength(1);
        expect(errors[0]).toBeInstanceOf(InvalidOptionError);
        expect(errors[0]).toMatchObject({ code: 'ERR_INVALID_OPTION', option: 'multiplex.key' });
        expect((errors[0] as Error).message).toBe(
          'Invalid option multiplex.key: undefined (a Blob subscribe message cannot be read synchronously: give the channel a key)',
        );
        // A programming error, for the caller alone: not an event of the socket.
        expect(heard).toEqual([]);
        expect(server.connection(0).sent).toHaveLength(1);
        held.unsubscribe();
      });
    });

    it('keeps the kinds of key apart: a given key, a string, binary data and JSON never name the same channel', () => {
      newScheduler().run(({ flush }) => {
        const { server, socket } = textFeed<unknown>((value) =>
          typeof value === 'string' || value instanceof ArrayBuffer ? value : JSON.stringify(value),
        );
        const channel = (message: unknown, key?: string) =>
          multiplex(
            socket,
            () => message,
            () => 'bye',
            () => false,
            key === undefined ? undefined : { key },
          ).subscribe();
        channel('sub a', 'a');
        channel('sub b', 'b');
        // The string whose text is the given key's, with its prefix.
        channel('ka');
        channel(new Uint8Array([1]).buffer);
        // What binary data inside JSON is keyed as, as the whole message: still JSON, not binary.
        channel({ '\u0000bytes': '\u0001' });
        flush();
        expect(server.connection(0).sent).toHaveLength(5);
      });
    });

    it('keys an object subscribe message where there is no Blob (an older runtime)', () => {
      const descriptor = Object.getOwnPropertyDescriptor(globalThis, 'Blob');
      Object.defineProperty(globalThis, 'Blob', { value: undefined, configurable: true, writable: true });
      try {
        newScheduler().run(({ flush }) => {
          const { server, socket } = feed({ autoOpen: true });
          const errors: unknown[] = [];
          multiplex(
            socket,
            () => ({ op: 'sub', channel: 'BTC' }),
            () => ({ op: 'unsub', channel: 'BTC' }),
            () => true,
          ).subscribe({ error: (error: unknown) => errors.push(error) });
          flush();
          expect(errors).toEqual([]);
          expect(server.connection(0).sentJson()).toEqual([{ op: 'sub', channel: 'BTC' }]);
        });
      } finally {
        if (descriptor) Object.defineProperty(globalThis, 'Blob', descriptor);
      }
    });

    it('a subscribe message JSON cannot represent (a cycle, a BigInt) errors the subscriber with a CallbackError for multiplex.key, heard on error$ too', () => {
      newScheduler().run(({ flush }) => {
        const { server, socket } = textFeed<unknown>();
        const cycle: { self?: unknown } = {};
        cycle.self = cycle;
        const heard: unknown[] = [];
        const listening = socket.error$.subscribe((error) => heard.push(error));
        const held = socket.connect();
        const errors: unknown[] = [];
        for (const message of [cycle, { n: 1n }]) {
          multiplex(
            socket,
            () => message,
            () => 'bye',
            () => true,
          ).subscribe({ error: (error: unknown) => errors.push(error) });
        }
        flush();
        expect(errors).toHaveLength(2);
        for (const error of errors) {
          expect(error).toBeInstanceOf(CallbackError);
          expect(error).toMatchObject({ hook: 'multiplex.key' });
          expect((error as CallbackError).cause).toBeInstanceOf(TypeError);
        }
        expect(heard).toEqual(errors);
        expect(server.connection(0).sent).toEqual([]);
        listening.unsubscribe();
        held.unsubscribe();
      });
    });
  });

  describe('when its subscribeMsg throws on the first subscribe', () => {
    it('errors the subscriber with a CallbackError, reports it on error$, and holds nothing', () => {
      newScheduler().run(({ flush }) => {
        const { server, socket } = feed({ autoOpen: true });
        const boom = new Error('no');
        const heard: unknown[] = [];
        const listening = socket.error$.subscribe((error) => heard.push(error));
        const errors: unknown[] = [];
        multiplex(
          socket,
          () => {
            throw boom;
          },
          () => ({ op: 'unsub', channel: 'BTC' }),
          () => true,
        ).subscribe({ error: (error: unknown) => errors.push(error) });
        at(server, 5, () => listening.unsubscribe());
        flush();
        expect(errors).toHaveLength(1);
        expect(errors[0]).toMatchObject({ code: 'ERR_CALLBACK', hook: 'multiplex.subscribeMsg', cause: boom });
        expect(heard).toEqual(errors);
        expect(openSockets(server)).toEqual([]);
      });
    });
  });
});

describe('multiplex(socket, ...) as a function', () => {
  it('refuses a socket that fromWebSocket did not make with a TypeError naming the problem', () => {
    const notOurs = { message$: NEVER, send: () => undefined };
    for (const socket of [notOurs, null, undefined, {}]) {
      expect(() =>
        multiplex(
          socket as ReturnType<typeof fromWebSocket<Tick, Command>>,
          () => ({ op: 'sub', channel: 'BTC' }),
          () => ({ op: 'unsub', channel: 'BTC' }),
          () => true,
        ),
      ).toThrow(new TypeError('multiplex: the first argument must be a socket made by fromWebSocket'));
    }
  });

  it.each<[string, unknown[], string]>([
    ['the filter left out', [() => 'sub', () => 'unsub'], 'multiplex.filter'],
    ['a filter that is no function', [() => 'sub', () => 'unsub', 'BTC'], 'multiplex.filter'],
    ['the unsubscribe message maker left out', [() => 'sub'], 'multiplex.unsubscribeMsg'],
    ['a subscribe message that is no function', ['sub', () => 'unsub', () => true], 'multiplex.subscribeMsg'],
    ['options that are no object', [() => 'sub', () => 'unsub', () => true, 'BTC'], 'multiplex.options'],
  ])('refuses %s with an InvalidOptionError naming it, at the call', (_name, args, option) => {
    const socket = fromWebSocket<Tick, Command>(FEED_URL, json<Tick, Command>());
    const call = (multiplex as unknown as (...all: unknown[]) => unknown).bind(undefined, socket, ...args);
    expect(call).toThrow(InvalidOptionError);
    expect(call).toThrow(expect.objectContaining({ option }));
  });

  it.each<[string, unknown[], string]>([
    [
      'a subscribe message that is no function',
      ['sub', () => 'unsub', () => true],
      'Invalid option multiplex.subscribeMsg: "sub" (a function, the second argument)',
    ],
    [
      'the unsubscribe message maker left out',
      [() => 'sub'],
      'Invalid option multiplex.unsubscribeMsg: undefined (a function, the third argument)',
    ],
    [
      'options that are no object',
      [() => 'sub', () => 'unsub', () => true, 'BTC'],
      'Invalid option multiplex.options: "BTC" (an object)',
    ],
  ])('says what is wrong with %s', (_name, args, message) => {
    const socket = fromWebSocket<Tick, Command>(FEED_URL, json<Tick, Command>());
    const call = (multiplex as unknown as (...all: unknown[]) => unknown).bind(undefined, socket, ...args);
    expect(call).toThrow(message);
  });

  it('names the missing filter in its message', () => {
    const socket = fromWebSocket<Tick, Command>(FEED_URL, json<Tick, Command>());
    const call = (multiplex as unknown as (...all: unknown[]) => unknown).bind(
      undefined,
      socket,
      () => 'sub',
      () => 'unsub',
    );
    expect(call).toThrow(/^Invalid option multiplex\.filter: undefined \(a function, the fourth argument/);
  });

  it('is no longer a property of the socket, and adds no enumerable one to it', () => {
    const socket = fromWebSocket<Tick, Command>(FEED_URL, json<Tick, Command>());
    expect('multiplex' in socket).toBe(false);
    // The streams a channel uses are made on first access, by design: made first here, they are not what is checked.
    void [socket.message$, socket.open$];
    const keys = Object.keys(socket);
    multiplex(
      socket,
      () => ({ op: 'sub', channel: 'BTC' }),
      () => ({ op: 'unsub', channel: 'BTC' }),
      () => true,
    );
    expect(Object.keys(socket)).toEqual(keys);
  });
});
