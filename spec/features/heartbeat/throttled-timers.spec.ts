import type { SchedulerAction, SchedulerLike, Subscription } from 'rxjs';
import type { Traffic } from '../../../lib/core/heartbeat-contract';
import type { RxWebSocketError } from '../../../lib/core/errors';
import type { WebSocketLike } from '../../../lib/core/web-socket-like';
import { resolveHeartbeat, watchHeartbeat } from '../../../lib/features/heartbeat/heartbeat';
import { newScheduler } from '../../helpers/virtual-time';

// A background tab's timers fire late (Chromium aligns them to whole seconds, then to whole minutes), and a frozen
// page's fire when it resumes, possibly before the messages that arrived meanwhile. The heartbeat must not take either
// for a dead connection, and must still find a dead one.

/**
 * `scheduler`, with each timer's firing put off until `releaseAt(dueTime)`: a throttled or frozen page, in virtual time.
 */
function lateTimers(scheduler: SchedulerLike, releaseAt: (dueTime: number) => number): SchedulerLike {
  return {
    now: () => scheduler.now(),
    schedule<T>(work: (this: SchedulerAction<T>, state?: T) => void, delay = 0, state?: T): Subscription {
      const due = scheduler.now() + delay;
      return scheduler.schedule(work, Math.max(delay, releaseAt(due) - scheduler.now()), state);
    },
  };
}

/** Timers aligned to whole multiples of `alignMs`, as Chromium aligns a background tab's. */
const alignedTo =
  (alignMs: number) =>
  (due: number): number =>
    Math.ceil(due / alignMs) * alignMs;

/** Timers due between `from` and `to` fire at `to`: the page was frozen meanwhile. */
const frozen =
  (from: number, to: number) =>
  (due: number): number =>
    due > from && due < to ? to : due;

function pingCounter(scheduler: SchedulerLike): { socket: WebSocketLike; pingsAt: number[] } {
  const pingsAt: number[] = [];
  const socket = {
    url: 'ws://x/',
    protocol: '',
    extensions: '',
    readyState: 1,
    bufferedAmount: 0,
    binaryType: 'arraybuffer',
    send: () => void pingsAt.push(scheduler.now()),
    close: () => undefined,
  };
  return { socket: socket, pingsAt };
}

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

const noReport = (error: RxWebSocketError): never => {
  throw error;
};

const OPTIONS = resolveHeartbeat({ intervalMs: 100, timeoutMs: 30, ping: 'ping' });

describe('heartbeat under throttled and frozen timers', () => {
  it('a background tab whose timers fire on whole seconds keeps a connection that answers every ping', () => {
    const scheduler = newScheduler();
    scheduler.run(({ expectObservable, flush }) => {
      const timers = lateTimers(scheduler, alignedTo(1_000));
      const { socket, pingsAt } = pingCounter(scheduler);
      const { traffic, mark } = trafficOn(scheduler);
      // The server answers each ping 5 ms later: its messages are not throttled, only the page's timers.
      socket.send = () => {
        pingsAt.push(scheduler.now());
        scheduler.schedule(mark, 5);
      };
      expectObservable(watchHeartbeat(socket, OPTIONS, traffic, mark, noReport, timers), '^ 10s !').toBe('');
      flush();
      expect(pingsAt.length).toBeGreaterThan(3);
    });
  });

  it('a timer that fires late, before the answer that came meanwhile is delivered, gets a second ping', () => {
    const scheduler = newScheduler();
    scheduler.run(({ expectObservable, flush }) => {
      // Frozen from 110 to 5000: the ping of 100 is answered at 120, but the answer is delivered at 5000, after the
      // timeout timer (due at 130) that fires then too.
      const timers = lateTimers(scheduler, frozen(110, 5_000));
      const { socket, pingsAt } = pingCounter(scheduler);
      const { traffic, mark } = trafficOn(scheduler);
      scheduler.schedule(() => scheduler.schedule(mark, 0), 5_000);
      // The answer counts: the next pings go 100 ms after it (5100), then the connection is silent and dies at 5130.
      expectObservable(watchHeartbeat(socket, OPTIONS, traffic, mark, noReport, timers), '^ 6s !').toBe('5130ms a', {
        a: undefined,
      });
      flush();
      expect(pingsAt).toEqual([100, 5_000, 5_100]);
    });
  });

  it('a silent connection whose timer fired late is declared dead one timeout after the second ping', () => {
    const scheduler = newScheduler();
    scheduler.run(({ expectObservable, flush }) => {
      const timers = lateTimers(scheduler, frozen(110, 5_000));
      const { socket, pingsAt } = pingCounter(scheduler);
      const { traffic, mark } = trafficOn(scheduler);
      expectObservable(watchHeartbeat(socket, OPTIONS, traffic, mark, noReport, timers)).toBe('5030ms a', {
        a: undefined,
      });
      flush();
      expect(pingsAt).toEqual([100, 5_000]);
    });
  });

  it('a timer exactly twice as late as it was set for counts as late; one just under that does not', () => {
    /** The ping of 100 is silent; its 30 ms timeout timer fires at `firesAt`. Returns the pings and the death. */
    const silentWithTimeoutAt = (firesAt: number, marbles: string): number[] => {
      const scheduler = newScheduler();
      let pings: number[] = [];
      scheduler.run(({ expectObservable, flush }) => {
        const timers = lateTimers(scheduler, (due) => (due === 130 ? firesAt : due));
        const { socket, pingsAt } = pingCounter(scheduler);
        const { traffic, mark } = trafficOn(scheduler);
        expectObservable(watchHeartbeat(socket, OPTIONS, traffic, mark, noReport, timers)).toBe(marbles, {
          a: undefined,
        });
        flush();
        pings = pingsAt;
      });
      return pings;
    };
    // Set at 100 for 30 ms: at 160 it is 60 ms after it was set, twice the 30: forgiven, a second ping, dead at 190.
    expect(silentWithTimeoutAt(160, '190ms a')).toEqual([100, 160]);
    // At 159 it is under twice: the silence proves the connection dead.
    expect(silentWithTimeoutAt(159, '159ms a')).toEqual([100]);
  });

  it('gives the benefit of the doubt once: a second late timer on a silent connection declares it dead', () => {
    const scheduler = newScheduler();
    scheduler.run(({ expectObservable, flush }) => {
      // Minute-aligned timers (a tab hidden for long): ping at 60 s, late timeout at 120 s (forgiven, ping again),
      // late timeout at 180 s: dead.
      const timers = lateTimers(scheduler, alignedTo(60_000));
      const { socket, pingsAt } = pingCounter(scheduler);
      const { traffic, mark } = trafficOn(scheduler);
      expectObservable(watchHeartbeat(socket, OPTIONS, traffic, mark, noReport, timers)).toBe('180s a', {
        a: undefined,
      });
      flush();
      expect(pingsAt).toEqual([60_000, 120_000]);
    });
  });

  it('forgives again after traffic: the benefit of the doubt is once per silence', () => {
    const scheduler = newScheduler();
    scheduler.run(({ expectObservable, flush }) => {
      // Frozen twice, each time with the answer delivered after the late timer; silent after the last answer.
      const timers = lateTimers(scheduler, (due) => frozen(110, 5_000)(frozen(5_110, 9_000)(due)));
      const { socket, pingsAt } = pingCounter(scheduler);
      const { traffic, mark } = trafficOn(scheduler);
      scheduler.schedule(() => scheduler.schedule(mark, 0), 5_000);
      scheduler.schedule(() => scheduler.schedule(mark, 0), 9_000);
      expectObservable(watchHeartbeat(socket, OPTIONS, traffic, mark, noReport, timers), '^ 10s !').toBe('9130ms a', {
        a: undefined,
      });
      flush();
      expect(pingsAt).toEqual([100, 5_000, 5_100, 9_000, 9_100]);
    });
  });

  it('with pingNow, pings at once and then keeps to the interval', () => {
    const scheduler = newScheduler();
    scheduler.run(({ expectObservable, flush }) => {
      const { socket, pingsAt } = pingCounter(scheduler);
      const { traffic, mark } = trafficOn(scheduler);
      scheduler.schedule(mark, 10);
      expectObservable(watchHeartbeat(socket, OPTIONS, traffic, mark, noReport, scheduler, true)).toBe('140ms a', {
        a: undefined,
      });
      flush();
      expect(pingsAt).toEqual([0, 110]);
    });
  });
});
