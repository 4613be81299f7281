import { asyncScheduler, type Observable } from 'rxjs';
import { type TestScheduler } from 'rxjs/testing';
import {
  CallbackError,
  type CloseInfo,
  constantBackoff,
  DEFAULT_HEARTBEAT,
  EncodeError,
  fromWebSocket,
  heartbeat,
  type HeartbeatOptions,
  HeartbeatTimeoutError,
  type WebSocketConstructor,
  type WebSocketOptions,
} from '../../../lib/index';
import {
  createWebSocketDouble,
  type ServerAction,
  type SocketDouble,
  type WebSocketDoubleOptions,
  type WebSocketServerDouble,
} from '../../../lib/testing/index';
import { newScheduler } from '../../helpers/virtual-time';

// The heartbeat as users run it: through fromWebSocket, against the virtual-time double, every delay in virtual time.
// The double is a browser socket (no ping frames, no terminate()) unless a spec gives it a terminate().

const FEED_URL = 'wss://feed.example/ws';
const HEARTBEAT_CLOSE: CloseInfo = { code: 1006, reason: 'heartbeat timeout', wasClean: false };
const HOUR = 3_600_000;

/** Every value `source` emits, with the virtual frame it came at (which no clock step moves). */
function timed<T>(scheduler: TestScheduler, source: Observable<T>): { at: number; value: T }[] {
  const seen: { at: number; value: T }[] = [];
  source.subscribe({ next: (value) => seen.push({ at: scheduler.frame, value }), error: () => undefined });
  return seen;
}

interface Run {
  readonly scheduler: TestScheduler;
  readonly server: WebSocketServerDouble<string, string>;
  readonly socket: ReturnType<typeof fromWebSocket<string, string>>;
  readonly cold: (marbles: string, values?: Record<string, ServerAction<string>>) => Observable<ServerAction<string>>;
  readonly flush: () => void;
}

/**
 * A socket with `heartbeat` on the double (every connection opens at once), reconnecting 10 ms after each close, in
 * `TestScheduler.run`. `work` scripts and subscribes; the run then flushes.
 */
function run(
  settings: HeartbeatOptions,
  work: (run: Run) => void,
  extra: { double?: WebSocketDoubleOptions; options?: WebSocketOptions<string, string> } = {},
): void {
  const scheduler = newScheduler();
  scheduler.run(({ cold, flush }) => {
    const server = createWebSocketDouble<string, string>({ autoOpen: true, ...extra.double });
    const socket = fromWebSocket<string, string>(FEED_URL, {
      WebSocketCtor: server.WebSocketCtor,
      heartbeat: heartbeat(settings),
      reconnect: { backoff: constantBackoff({ delayMs: 10 }) },
      ...extra.options,
    });
    work({
      scheduler,
      server,
      socket,
      cold: (marbles, values) => cold(marbles, values),
      flush,
    });
    flush();
  });
}

/** Runs `work` at virtual time `at`. */
const at = (scheduler: TestScheduler, time: number, work: () => void): void => void scheduler.schedule(work, time);

/** Sends text to the client on the latest connection at each of `times`. */
function messagesAt(run: Run, times: number[], text = 'tick'): void {
  for (const time of times) at(run.scheduler, time, () => run.server.latest.message(text));
}

/** The double's socket class with ws's terminate(): records the call and cuts the connection as ws does. */
function terminating(server: WebSocketServerDouble<string, string>, terminated: number[]): WebSocketConstructor {
  class TerminatingSocket extends server.WebSocketCtor {
    terminate(): void {
      const connection = server.connections.find((c) => c.socket === (this as SocketDouble));
      if (connection === undefined) throw new Error('terminate() on a socket the server does not know');
      terminated.push(connection.index);
      // ws destroys the TCP socket; its close event (1006) follows later, for a listener still attached to hear.
      connection.drop();
    }
  }
  return TerminatingSocket;
}

/** The ping frames of a protocol-ping socket (as ws's): those the client sent, and a way to deliver the peer's. */
interface PingFrames {
  readonly sentAt: number[];
  /** Delivers a ping or pong frame from the peer to every socket listening for it (here, one at a time). */
  frame(kind: 'ping' | 'pong'): void;
}

/** The double's socket class with ws's ping(), on() and off(): the heartbeat uses ping frames, not messages. */
function pinging(
  server: WebSocketServerDouble<string, string>,
  scheduler: TestScheduler,
): {
  Ctor: WebSocketConstructor;
  frames: PingFrames;
} {
  const listeners = new Map<string, Set<() => void>>();
  const sentAt: number[] = [];
  class PingingSocket extends server.WebSocketCtor {
    ping(): void {
      sentAt.push(scheduler.frame);
    }
    on(event: string, listener: () => void): void {
      const set = listeners.get(event) ?? new Set<() => void>();
      set.add(listener);
      listeners.set(event, set);
    }
    off(event: string, listener: () => void): void {
      listeners.get(event)?.delete(listener);
    }
  }
  return {
    Ctor: PingingSocket,
    frames: { sentAt, frame: (kind) => listeners.get(kind)?.forEach((listener) => listener()) },
  };
}

describe('heartbeat through fromWebSocket, in virtual time', () => {
  describe('with the default timings', () => {
    it('pings after 30 s of silence and drops the connection 10 s later, reporting both timings', () => {
      expect(DEFAULT_HEARTBEAT).toEqual({ intervalMs: 30_000, timeoutMs: 10_000 });
      run(
        { ping: 'ping' },
        (r) => {
          const closes = timed(r.scheduler, r.socket.close$);
          const errors = timed(r.scheduler, r.socket.error$);
          r.socket.connect();
          r.flush();
          expect(r.server.connection(0).sent).toEqual([{ data: 'ping', time: 30_000 }]);
          expect(closes).toEqual([{ at: 40_000, value: HEARTBEAT_CLOSE }]);
          expect(errors).toHaveLength(1);
          expect(errors[0]?.value).toBeInstanceOf(HeartbeatTimeoutError);
          expect(errors[0]?.value).toMatchObject({ intervalMs: 30_000, timeoutMs: 10_000 });
        },
        { options: { reconnect: false } },
      );
    });
  });

  describe('when a connection goes silent', () => {
    it('one death gives exactly one close$ and one retry; the dead socket is terminated and let go', () => {
      run({ intervalMs: 100, timeoutMs: 50, ping: 'ping' }, (r) => {
        const terminated: number[] = [];
        const socket = fromWebSocket<string, string>(FEED_URL, {
          WebSocketCtor: terminating(r.server, terminated),
          heartbeat: heartbeat({ intervalMs: 100, timeoutMs: 50, ping: 'ping' }),
          reconnect: { backoff: constantBackoff({ delayMs: 10 }) },
        });
        const closes = timed(r.scheduler, socket.close$);
        const states = timed(r.scheduler, socket.state$);
        // The second connection stays busy, so that only the first one dies.
        r.server.script((c) =>
          c.index === 0 ? undefined : r.cold('50ms m 49ms m 49ms m 49ms m', { m: { message: 'm' } }),
        );
        socket.connect();
        at(r.scheduler, 300, () => socket.close());
        r.flush();
        // Ping at 100, dead at 150, one retry 10 ms later, and nothing more from the dead socket.
        expect(closes).toEqual([
          { at: 150, value: HEARTBEAT_CLOSE },
          { at: 300, value: { code: 1000, reason: '', wasClean: true } },
        ]);
        expect(terminated).toEqual([0]);
        expect(r.server.attempts.map((a) => a.time)).toEqual([0, 160]);
        const retries = states.filter((s) => s.value.status === 'reconnecting');
        expect(retries).toEqual([
          {
            at: 150,
            value: { status: 'reconnecting', attempt: 1, delayMs: 10, lastClose: HEARTBEAT_CLOSE },
          },
        ]);
      });
    });

    it('a browser socket (no terminate()) is closed with 1000 and its handlers detached', () => {
      run({ intervalMs: 100, timeoutMs: 50, ping: 'ping' }, (r) => {
        const closes = timed(r.scheduler, r.socket.close$);
        r.socket.connect();
        at(r.scheduler, 155, () => r.socket.close());
        r.flush();
        expect(r.server.connection(0).clientClose).toEqual({ code: 1000, reason: '', time: 150 });
        expect(r.server.connection(0).socket.onmessage).toBeNull();
        expect(closes.map((c) => c.at)).toEqual([150]);
      });
    });

    it('the attempt count keeps growing across deaths in a row: a dead connection cancels its resetAfterMs timer', () => {
      const attempts: number[] = [];
      run(
        { intervalMs: 100, timeoutMs: 50, ping: 'ping' },
        (r) => {
          r.socket.connect();
          at(r.scheduler, 480, () => r.socket.close());
        },
        {
          options: {
            // Connection 1 opens at 160 and dies at 310, before its 200 ms would reset the count at 360.
            reconnect: {
              backoff: (attempt) => {
                attempts.push(attempt);
                return 10;
              },
              resetAfterMs: 200,
            },
          },
        },
      );
      expect(attempts).toEqual([1, 2, 3]);
    });

    it('a death while closing ends the session instead of reconnecting', () => {
      run(
        { intervalMs: 100, timeoutMs: 50, ping: 'ping' },
        (r) => {
          const states = timed(r.scheduler, r.socket.state$);
          const closes = timed(r.scheduler, r.socket.close$);
          let completed = -1;
          r.socket.message$.subscribe({ complete: () => (completed = r.scheduler.now()) });
          // The server never answers the close: the socket stays CLOSING until the heartbeat gives up on it.
          at(r.scheduler, 50, () => r.socket.close());
          r.flush();
          expect(r.server.connections).toHaveLength(1);
          expect(closes).toEqual([{ at: 150, value: HEARTBEAT_CLOSE }]);
          expect(states.at(-1)).toEqual({ at: 150, value: { status: 'closed', close: HEARTBEAT_CLOSE } });
          expect(completed).toBe(150);
        },
        { double: { holdClose: true } },
      );
    });
  });

  describe('what counts as traffic', () => {
    it('any message: a feed that speaks every 90 ms is never pinged, and with no isPong each one reaches message$', () => {
      run({ intervalMs: 100, timeoutMs: 50, ping: 'ping' }, (r) => {
        const closes = timed(r.scheduler, r.socket.close$);
        const messages = timed(r.scheduler, r.socket.message$);
        messagesAt(r, [90, 180, 270, 360, 450]);
        at(r.scheduler, 500, () => r.socket.close());
        r.flush();
        expect(r.server.connection(0).sent).toEqual([]);
        expect(messages.map((m) => m.at)).toEqual([90, 180, 270, 360, 450]);
        expect(closes.map((c) => c.value.code)).toEqual([1000]);
      });
    });

    it('any message after a ping, not only a pong, keeps the connection', () => {
      run({ intervalMs: 100, timeoutMs: 50, ping: 'ping', isPong: (d) => d === 'pong' }, (r) => {
        const closes = timed(r.scheduler, r.socket.close$);
        messagesAt(r, [120]);
        r.socket.connect();
        at(r.scheduler, 200, () => r.socket.close());
        r.flush();
        // Ping at 100, an ordinary message at 120: alive at 150; the next ping would go at 220.
        expect(r.server.connection(0).sent.map((f) => f.time)).toEqual([100]);
        expect(closes.map((c) => c.value.code)).toEqual([1000]);
      });
    });

    it("the peer's ping frames and pongs: a connection that hears only those is never dropped", () => {
      run({ intervalMs: 100, timeoutMs: 50 }, (r) => {
        const { Ctor, frames } = pinging(r.server, r.scheduler);
        const socket = fromWebSocket<string, string>(FEED_URL, {
          WebSocketCtor: Ctor,
          heartbeat: heartbeat({ intervalMs: 100, timeoutMs: 50 }),
        });
        const closes = timed(r.scheduler, socket.close$);
        const messages = timed(r.scheduler, socket.message$);
        socket.connect();
        for (const time of [90, 180, 270]) at(r.scheduler, time, () => frames.frame('ping'));
        // Silent from 270: a ping frame at 370, answered by a pong at 380; the next one at 480 is not answered.
        at(r.scheduler, 380, () => frames.frame('pong'));
        at(r.scheduler, 600, () => socket.close());
        r.flush();
        expect(frames.sentAt).toEqual([370, 480]);
        expect(r.server.connection(0).sent).toEqual([]);
        expect(messages).toEqual([]);
        expect(closes).toEqual([{ at: 530, value: HEARTBEAT_CLOSE }]);
      });
    });

    it('in a browser, with no ping and no ping frames, silence alone is watched: nothing is sent', () => {
      run({ intervalMs: 100, timeoutMs: 50 }, (r) => {
        const closes = timed(r.scheduler, r.socket.close$);
        messagesAt(r, [90, 180, 270]);
        r.socket.connect();
        at(r.scheduler, 600, () => r.socket.close());
        r.flush();
        // Last message at 270: silent until 370, given the timeout until 420.
        expect(r.server.connection(0).sent).toEqual([]);
        expect(closes[0]).toEqual({ at: 420, value: HEARTBEAT_CLOSE });
      });
    });
  });

  describe('pongs', () => {
    /** Ping at 100 answered by 'pong' at 110, and a message 'a' at 130; returns what message$ emitted. */
    function pongRun(emitPongs: boolean): { messages: string[]; closes: number[] } {
      let result = { messages: [] as string[], closes: [] as number[] };
      run({ intervalMs: 100, timeoutMs: 50, ping: 'ping', isPong: (d) => d === 'pong', emitPongs }, (r) => {
        const messages: string[] = [];
        const closes = timed(r.scheduler, r.socket.close$);
        r.socket.message$.subscribe((m) => messages.push(m));
        messagesAt(r, [110], 'pong');
        messagesAt(r, [130], 'a');
        at(r.scheduler, 200, () => r.socket.close());
        r.flush();
        result = { messages, closes: closes.map((c) => c.value.code) };
      });
      return result;
    }

    it('are kept off message$ by default, and still count as traffic', () => {
      expect(pongRun(false)).toEqual({ messages: ['a'], closes: [1000] });
    });

    it('reach message$ with emitPongs', () => {
      expect(pongRun(true)).toEqual({ messages: ['pong', 'a'], closes: [1000] });
    });
  });

  describe('when isPong throws', () => {
    it('reports a CallbackError (heartbeat.isPong), counts the message as traffic and delivers it', () => {
      run(
        {
          intervalMs: 100,
          timeoutMs: 50,
          ping: '{"type":"ping"}',
          isPong: (d) => (JSON.parse(d as string) as { type?: unknown }).type === 'pong',
        },
        (r) => {
          const messages: string[] = [];
          const errors = timed(r.scheduler, r.socket.error$);
          r.socket.message$.subscribe((m) => messages.push(m));
          messagesAt(r, [90], 'not json');
          messagesAt(r, [200], '{"type":"pong"}');
          at(r.scheduler, 250, () => r.socket.close());
          r.flush();
          expect(messages).toEqual(['not json']);
          expect(errors).toHaveLength(1);
          const error = errors[0]?.value as CallbackError;
          expect(error).toBeInstanceOf(CallbackError);
          expect(error.hook).toBe('heartbeat.isPong');
          expect(error.cause).toBeInstanceOf(SyntaxError);
          expect(error.message).not.toContain('not json');
          // The message at 90 counted: the first ping went at 190, not 100, and its pong kept the connection.
          expect(r.server.connection(0).sent.map((f) => f.time)).toEqual([190]);
          expect(r.server.connections).toHaveLength(1);
        },
      );
    });

    it('a subscriber of error$ that reconnects on the report drops the message with its connection', () => {
      run({ intervalMs: 100, timeoutMs: 50, isPong: () => JSON.parse('{') as boolean }, (r) => {
        const messages: string[] = [];
        r.socket.message$.subscribe((m) => messages.push(m));
        r.socket.error$.subscribe(() => r.socket.reconnect());
        messagesAt(r, [20], 'late');
        at(r.scheduler, 40, () => r.socket.close());
        r.flush();
        expect(messages).toEqual([]);
        expect(r.server.connections).toHaveLength(2);
      });
    });
  });

  describe('when the ping function fails', () => {
    it('a throw is reported as a CallbackError (heartbeat.ping) each time, and the timeout still decides', () => {
      run(
        {
          intervalMs: 100,
          timeoutMs: 50,
          ping: () => {
            throw new Error('token=secret');
          },
        },
        (r) => {
          const errors = timed(r.scheduler, r.socket.error$);
          const closes = timed(r.scheduler, r.socket.close$);
          r.socket.connect();
          r.flush();
          expect(r.server.connection(0).sent).toEqual([]);
          expect(errors.map((e) => [e.at, (e.value as { code: string }).code])).toEqual([
            [100, 'ERR_CALLBACK'],
            [150, 'ERR_HEARTBEAT_TIMEOUT'],
          ]);
          expect(errors[0]?.value).toMatchObject({ hook: 'heartbeat.ping' });
          expect((errors[0]?.value as Error).message).not.toContain('secret');
          expect(closes[0]).toEqual({ at: 150, value: HEARTBEAT_CLOSE });
        },
        { options: { reconnect: false } },
      );
    });

    it('a ping that cannot be made, reported to a listener that drops the connection, leaves no timer of it behind', () => {
      run({ intervalMs: 100, timeoutMs: 50, ping: () => 42 as unknown as string }, (r) => {
        const errors: unknown[] = [];
        r.socket.error$.subscribe((error) => {
          // The first report drops the connection at once, from inside the ping.
          if (errors.push(error) === 1) r.socket.reconnect();
        });
        r.socket.connect();
        let due: number[] = [];
        at(r.scheduler, 120, () => (due = r.scheduler.actions.map((action) => action.delay)));
        at(r.scheduler, 130, () => r.socket.close());
        r.flush();
        expect(errors[0]).toBeInstanceOf(EncodeError);
        expect((errors[0] as EncodeError).cause).toMatchObject({
          message: 'heartbeat.ping returned a number, not a string, ArrayBuffer, Blob or ArrayBufferView',
        });
        expect(r.server.connections).toHaveLength(2);
        // The new connection's first ping at 200 and the close at 130; the dropped one's timeout (150) is not there.
        expect(due.sort((a, b) => a - b)).toEqual([130, 200]);
      });
    });

    it('traffic keeps a connection whose pings cannot be made', () => {
      run({ intervalMs: 100, timeoutMs: 50, ping: () => 42 as unknown as string }, (r) => {
        const errors = timed(r.scheduler, r.socket.error$);
        const closes = timed(r.scheduler, r.socket.close$);
        messagesAt(r, [120, 240]);
        r.socket.connect();
        at(r.scheduler, 300, () => r.socket.close());
        r.flush();
        expect(r.server.connection(0).sent).toEqual([]);
        expect(errors.map((e) => e.at)).toEqual([100, 220]);
        const error = errors[0]?.value as EncodeError;
        expect(error).toBeInstanceOf(EncodeError);
        expect((error.cause as Error).message).toMatch(/heartbeat\.ping returned a number/);
        expect(closes.map((c) => c.value.code)).toEqual([1000]);
      });
    });
  });

  it('a binary ping is the bytes given, even when the application reuses its buffer afterwards', () => {
    const bytes = new Uint8Array([1, 2, 3]);
    run({ intervalMs: 100, timeoutMs: 50, ping: bytes }, (r) => {
      bytes.fill(0);
      r.socket.connect();
      at(r.scheduler, 120, () => r.socket.close());
      r.flush();
      expect(r.server.connection(0).sentMessages()).toEqual([new Uint8Array([1, 2, 3])]);
    });
  });

  describe('when the wall clock is stepped (the timers keep to the monotonic clock)', () => {
    afterEach(() => jest.restoreAllMocks());

    /**
     * Moves what the library's clock reads (`asyncScheduler.now()`, which is `Date.now()` outside tests) by `ms` at
     * `time`, as setting the system clock does; the timers keep to virtual time, as they keep to the monotonic clock.
     */
    function stepClock(scheduler: TestScheduler, time: number, ms: number): void {
      at(scheduler, time, () => {
        const reading = asyncScheduler.now.bind(asyncScheduler);
        jest.spyOn(asyncScheduler, 'now').mockImplementation(() => reading() + ms);
      });
    }

    it('back by an hour between a ping and its pong: the connection lives', () => {
      run({ intervalMs: 100, timeoutMs: 50, ping: 'ping', isPong: (d) => d === 'pong' }, (r) => {
        const closes = timed(r.scheduler, r.socket.close$);
        stepClock(r.scheduler, 105, -HOUR);
        messagesAt(r, [110], 'pong');
        r.socket.connect();
        at(r.scheduler, 200, () => r.socket.close());
        r.flush();
        expect(closes.map((c) => c.value.code)).toEqual([1000]);
        expect(r.server.connections).toHaveLength(1);
      });
    });

    it('back by an hour after the last message: a silent connection is still dropped, within one more interval', () => {
      run({ intervalMs: 100, timeoutMs: 50, ping: 'ping' }, (r) => {
        const closes = timed(r.scheduler, r.socket.close$);
        messagesAt(r, [50]);
        stepClock(r.scheduler, 60, -HOUR);
        r.socket.connect();
        at(r.scheduler, 400, () => r.socket.close());
        r.flush();
        // Ideally ping at 150 and dead at 200; the step costs at most one interval: ping at 200, dead at 250.
        expect(r.server.connection(0).sent.map((f) => f.time + HOUR)).toEqual([200]);
        expect(closes[0]).toEqual({ at: 250, value: HEARTBEAT_CLOSE });
      });
    });

    it('forward by an hour while it waits out the rest of an interval: the ping still waits for the silence', () => {
      run({ intervalMs: 100, timeoutMs: 50, ping: 'ping' }, (r) => {
        // A message at 30 leaves 30 ms of the interval after the timer at 100; one at 110 falls in that wait.
        messagesAt(r, [30, 110]);
        stepClock(r.scheduler, 120, HOUR);
        r.socket.connect();
        at(r.scheduler, 240, () => r.socket.close());
        r.flush();
        // Ideally at 210; the step brings it forward by what it cannot place (to 200), never to 130.
        expect(r.server.connection(0).sent.map((f) => f.time - HOUR)).toEqual([200]);
      });
    });

    it('forward by an hour: at worst one ping goes early; a live connection stays and a silent one is dropped', () => {
      run({ intervalMs: 100, timeoutMs: 50, ping: 'ping', isPong: (d) => d === 'pong' }, (r) => {
        const states = timed(r.scheduler, r.socket.state$);
        messagesAt(r, [50]);
        stepClock(r.scheduler, 60, HOUR);
        messagesAt(r, [110], 'pong');
        r.socket.connect();
        at(r.scheduler, 400, () => r.socket.close());
        r.flush();
        // Pinged at 100 (not 150), answered at 110; silent after: pinged at 210, dropped at 260.
        expect(r.server.connection(0).sent.map((f) => f.time - HOUR)).toEqual([100, 210]);
        expect(states.filter((s) => s.value.status === 'reconnecting').map((s) => s.at)).toEqual([260]);
        expect(r.server.attempts).toHaveLength(2);
      });
    });
  });
});
