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

// ---- a channel's sequence across reconnections --------------------------------------------------------------------

/** What a card says about its channel's last reconnection. */
export type Reconnection =
  /** A resumable channel whose gap the server filled: `count` messages published while away came back. */
  | { readonly kind: 'recovered'; readonly count: number }
  /** A resumable channel the server could not replay (its history no longer reached back): `lost` are gone. */
  | { readonly kind: 'resynced'; readonly lost: number }
  /** A plain channel: it went on from the live messages, and `count` published while away were missed. */
  | { readonly kind: 'missed'; readonly count: number };

/**
 * A channel's messages as a card counts them, from the `n` every message carries (1, 2, 3... per channel, with no
 * gap on the server): how many arrived, how many never did, and what the last reconnection did.
 */
export interface Tally {
  /** Messages delivered. */
  received: number;
  /** Messages that never arrived: the sum of the jumps in `n`. */
  missed: number;
  /** How many times `n` jumped. */
  gaps: number;
  /** Messages whose `n` was not past the last one: delivered twice, or out of order. */
  duplicates: number;
  /** The `n` of the last message; `undefined` while the channel starts afresh. */
  lastN: number | undefined;
  /** What the last reconnection did; `undefined` before the first. */
  last: Reconnection | undefined;
  /** Reconnections the channel went through (resumed, or back as a plain channel). */
  reconnections: number;
  /** The connection went away since the last message: the next one tells a plain channel what was missed. */
  away: boolean;
  /**
   * While a replay comes in: messages published before `before` (when the server's answer arrived, on this page's
   * clock; a message's publication is placed on it with `lagMs`) are counted as recovered. The first one published
   * later is live, and ends the replay.
   */
  replay: { readonly before: number } | undefined;
  /**
   * The smallest `arrival − t` seen on live messages: the difference of the two clocks plus the quickest delivery, so
   * that `t + lagMs` places a message's publication on this page's clock.
   */
  lagMs: number | undefined;
}

export function createTally(): Tally {
  return {
    received: 0,
    missed: 0,
    gaps: 0,
    duplicates: 0,
    lastN: undefined,
    last: undefined,
    reconnections: 0,
    away: false,
    replay: undefined,
    lagMs: undefined,
  };
}

/** The channel starts afresh (subscribed again from the page, or switched between plain and resumable): no gap to count. */
export function restartTally(tally: Tally): void {
  tally.lastN = undefined;
  tally.away = false;
  tally.replay = undefined;
}

/** The connection the channel was on went away. */
export function disconnected(tally: Tally): void {
  tally.away = true;
  tally.replay = undefined;
}

/**
 * A resumable channel heard the server's answer to its resubscription, at `atMs` (this page's clock): replayed
 * (`recovered`) or not (then the gap stays, and the page resyncs).
 */
export function resumed(tally: Tally, recovered: boolean, atMs: number): void {
  tally.away = false;
  tally.reconnections++;
  if (recovered) {
    tally.last = { kind: 'recovered', count: 0 };
    tally.replay = { before: atMs };
  } else {
    tally.last = { kind: 'resynced', lost: 0 };
    tally.replay = undefined;
  }
}

/** What {@link arrive} found. */
export interface Arrival {
  /** Messages missed right before this one (its `n` jumped): the chart breaks its line here. */
  readonly gap: number;
  /** Whether it came again or out of order: not to be drawn. */
  readonly duplicate: boolean;
}

/** Counts message `n`, published at `t` (server clock) and arrived at `atMs` (this page's clock). */
export function arrive(tally: Tally, n: number, t: number, atMs: number): Arrival {
  if (tally.lastN !== undefined && n <= tally.lastN) {
    tally.duplicates++;
    return { gap: 0, duplicate: true };
  }
  tally.received++;
  const gap = tally.lastN === undefined ? 0 : n - tally.lastN - 1;
  tally.lastN = n;
  if (gap > 0) {
    tally.missed += gap;
    tally.gaps++;
  }
  if (tally.last?.kind === 'resynced' && tally.last.lost === 0 && gap > 0) tally.last = { kind: 'resynced', lost: gap };
  if (tally.away) {
    // A plain channel back on a new connection (a resumable one hears `resumed` first).
    tally.away = false;
    tally.reconnections++;
    tally.last = { kind: 'missed', count: gap };
  }
  const { replay, last } = tally;
  if (replay && last?.kind === 'recovered' && t + (tally.lagMs ?? 0) < replay.before) {
    tally.last = { kind: 'recovered', count: last.count + 1 };
  } else {
    tally.replay = undefined;
    const lag = atMs - t;
    if (tally.lagMs === undefined || lag < tally.lagMs) tally.lagMs = lag;
  }
  return { gap, duplicate: false };
}

/** What a card's footer says about the last reconnection (empty before the first one, or when nothing was missed). */
export function describeReconnection(tally: Tally): string {
  const { last } = tally;
  if (!last) return '';
  switch (last.kind) {
    case 'recovered':
      return `recovered ${last.count.toLocaleString('en-US')}`;
    case 'resynced':
      return 'resynced';
    case 'missed':
      return tally.missed > 0 ? `${tally.missed.toLocaleString('en-US')} missed while away` : '';
  }
}

/** The data of a channel's message, when it has the shape the dashboard publishes. */
export function tickData(
  data: unknown,
): { readonly n: number; readonly t: number; readonly value: number } | undefined {
  if (typeof data !== 'object' || data === null) return undefined;
  const { n, t, value } = data as Record<string, unknown>;
  if (typeof n !== 'number' || typeof t !== 'number' || typeof value !== 'number') return undefined;
  return { n, t, value };
}
