import { createDefaultBackoff, exponentialBackoff, retryDelayMs, type RandomSource } from 'rx-websocket';
import {
  ago,
  appendPoint,
  attemptCount,
  backoffPlan,
  formatRange,
  tickLabels,
  xRange,
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
