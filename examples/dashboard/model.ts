/**
 * What the dashboard page computes, as pure functions (no DOM, no clock): the backoff plan it shows, where the attempt
 * count stands, chart ranges and labels, and how a line breaks across a gap. The page (`client.ts`) draws them.
 */
import { retryDelayMs, type BackoffStrategy, type RandomSource } from 'rx-websocket';

/** A backoff made with a given random source, e.g. `(random) => createDefaultBackoff({ random })`. */
export type BackoffFactory = (random: RandomSource) => BackoffStrategy;

/** The range of delays one retry may wait, in milliseconds. */
export interface PlannedRetry {
  /** The retry's number, from 1. */
  readonly attempt: number;
  readonly minMs: number;
  readonly maxMs: number;
}

/** The largest number below 1: the top of a random source's range. */
const TOP_DRAW = 1 - 2 ** -53;

/**
 * The delays of the next `count` retries from `fromAttempt` on, as the library computes them ({@link retryDelayMs},
 * the backoff drawing its lowest and then its highest random number), for a close with no minimum of its own.
 */
export function backoffPlan(makeBackoff: BackoffFactory, fromAttempt: number, count: number): PlannedRetry[] {
  const low = makeBackoff(() => 0);
  const high = makeBackoff(() => TOP_DRAW);
  const plan: PlannedRetry[] = [];
  for (let attempt = fromAttempt; attempt < fromAttempt + count; attempt++) {
    plan.push({
      attempt,
      minMs: retryDelayMs(undefined, attempt, low),
      maxMs: retryDelayMs(undefined, attempt, high),
    });
  }
  return plan;
}

/** Seconds, to at most two significant decimals: 0, 1.25, 2.5, 12. */
export function seconds(ms: number): string {
  const s = ms / 1_000;
  return String(Number(s.toFixed(s < 10 ? 2 : 1)));
}

/** `0–2 s`, `1.25–2.5 s`; a constant delay as `1 s`. */
export function formatRange({ minMs, maxMs }: PlannedRetry): string {
  return Math.round(minMs) === Math.round(maxMs) ? `${seconds(maxMs)} s` : `${seconds(minMs)}–${seconds(maxMs)} s`;
}

/** Where the library's attempt count stands after an open, and so which retry the next drop starts. */
export interface AttemptCount {
  /** The number of the retry a drop now would start. */
  readonly next: number;
  /** Milliseconds until the count goes back to 1, when it is not there yet. */
  readonly resetInMs?: number;
}

/**
 * The library counts retries in a row; an open reached by retry `openAttempt` (0 for the first connection) resets the
 * count once the socket has stayed open `resetAfterMs`. Until then a drop continues the sequence at `openAttempt + 1`.
 */
export function attemptCount(openAttempt: number, openForMs: number, resetAfterMs: number): AttemptCount {
  if (openAttempt === 0 || openForMs >= resetAfterMs) return { next: 1 };
  return { next: openAttempt + 1, resetInMs: resetAfterMs - openForMs };
}

/**
 * The x range of a chart: the last `windowMs` once there is that much data; until then, from the first point, so that
 * a chart fills its width from the start rather than growing from its right edge. Never less than 5 s (or the window,
 * if shorter), so that the time axis is not labelled in milliseconds.
 */
export function xRange(firstX: number, lastX: number, windowMs: number): [number, number] {
  const from = Math.max(lastX - windowMs, firstX);
  return [Math.min(from, lastX - Math.min(windowMs, MIN_X_SPAN_MS)), lastX];
}

const MIN_X_SPAN_MS = 5_000;

/**
 * The y axis labels: as many decimals as the step between ticks needs (so that no two labels read the same), in
 * thousands (`k`) from 10,000 on.
 */
export function tickLabels(ticks: readonly number[], step: number): string[] {
  const big = ticks.some((tick) => Math.abs(tick) >= 10_000);
  const scale = big ? 1_000 : 1;
  const scaledStep = Math.abs(step) / scale;
  // Digits after the point that the step needs: 0 for steps of 1 or more, 1 for 0.5, 2 for 0.05 or 0.25...
  let digits = 0;
  while (digits < 10 && Math.abs(Math.round(scaledStep * 10 ** digits) - scaledStep * 10 ** digits) > 1e-6) digits++;
  return ticks.map((tick) => `${(tick / scale).toFixed(digits)}${big ? 'k' : ''}`);
}

/**
 * Appends a point to a chart's series. When the previous point is more than `maxGapMs` older, a `null` goes first,
 * so the line breaks there: a feed that went quiet is drawn as an outage is, not as a straight line across the gap.
 * Times only go forward: a point no later than the previous one is placed just after it.
 */
export function appendPoint(xs: number[], ys: (number | null)[], t: number, value: number, maxGapMs: number): void {
  const lastX = xs[xs.length - 1];
  if (lastX !== undefined && t - lastX > maxGapMs && ys[ys.length - 1] !== null) {
    xs.push(lastX + 1);
    ys.push(null);
  }
  const previous = xs[xs.length - 1];
  xs.push(previous !== undefined && t <= previous ? previous + 0.001 : t);
  ys.push(value);
}

/** How long ago, for a label: `4 s ago`, `3 min ago`. */
export function ago(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1_000));
  return s < 60 ? `${s} s ago` : `${Math.floor(s / 60)} min ago`;
}
