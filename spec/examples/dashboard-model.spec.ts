import { createDefaultBackoff, exponentialBackoff, retryDelayMs, type RandomSource } from 'rx-websocket';
import {
  ago,
  appendPoint,
  arrive,
  attemptCount,
  backoffPlan,
  createTally,
  describeReconnection,
  disconnected,
  formatRange,
  restartTally,
  resumed,
  tickData,
  tickLabels,
  xRange,
  type Tally,
} from '../../examples/dashboard/model';

const defaults = (random: RandomSource) => createDefaultBackoff({ random });

describe('the dashboard: what the page computes', () => {
  it("plans the default backoff's ranges as the library draws them", () => {
    const plan = backoffPlan(defaults, 1, 7);
    expect(plan.map(formatRange)).toEqual([
      '0–2 s',
      '1.25–2.5 s',
      '1.88–3.75 s',
      '2.81–5.63 s',
      '4.22–8.44 s',
      '6–12 s',
      '6–12 s',
    ]);
    // Every delay the default backoff draws lies in its planned range.
    for (const { attempt, minMs, maxMs } of plan) {
      for (const draw of [0, 0.3, 0.7, 0.999]) {
        const delay = retryDelayMs(undefined, attempt, createDefaultBackoff({ random: () => draw }));
        expect(delay).toBeGreaterThanOrEqual(minMs);
        expect(delay).toBeLessThanOrEqual(maxMs);
      }
    }
    expect(backoffPlan(defaults, 4, 2).map((retry) => retry.attempt)).toEqual([4, 5]);
    // "Going away" waiting 4.6 s on attempt 4 is in that attempt's range.
    const fourth = backoffPlan(defaults, 4, 1)[0];
    expect(4_600).toBeGreaterThan(fourth?.minMs ?? Infinity);
    expect(4_600).toBeLessThan(fourth?.maxMs ?? 0);
  });

  it('plans any backoff made from a random source', () => {
    const fast = (random: RandomSource) =>
      exponentialBackoff({ initialDelayMs: 250, maxDelayMs: 1_000, jitter: 'equal', random });
    expect(backoffPlan(fast, 1, 4).map(formatRange)).toEqual(['0.13–0.25 s', '0.25–0.5 s', '0.5–1 s', '0.5–1 s']);
  });

  it('tells which attempt a drop starts, and when the count goes back to 1', () => {
    expect(attemptCount(0, 0, 5_000)).toEqual({ next: 1 });
    expect(attemptCount(3, 1_200, 5_000)).toEqual({ next: 4, resetInMs: 3_800 });
    expect(attemptCount(3, 5_000, 5_000)).toEqual({ next: 1 });
  });

  it('fills a chart from its first point until the window is full', () => {
    expect(xRange(10_000, 18_000, 30_000)).toEqual([10_000, 18_000]);
    expect(xRange(10_000, 100_000, 30_000)).toEqual([70_000, 100_000]);
    // At least 5 s, so that the time axis is not labelled in milliseconds.
    expect(xRange(10_000, 12_000, 30_000)).toEqual([7_000, 12_000]);
  });

  it('labels axis ticks without repeating one', () => {
    const cases: [number[], number][] = [
      [[67_200, 67_210, 67_220, 67_230], 10],
      [[67_000, 67_500, 68_000], 500],
      [[1.0812, 1.08125, 1.0813], 0.00005],
      [[12.3, 12.35, 12.4], 0.05],
      [[40, 45, 50], 5],
      [[3_050, 3_052.5, 3_055], 2.5],
    ];
    for (const [ticks, step] of cases) {
      const labels = tickLabels(ticks, step);
      expect(new Set(labels).size).toBe(ticks.length);
    }
    expect(tickLabels([67_200, 67_210], 10)).toEqual(['67.20k', '67.21k']);
    expect(tickLabels([40, 45], 5)).toEqual(['40', '45']);
  });

  it('breaks a line across a quiet spell, as across an outage', () => {
    const xs: number[] = [];
    const ys: (number | null)[] = [];
    appendPoint(xs, ys, 1_000, 1, 500);
    appendPoint(xs, ys, 1_020, 2, 500);
    expect(ys).toEqual([1, 2]);
    appendPoint(xs, ys, 5_000, 3, 500);
    expect(ys).toEqual([1, 2, null, 3]);
    expect(xs).toEqual([1_000, 1_020, 1_021, 5_000]);
    // Times only go forward.
    appendPoint(xs, ys, 4_000, 4, 500);
    expect(xs[xs.length - 1]).toBeGreaterThan(5_000);
  });

  it('says how long ago', () => {
    expect(ago(4_200)).toBe('4 s ago');
    expect(ago(185_000)).toBe('3 min ago');
  });
});

describe("the dashboard: a channel's messages across reconnections", () => {
  /** Messages `from`..`to` published 20 ms apart from `t0` (server clock), arriving `delayMs` later (page clock). */
  const deliver = (tally: Tally, from: number, to: number, t0: number, delayMs: number) => {
    const arrivals = [];
    for (let n = from; n <= to; n++) {
      const t = t0 + (n - from) * 20;
      arrivals.push(arrive(tally, n, t, t + delayMs));
    }
    return arrivals;
  };

  it('counts what a resumed channel got back: the messages published before the server answered', () => {
    const tally = createTally();
    deliver(tally, 1, 10, 0, 3);
    disconnected(tally);
    // Away from n = 11 to 20 (t 200..380); the answer comes at t = 400 + 3 (page clock); then the replay, in a burst.
    resumed(tally, true, 403);
    for (let n = 11; n <= 20; n++)
      expect(arrive(tally, n, 200 + (n - 11) * 20, 405)).toEqual({ gap: 0, duplicate: false });
    expect(describeReconnection(tally)).toBe('recovered 10');
    // Then live ones, which are not counted.
    deliver(tally, 21, 30, 400, 3);
    expect(tally.last).toEqual({ kind: 'recovered', count: 10 });
    expect(tally).toMatchObject({ received: 30, missed: 0, gaps: 0, duplicates: 0, reconnections: 1 });
  });

  it('sets the two clocks apart by the smallest delay seen live', () => {
    const tally = createTally();
    // The page's clock is 5 s ahead of the server's: a message published at t arrives at t + 5 000 + 2.
    deliver(tally, 1, 5, 0, 5_002);
    disconnected(tally);
    resumed(tally, true, 5_302);
    // Published at 150 and 250 (server clock), before the answer (300 on the server's clock): recovered.
    arrive(tally, 6, 150, 5_303);
    arrive(tally, 7, 250, 5_303);
    // Published at 320, after it: live.
    arrive(tally, 8, 320, 5_322);
    expect(tally.last).toEqual({ kind: 'recovered', count: 2 });
  });

  it('says "resynced" when the server could not replay, and counts what was lost', () => {
    const tally = createTally();
    deliver(tally, 1, 10, 0, 1);
    disconnected(tally);
    resumed(tally, false, 500);
    expect(describeReconnection(tally)).toBe('resynced');
    expect(arrive(tally, 31, 600, 601)).toEqual({ gap: 20, duplicate: false });
    expect(tally.last).toEqual({ kind: 'resynced', lost: 20 });
    expect(tally).toMatchObject({ missed: 20, gaps: 1, reconnections: 1 });
  });

  it('counts what a plain channel missed while away', () => {
    const tally = createTally();
    deliver(tally, 1, 10, 0, 1);
    disconnected(tally);
    expect(arrive(tally, 18, 400, 401)).toEqual({ gap: 7, duplicate: false });
    expect(tally.last).toEqual({ kind: 'missed', count: 7 });
    disconnected(tally);
    arrive(tally, 25, 800, 801);
    // The footer counts every message missed so far.
    expect(describeReconnection(tally)).toBe('13 missed while away');
    expect(tally).toMatchObject({ missed: 13, gaps: 2, reconnections: 2 });
  });

  it('says nothing when a plain channel missed nothing', () => {
    const tally = createTally();
    deliver(tally, 1, 3, 0, 1);
    disconnected(tally);
    arrive(tally, 4, 100, 101);
    expect(tally.last).toEqual({ kind: 'missed', count: 0 });
    expect(describeReconnection(tally)).toBe('');
  });

  it('does not draw a message twice, nor count it', () => {
    const tally = createTally();
    deliver(tally, 1, 5, 0, 1);
    expect(arrive(tally, 5, 80, 81)).toEqual({ gap: 0, duplicate: true });
    expect(arrive(tally, 3, 40, 81)).toEqual({ gap: 0, duplicate: true });
    expect(tally).toMatchObject({ received: 5, duplicates: 2, lastN: 5 });
  });

  it('counts no gap when the channel starts afresh from the page', () => {
    const tally = createTally();
    deliver(tally, 1, 5, 0, 1);
    restartTally(tally);
    expect(arrive(tally, 40, 900, 901)).toEqual({ gap: 0, duplicate: false });
    expect(tally).toMatchObject({ missed: 0, gaps: 0, last: undefined });
  });

  it("reads a message's data only in the shape the dashboard publishes", () => {
    expect(tickData({ n: 1, t: 2, value: 3.5, extra: true })).toEqual({ n: 1, t: 2, value: 3.5 });
    expect(tickData({ n: '1', t: 2, value: 3 })).toBeUndefined();
    expect(tickData(null)).toBeUndefined();
    expect(tickData([1, 2, 3])).toBeUndefined();
  });
});
