import { type SchedulerLike } from 'rxjs';
import { type TestScheduler } from 'rxjs/testing';
import { heartbeat, resolveHeartbeat, watchHeartbeat } from '../../../lib/features/heartbeat/heartbeat';
import type { Traffic } from '../../../lib/core/heartbeat-contract';
import { HeartbeatTimeoutError } from '../../../lib/features/heartbeat/heartbeat-timeout-error';
import { CallbackError, EncodeError, InvalidOptionError, type RxWebSocketError } from '../../../lib/core/errors';
import type { WebSocketLike } from '../../../lib/core/web-socket-like';
import { newScheduler } from '../../helpers/virtual-time';

function fakeSocket(withProtocolPing: boolean) {
  const sent: unknown[] = [];
  const listeners = new Map<string, Set<() => void>>();
  let pings = 0;
  const socket = {
    url: 'ws://x/',
    protocol: '',
    extensions: '',
    readyState: 1,
    bufferedAmount: 0,
    binaryType: 'arraybuffer',
    send: (data: unknown) => sent.push(data),
    close: () => undefined,
    ...(withProtocolPing && {
      ping: () => pings++,
      on: (event: string, listener: () => void) =>
        listeners.set(event, (listeners.get(event) ?? new Set()).add(listener)),
      off: (event: string, listener: () => void) => listeners.get(event)?.delete(listener),
    }),
  };
  return {
    socket: socket as unknown as WebSocketLike,
    sent,
    pings: () => pings,
    pong: () => listeners.get('pong')?.forEach((l) => l()),
    listenerCount: () => [...listeners.values()].reduce((n, set) => n + set.size, 0),
  };
}

/** Traffic as a session keeps it, read from `clock`. */
function trafficOn(clock: SchedulerLike): { traffic: Traffic; mark: () => void } {
  const traffic: Traffic = { count: 0, at: clock.now() };
  return {
    traffic,
    mark: () => {
      traffic.count++;
      traffic.at = clock.now();
    },
  };
}

/**
 * The test scheduler with a wall clock that can be stepped: `now()` moves by `step(ms)`, while the timers keep to
 * virtual time, as `setTimeout` keeps to the monotonic clock when the system clock is set.
 */
function steppableClock(scheduler: TestScheduler): SchedulerLike & { step(ms: number): void } {
  let offset = 0;
  return {
    now: () => scheduler.now() + offset,
    schedule: scheduler.schedule.bind(scheduler),
    step: (ms) => (offset += ms),
  };
}

const noReport = (error: RxWebSocketError): never => {
  throw error;
};

describe('heartbeat', () => {
  describe('on a silent connection', () => {
    it('pings after intervalMs of silence and reports death timeoutMs later', () => {
      newScheduler().run(({ expectObservable }) => {
        const fake = fakeSocket(false);
        const options = resolveHeartbeat({ intervalMs: 100, timeoutMs: 30, ping: 'ping' });
        const { traffic, mark } = trafficOn(newScheduler());
        expectObservable(watchHeartbeat(fake.socket, options, traffic, mark, noReport)).toBe('130ms a', {
          a: undefined,
        });
      });
    });
  });

  describe('on a connection with traffic', () => {
    it('waits intervalMs after the last message before pinging, and traffic after a ping keeps it alive', () => {
      const scheduler = newScheduler();
      scheduler.run(({ expectObservable, cold, flush }) => {
        const fake = fakeSocket(false);
        const { traffic, mark } = trafficOn(scheduler);
        const options = resolveHeartbeat({ intervalMs: 100, timeoutMs: 30, ping: () => 'ping' });
        // Traffic at 60 ms and at 170 ms (answering the ping sent at 160 ms).
        cold('60ms a 109ms b').subscribe(mark);
        const beat = watchHeartbeat(fake.socket, options, traffic, mark, noReport);
        // Silent after 170: the next ping goes at 270 and the connection is dead at 300.
        expectObservable(beat).toBe('300ms a', { a: undefined });
        flush();
        expect(fake.sent).toEqual(['ping', 'ping']);
      });
    });
  });

  describe('with a timeout longer than the interval', () => {
    it('pings at once when the traffic that kept the connection is already an interval old', () => {
      const scheduler = newScheduler();
      scheduler.run(({ expectObservable, cold, flush }) => {
        const fake = fakeSocket(false);
        const { traffic, mark } = trafficOn(scheduler);
        const options = resolveHeartbeat({ intervalMs: 50, timeoutMs: 100, ping: 'ping' });
        const pingsAt: number[] = [];
        fake.socket.send = () => void pingsAt.push(scheduler.now());
        // Ping at 50, traffic at 60; the timeout's timer at 150 finds it 90 ms old: the next ping goes then.
        cold('60ms a').subscribe(mark);
        expectObservable(watchHeartbeat(fake.socket, options, traffic, mark, noReport)).toBe('250ms a', {
          a: undefined,
        });
        flush();
        expect(pingsAt).toEqual([50, 150]);
      });
    });
  });

  describe('where the socket has protocol pings', () => {
    it('sends ping frames, counts pongs as traffic, and removes its listeners when unsubscribed', () => {
      const scheduler = newScheduler();
      scheduler.run(({ expectObservable, cold, flush }) => {
        const fake = fakeSocket(true);
        const { traffic, mark } = trafficOn(scheduler);
        const options = resolveHeartbeat({ intervalMs: 100, timeoutMs: 30 });
        const beat = watchHeartbeat(fake.socket, options, traffic, mark, noReport);
        cold('110ms p').subscribe(() => fake.pong());
        // Ping at 100, pong at 110; ping at 210, no pong: dead at 240.
        expectObservable(beat, '^ 250ms !').toBe('240ms a', { a: undefined });
        flush();
        expect(fake.pings()).toBe(2);
        expect(fake.sent).toEqual([]);
        expect(fake.listenerCount()).toBe(0);
      });
    });
  });

  describe('when the wall clock is stepped', () => {
    const HOUR = 3_600_000;

    /** Runs a heartbeat (100 ms interval, 30 ms timeout, a 'ping' message) on a clock `work` may step. */
    function withSteppedClock(
      marbles: string,
      work: (clock: ReturnType<typeof steppableClock>, mark: () => void) => void,
      expected: string,
      pings: number[],
    ): void {
      const scheduler = newScheduler();
      scheduler.run(({ expectObservable, flush }) => {
        const fake = fakeSocket(false);
        const clock = steppableClock(scheduler);
        const { traffic, mark } = trafficOn(clock);
        const sentAt: number[] = [];
        fake.socket.send = () => void sentAt.push(scheduler.now());
        work(clock, mark);
        const options = resolveHeartbeat({ intervalMs: 100, timeoutMs: 30, ping: 'ping' });
        expectObservable(watchHeartbeat(fake.socket, options, traffic, mark, noReport, clock), marbles).toBe(expected, {
          a: undefined,
        });
        flush();
        expect(sentAt).toEqual(pings);
      });
    }

    it('back by an hour between a ping and its answer: the answer counts, and the connection lives', () => {
      // Ping at 100, clock back at 105, answer at 110; silent after: ping at 210, dead at 240 (and not at 130).
      withSteppedClock(
        '^ 300ms !',
        (clock, mark) => {
          clock.schedule(() => clock.step(-HOUR), 105);
          clock.schedule(mark, 110);
        },
        '240ms a',
        [100, 210],
      );
    });

    it('back by an hour after the last message: a silent connection is still found dead, at most one interval late', () => {
      // Message at 50, clock back at 60: the wake at 100 cannot place the message and sleeps a whole interval; the
      // connection was silent through it, so the ping goes at 200 and the death is at 230 (not an hour later).
      withSteppedClock(
        '^ 300ms !',
        (clock, mark) => {
          clock.schedule(mark, 50);
          clock.schedule(() => clock.step(-HOUR), 60);
        },
        '230ms a',
        [200],
      );
    });

    it('forward by an hour: one ping goes early, an answer keeps the connection, and silence is still found', () => {
      // Message at 50, clock forward at 60: the ping goes at 100 (not 150); answer at 110; ping at 210, dead at 240.
      withSteppedClock(
        '^ 300ms !',
        (clock, mark) => {
          clock.schedule(mark, 50);
          clock.schedule(() => clock.step(HOUR), 60);
          clock.schedule(mark, 110);
        },
        '240ms a',
        [100, 210],
      );
    });
  });

  describe('when the ping function fails', () => {
    function runPing(ping: () => unknown, answerAt: number | undefined): { reports: unknown[]; sent: unknown[] } {
      const reports: unknown[] = [];
      let sent: unknown[] = [];
      const scheduler = newScheduler();
      scheduler.run(({ expectObservable, flush }) => {
        const fake = fakeSocket(false);
        const { traffic, mark } = trafficOn(scheduler);
        if (answerAt !== undefined) scheduler.schedule(mark, answerAt);
        const options = resolveHeartbeat({ intervalMs: 100, timeoutMs: 30, ping: ping as () => string });
        const beat = watchHeartbeat(fake.socket, options, traffic, mark, (error) => reports.push(error));
        // Skipped pings at 100 and (after traffic at 120) at 220: dead at 250. Silent: dead at 130.
        expectObservable(beat, '^ 300ms !').toBe(answerAt === undefined ? '130ms a' : '250ms a', { a: undefined });
        flush();
        sent = fake.sent;
      });
      return { reports, sent };
    }

    it('a throw is reported as a CallbackError (heartbeat.ping), the ping skipped, and the timeout still decides', () => {
      const boom = new Error('secret payload');
      const { reports, sent } = runPing(() => {
        throw boom;
      }, undefined);
      expect(sent).toEqual([]);
      expect(reports).toHaveLength(1);
      const error = reports[0] as CallbackError;
      expect(error).toBeInstanceOf(CallbackError);
      expect(error.hook).toBe('heartbeat.ping');
      expect(error.cause).toBe(boom);
      expect(error.message).not.toContain('secret');
    });

    it('traffic after a skipped ping keeps the connection, and each skipped ping is reported', () => {
      const { reports, sent } = runPing(() => {
        throw new TypeError('no');
      }, 120);
      expect(sent).toEqual([]);
      expect(reports.map((e) => (e as CallbackError).hook)).toEqual(['heartbeat.ping', 'heartbeat.ping']);
    });

    it('a return a socket cannot send is reported as an EncodeError naming what it was, and not sent', () => {
      const { reports, sent } = runPing(() => ({ type: 'ping' }), undefined);
      expect(sent).toEqual([]);
      const error = reports[0] as EncodeError;
      expect(error).toBeInstanceOf(EncodeError);
      expect(error.value).toEqual({ type: 'ping' });
      expect(error.cause).toBeInstanceOf(TypeError);
      expect((error.cause as Error).message).toMatch(/heartbeat\.ping returned an object \(Object\)/);
    });
  });

  describe('a binary ping', () => {
    it.each([
      ['a Uint8Array', () => new Uint8Array([1, 2, 3])],
      ['a view on part of a buffer', () => new DataView(new Uint8Array([0, 1, 2, 3, 0]).buffer, 1, 3)],
      ['an ArrayBuffer', () => new Uint8Array([1, 2, 3]).buffer],
    ])('given as %s is copied when the options are read: changing it afterwards changes no ping', (_, make) => {
      const given = make();
      const options = resolveHeartbeat({ ping: given });
      new Uint8Array(ArrayBuffer.isView(given) ? given.buffer : given).fill(9);
      expect([...new Uint8Array(options.ping as ArrayBuffer)]).toEqual([1, 2, 3]);
    });
  });

  it('rejects bad timings with InvalidOptionError', () => {
    expect(() => resolveHeartbeat({ intervalMs: 0 })).toThrow(InvalidOptionError);
    expect(() => resolveHeartbeat({ timeoutMs: NaN })).toThrow(/heartbeat.timeoutMs/);
    expect(() => resolveHeartbeat({ intervalMs: Infinity })).toThrow(InvalidOptionError);
  });

  it('rejects timings longer than timers honour, which would fire at once and drop a healthy connection', () => {
    expect(() => resolveHeartbeat({ timeoutMs: 2 ** 31 })).toThrow(/heartbeat\.timeoutMs.*2147483647/);
    expect(() => resolveHeartbeat({ intervalMs: 2 ** 31 })).toThrow(/heartbeat\.intervalMs/);
    expect(resolveHeartbeat({ intervalMs: 2 ** 31 - 1, timeoutMs: 2 ** 31 - 1 })).toMatchObject({
      intervalMs: 2 ** 31 - 1,
      timeoutMs: 2 ** 31 - 1,
    });
  });

  describe('heartbeat(), the opt-in factory for the heartbeat option', () => {
    it('applies the defaults: a ping after 30 s of silence, dead 10 s later, pongs not emitted', () => {
      expect(heartbeat()).toMatchObject({
        intervalMs: 30_000,
        timeoutMs: 10_000,
        ping: undefined,
        isPong: undefined,
        emitPongs: false,
      });
    });

    it('checks its settings when it is called, naming the one that is wrong', () => {
      expect(() => heartbeat({ intervalMs: -1 })).toThrow(/heartbeat\.intervalMs/);
      expect(() => heartbeat({ isPong: 'pong' as never })).toThrow(/heartbeat\.isPong/);
    });

    it('ends a dead connection with a HeartbeatTimeoutError carrying its timings', () => {
      const error = heartbeat({ intervalMs: 1_000, timeoutMs: 500 }).deathError();
      expect(error).toBeInstanceOf(HeartbeatTimeoutError);
      expect(error).toMatchObject({ code: 'ERR_HEARTBEAT_TIMEOUT', intervalMs: 1_000, timeoutMs: 500 });
    });
  });
});
