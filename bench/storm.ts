/**
 * Reconnection storm: N clients lose their server at t = 0; the server stays down for T seconds, refusing every
 * attempt at once, then accepts every attempt. Each client waits backoff(1), tries, and on failure waits
 * backoff(2), and so on. Pure virtual time: no sockets, no timers; a seeded PRNG makes every run reproducible.
 *
 *   npx tsx bench/storm.ts [--clients 10000] [--seed 1] [--json [file]] [--svg file]
 *
 * Reports per strategy and outage: the peak share of clients reconnecting in one 100 ms window once the server is
 * back, the time until all are back (from the disconnection), the mean first retry, attempts per client, the peak
 * load on the server while it is down, and (in the JSON and the SVG) attempts per 100 ms over time.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import {
  type BackoffStrategy,
  constantBackoff,
  createDefaultBackoff,
  exponentialBackoff,
  type Jitter,
  type RandomSource,
} from '../lib/reconnect/backoff';
import type { CloseInfo } from '../lib/core/events';

/** A strategy under test: `create` is called once per client, so that stateful strategies get one sequence each. */
export interface StrategyModel {
  readonly name: string;
  /** The formula, in words, as modelled here. */
  readonly description: string;
  readonly create: (random: RandomSource) => BackoffStrategy;
}

/** Configuration of {@link simulateStorm}. */
export interface StormConfig {
  /**
   * How long the server is down, from the moment every client disconnected.
   */
  readonly outageMs: number;
  /**
   * How many clients reconnect.
   * @default 10_000
   */
  readonly clients?: number;
  /**
   * Seed of the PRNG all clients draw from, one after another.
   * @default 1
   */
  readonly seed?: number;
  /**
   * Width of the windows in which arrivals are counted.
   * @default 100
   */
  readonly windowMs?: number;
}

export interface StormResult {
  readonly strategy: string;
  readonly clients: number;
  readonly outageMs: number;
  readonly seed: number;
  readonly windowMs: number;
  /** The largest share of clients whose successful attempt fell in one window. */
  readonly peakShare: number;
  /** Where that window starts, in ms from the disconnection. */
  readonly peakWindowStartMs: number;
  /** When the last client got back, in ms from the disconnection. */
  readonly allBackMs: number;
  readonly meanFirstRetryMs: number;
  readonly meanAttempts: number;
  readonly maxAttempts: number;
  /** The largest share of clients attempting in one window while the server was down (0 when it never was). */
  readonly peakShareWhileDown: number;
  /** Every attempt, failed or not, per window from t = 0. */
  readonly attemptsPerWindow: readonly number[];
  /** Successful attempts per window from t = 0. */
  readonly reconnectsPerWindow: readonly number[];
}

/** A small seedable PRNG (mulberry32): 32 bits of state, good enough to spread simulated clients, and reproducible. */
export function mulberry32(seed: number): RandomSource {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

const DROPPED: CloseInfo = { code: 1006, reason: '', wasClean: false };
// A strategy that never waits would spin for ever against a dead server; no sane one needs this many tries.
const ATTEMPT_LIMIT = 100_000;

/** Runs the storm for one strategy. Deterministic for a given seed. */
export function simulateStorm(
  model: StrategyModel,
  { outageMs, clients = 10_000, seed = 1, windowMs = 100 }: StormConfig,
): StormResult {
  if (!(Number.isInteger(clients) && clients > 0))
    throw new RangeError(`clients must be a positive integer, got ${clients}`);
  if (!(outageMs >= 0 && Number.isFinite(outageMs)))
    throw new RangeError(`outageMs must be a finite number ≥ 0, got ${outageMs}`);
  if (!(windowMs > 0 && Number.isFinite(windowMs)))
    throw new RangeError(`windowMs must be a finite number > 0, got ${windowMs}`);
  const random = mulberry32(seed);
  const attempts: number[] = [];
  const reconnects: number[] = [];
  const bump = (histogram: number[], timeMs: number): void => {
    const index = Math.floor(timeMs / windowMs);
    while (histogram.length <= index) histogram.push(0);
    histogram[index] = (histogram[index] ?? 0) + 1;
  };
  let allBackMs = 0;
  let firstRetrySumMs = 0;
  let attemptSum = 0;
  let maxAttempts = 0;
  for (let client = 0; client < clients; client++) {
    const backoff = model.create(random);
    let timeMs = 0;
    for (let attempt = 1; ; attempt++) {
      if (attempt > ATTEMPT_LIMIT)
        throw new Error(`${model.name}: a client made ${ATTEMPT_LIMIT} attempts without the server coming back`);
      const delayMs = backoff(attempt, DROPPED);
      if (attempt === 1) firstRetrySumMs += delayMs;
      timeMs += delayMs;
      bump(attempts, timeMs);
      if (timeMs >= outageMs) {
        bump(reconnects, timeMs);
        allBackMs = Math.max(allBackMs, timeMs);
        attemptSum += attempt;
        maxAttempts = Math.max(maxAttempts, attempt);
        break;
      }
    }
  }
  while (reconnects.length < attempts.length) reconnects.push(0);
  let peak = 0;
  let peakIndex = 0;
  reconnects.forEach((count, index) => {
    if (count > peak) [peak, peakIndex] = [count, index];
  });
  // A window that straddles the return holds successes too: only whole windows of downtime count.
  const peakWhileDown = Math.max(0, ...attempts.slice(0, Math.floor(outageMs / windowMs)));
  return {
    strategy: model.name,
    clients,
    outageMs,
    seed,
    windowMs,
    peakShare: peak / clients,
    peakWindowStartMs: peakIndex * windowMs,
    allBackMs,
    meanFirstRetryMs: firstRetrySumMs / clients,
    meanAttempts: attemptSum / clients,
    maxAttempts,
    peakShareWhileDown: peakWhileDown / clients,
    attemptsPerWindow: attempts,
    reconnectsPerWindow: reconnects,
  };
}

function exponentialModel(jitter: Jitter): StrategyModel {
  return {
    name: `exponential ${jitter}`,
    description: `exponentialBackoff({ initialDelayMs: 1000, factor: 2, maxDelayMs: 30000, jitter: '${jitter}' }) (this library's defaults for it)`,
    create: (random) => exponentialBackoff({ initialDelayMs: 1_000, factor: 2, maxDelayMs: 30_000, jitter, random }),
  };
}

/** This library's strategies: the default and exponential backoff with each kind of jitter. */
export const LIBRARY_MODELS: readonly StrategyModel[] = [
  {
    name: 'rx-websocket default',
    description: 'defaultBackoff: uniform 0-2 s, then equal jitter over min(12 s, 2.5 s x 1.5^(n-2))',
    create: (random) => createDefaultBackoff({ random }),
  },
  exponentialModel('full'),
  exponentialModel('equal'),
  exponentialModel('decorrelated'),
  exponentialModel('none'),
];

/**
 * Models of peers' default reconnection delays, written from their documented formulas and defaults
 * (graphql-ws 5/6 `retryWait`, socket.io-client 4 `Manager` backoff, reconnecting-websocket 4 `_getNextDelay`,
 * RxJS 7 `retry`). Limits on the number of attempts are left out so that every client eventually returns.
 */
export const PEER_MODELS: readonly StrategyModel[] = [
  {
    name: 'graphql-ws',
    description:
      'retryWait(retries), retries from 0: 1000 x 2^retries + floor(300 + random x 2700) ms (its default retryAttempts of 5 is ignored; at 30 s everyone is back on the 5th)',
    create: (random) => (attempt) => 1_000 * 2 ** (attempt - 1) + Math.floor(300 + random() * 2_700),
  },
  {
    name: 'socket.io-client',
    description:
      'reconnectionDelay 1000, reconnectionDelayMax 5000, randomizationFactor 0.5: d = 1000 x 2^(n-1); u = random; deviation = floor(u x 0.5 x d); d +/- deviation (plus when floor(10u) is odd); min(d, 5000), truncated',
    create: (random) => (attempt) => {
      const baseMs = 1_000 * 2 ** (attempt - 1);
      const u = random();
      const deviationMs = Math.floor(u * 0.5 * baseMs);
      const jitteredMs = Math.floor(u * 10) % 2 === 1 ? baseMs + deviationMs : baseMs - deviationMs;
      return Math.trunc(Math.min(jitteredMs, 5_000));
    },
  },
  {
    name: 'reconnecting-websocket',
    description:
      'minReconnectionDelay = 1000 + random x 4000, drawn once per page load (per client here), growth 1.3, max 10000: retry n waits min(10000, min x 1.3^(n-1)); the 0 ms delay is only for the very first connection, not after a drop from a connection that lived past minUptime',
    create: (random) => {
      const minDelayMs = 1_000 + random() * 4_000;
      return (attempt) => Math.min(10_000, minDelayMs * 1.3 ** (attempt - 1));
    },
  },
  {
    name: 'rxjs retry({ delay: 1000 })',
    description: 'a constant 1000 ms, no jitter',
    create: () => constantBackoff({ delayMs: 1_000, jitter: 'none' }),
  },
];

export const OUTAGES_MS: readonly number[] = [0, 3_000, 10_000, 30_000];

/** Every model at every outage. */
export function runStorms(
  models: readonly StrategyModel[],
  outagesMs: readonly number[],
  config: Omit<StormConfig, 'outageMs'> = {},
): StormResult[] {
  return outagesMs.flatMap((outageMs) => models.map((model) => simulateStorm(model, { ...config, outageMs })));
}

function formatTable(results: readonly StormResult[]): string {
  const header = [
    'outage',
    'strategy',
    'peak/100ms',
    'at',
    'all back',
    'mean 1st',
    'attempts/client',
    'max',
    'peak while down',
  ];
  const rows = results.map((r) => [
    `${r.outageMs / 1000} s`,
    r.strategy,
    `${(r.peakShare * 100).toFixed(1)}%`,
    `${(r.peakWindowStartMs / 1000).toFixed(1)} s`,
    `${(r.allBackMs / 1000).toFixed(1)} s`,
    `${(r.meanFirstRetryMs / 1000).toFixed(2)} s`,
    r.meanAttempts.toFixed(2),
    String(r.maxAttempts),
    r.outageMs === 0 ? '-' : `${(r.peakShareWhileDown * 100).toFixed(1)}%`,
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]!.length)));
  const line = (cells: readonly string[]): string =>
    cells.map((c, i) => (i < 2 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  const out = [line(header), widths.map((w) => '-'.repeat(w)).join('  ')];
  let previousOutage: number | undefined;
  results.forEach((r, i) => {
    if (previousOutage !== undefined && r.outageMs !== previousOutage) out.push('');
    previousOutage = r.outageMs;
    out.push(line(rows[i]!));
  });
  return out.join('\n');
}

/** A line per strategy of the share of clients attempting per window over time; shares above `maxShare` are clipped. */
export function renderSvg(
  results: readonly StormResult[],
  { maxShare = 0.12, horizonMs = 30_000, title = '' } = {},
): string {
  const width = 1040;
  const height = 480;
  const margin = { top: 40, right: 300, bottom: 50, left: 60 };
  const plotW = width - margin.left - margin.right;
  const plotH = height - margin.top - margin.bottom;
  const colors = [
    '#d62728',
    '#1f77b4',
    '#2ca02c',
    '#9467bd',
    '#8c564b',
    '#ff7f0e',
    '#e377c2',
    '#17becf',
    '#7f7f7f',
    '#bcbd22',
  ];
  const round = (n: number): number => Math.round(n * 10) / 10;
  const x = (ms: number): number => round(margin.left + (ms / horizonMs) * plotW);
  const y = (share: number): number => round(margin.top + plotH - (Math.min(share, maxShare) / maxShare) * plotH);
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="12">`,
    `<rect width="${width}" height="${height}" fill="white"/>`,
    `<text x="${margin.left}" y="22" font-size="15">${escapeXml(title)}</text>`,
  ];
  for (let s = 0; s <= horizonMs / 1000; s += 5) {
    parts.push(
      `<line x1="${x(s * 1000)}" y1="${margin.top}" x2="${x(s * 1000)}" y2="${margin.top + plotH}" stroke="#eee"/>`,
    );
    parts.push(`<text x="${x(s * 1000)}" y="${margin.top + plotH + 18}" text-anchor="middle">${s} s</text>`);
  }
  for (let pct = 0; pct <= maxShare * 100 + 1e-9; pct += 2) {
    parts.push(
      `<line x1="${margin.left}" y1="${y(pct / 100)}" x2="${margin.left + plotW}" y2="${y(pct / 100)}" stroke="#eee"/>`,
    );
    parts.push(`<text x="${margin.left - 8}" y="${y(pct / 100) + 4}" text-anchor="end">${pct}%</text>`);
  }
  const outageMs = results[0]?.outageMs ?? 0;
  if (outageMs > 0 && outageMs <= horizonMs) {
    parts.push(
      `<line x1="${x(outageMs)}" y1="${margin.top}" x2="${x(outageMs)}" y2="${margin.top + plotH}" stroke="#000" stroke-dasharray="4 4"/>`,
    );
    parts.push(`<text x="${x(outageMs) + 4}" y="${margin.top + 12}">server back</text>`);
  }
  parts.push(
    `<text x="${margin.left + plotW / 2}" y="${height - 10}" text-anchor="middle">time since every client disconnected</text>`,
  );
  parts.push(
    `<text transform="translate(16 ${margin.top + plotH / 2}) rotate(-90)" text-anchor="middle">clients attempting per ${results[0]?.windowMs ?? 100} ms (clipped at ${maxShare * 100}%)</text>`,
  );
  results.forEach((r, i) => {
    const color = colors[i % colors.length]!;
    const points = r.attemptsPerWindow
      .map((count, w) => [w * r.windowMs, count / r.clients] as const)
      .filter(([ms]) => ms <= horizonMs)
      .map(([ms, share]) => `${x(ms)},${y(share)}`);
    parts.push(
      `<polyline fill="none" stroke="${color}" stroke-width="${i === 0 ? 2.5 : 1.2}" points="${points.join(' ')}"/>`,
    );
    const peakAttempts = Math.max(...r.attemptsPerWindow) / r.clients;
    const legendY = margin.top + 14 + i * 34;
    parts.push(
      `<line x1="${width - margin.right + 16}" y1="${legendY - 4}" x2="${width - margin.right + 40}" y2="${legendY - 4}" stroke="${color}" stroke-width="3"/>`,
    );
    parts.push(`<text x="${width - margin.right + 46}" y="${legendY}">${escapeXml(r.strategy)}</text>`);
    parts.push(
      `<text x="${width - margin.right + 46}" y="${legendY + 14}" fill="#555">peak ${(r.peakShare * 100).toFixed(1)}% back, all by ${(r.allBackMs / 1000).toFixed(1)} s${peakAttempts > maxShare ? `; spikes to ${(peakAttempts * 100).toFixed(0)}%` : ''}</text>`,
    );
  });
  parts.push('</svg>');
  return `${parts.join('\n')}\n`;
}

function escapeXml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

interface CliOptions {
  readonly clients: number;
  readonly seed: number;
  readonly json: string | undefined;
  readonly svg: string;
}

function parseArgs(argv: readonly string[]): CliOptions {
  const benchDir = dirname(process.argv[1] ?? join(process.cwd(), 'bench', 'storm.ts'));
  let clients = 10_000;
  let seed = 1;
  let json: string | undefined;
  let svg = join(benchDir, 'results', 'storm.svg');
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const next = argv[i + 1];
    const hasValue = next !== undefined && !next.startsWith('--');
    switch (arg) {
      case '--clients':
        clients = Number(next);
        i++;
        break;
      case '--seed':
        seed = Number(next);
        i++;
        break;
      case '--json':
        json = hasValue ? next : join(benchDir, 'results', 'storm.json');
        if (hasValue) i++;
        break;
      case '--svg':
        svg = next ?? svg;
        i++;
        break;
      default:
        throw new Error(
          `Unknown argument ${String(arg)}. Usage: tsx bench/storm.ts [--clients N] [--seed N] [--json [file]] [--svg file]`,
        );
    }
  }
  if (!(Number.isInteger(clients) && clients > 0)) throw new Error('--clients needs a positive integer');
  if (!Number.isInteger(seed)) throw new Error('--seed needs an integer');
  return { clients, seed, json, svg };
}

function main(): void {
  const { clients, seed, json, svg } = parseArgs(process.argv.slice(2));
  const models = [...LIBRARY_MODELS, ...PEER_MODELS];
  const results = runStorms(models, OUTAGES_MS, { clients, seed });
  console.log(
    `Reconnection storm: ${clients} clients disconnected at t = 0, server down for 0/3/10/30 s, seed ${seed}.`,
  );
  console.log(
    'peak/100ms: largest share of clients reconnecting in one 100 ms window once the server is back (at: where).',
  );
  console.log(
    'all back: when the last client got back, from the disconnection. peak while down: load on the dead server.\n',
  );
  console.log(formatTable(results));
  console.log('\nModels:');
  for (const model of models) console.log(`- ${model.name}: ${model.description}`);
  mkdirSync(dirname(svg), { recursive: true });
  writeFileSync(
    svg,
    renderSvg(
      results.filter((r) => r.outageMs === 10_000),
      { title: `Reconnection storm: ${clients} clients, server down for 10 s (seed ${seed})` },
    ),
  );
  console.log(`\nWrote ${svg}`);
  if (json !== undefined) {
    mkdirSync(dirname(json), { recursive: true });
    writeFileSync(
      json,
      `${JSON.stringify({ clients, seed, outagesMs: OUTAGES_MS, models: models.map(({ name, description }) => ({ name, description })), results }, null, 2)}\n`,
    );
    console.log(`Wrote ${json}`);
  }
}

// Run only as a script (tsx bench/storm.ts), not when a spec imports the simulation.
if (/[\\/]bench[\\/]storm\.[cm]?[jt]s$/.test(process.argv[1] ?? '')) main();
