/**
 * The soak run (`npm run soak`): the reliability workloads of `spec/reliability` and the exactly-once proofs of
 * `spec/integration/feed-server` (resumable channels and resent requests, 100,000 messages each way) with the big
 * counts, checked against the same invariants, ending with a table of figures. Bounded in count and time; stops by itself.
 *
 *   npm run soak                 the full run (about 5 to 10 minutes)
 *   npm run soak -- --scale=0.1  the same, with every count and duration scaled down (a quick smoke run)
 *   npm run soak -- --only=exactly  only the sections whose name contains the text
 */
import { join } from 'node:path';
import { runChild } from '../spec/helpers/child';
import {
  runRandomCuts,
  runServerRestarts,
  type CutFigures,
  type RestartFigures,
} from '../spec/helpers/fault-workloads';
import {
  exactlyOnce,
  runCutProof,
  runRestartProof,
  type ProofFigures,
  type StreamAccount,
} from '../spec/helpers/feed-proof';
import { startRedis } from '../spec/helpers/redis';
import type { CycleArgs, CycleFigures } from '../spec/reliability/children/cycles';
import type { LoadArgs, LoadFigures } from '../spec/reliability/children/load';

const scaleArg = process.argv.find((a) => a.startsWith('--scale='));
const SCALE = scaleArg ? Number(scaleArg.slice('--scale='.length)) : 1;
if (!(SCALE > 0 && SCALE <= 1)) throw new Error(`--scale must be in (0, 1], got ${scaleArg}`);
const onlyArg = process.argv.find((a) => a.startsWith('--only='));
const ONLY = onlyArg?.slice('--only='.length);
const scaled = (n: number, least = 1): number => Math.max(least, Math.round(n * SCALE));

/** The whole run stops starting new sections after this. */
const DEADLINE_MS = 10 * 60_000;
const HEAP_TOLERANCE_BYTES = 1024 * 1024;
const LOAD_HEAP_TOLERANCE_BYTES = 2 * 1024 * 1024;
const children = join(__dirname, '..', 'spec', 'reliability', 'children');

interface Check {
  readonly section: string;
  readonly what: string;
  readonly ok: boolean;
  readonly detail: string;
}
const checks: Check[] = [];
const check = (section: string, what: string, ok: boolean, detail: unknown = ''): void => {
  checks.push({ section, what, ok, detail: typeof detail === 'string' ? detail : JSON.stringify(detail) });
};
const rows: Record<string, string>[] = [];
const row = (section: string, figure: string, value: string | number): void => {
  rows.push({ section, figure, value: typeof value === 'number' ? value.toLocaleString('en-US') : value });
};
const kib = (bytes: number): string => `${(bytes / 1024).toFixed(1)} KiB`;
const log = (line: string): void => void process.stdout.write(`${line}\n`);

async function cycles(): Promise<void> {
  const section = 'connect/close cycles';
  const args: CycleArgs = {
    cycles: scaled(100_000, 1_000),
    subscribeCycles: scaled(20_000, 500),
    streamCycles: scaled(200_000, 5_000),
    concurrency: 8,
    warmup: 1_000,
    budgetMs: 6 * 60_000,
  };
  const result = await runChild<CycleFigures & { error?: string }>(join(children, 'cycles.ts'), args, {
    timeoutMs: args.budgetMs + 60_000,
  });
  const f = result.figures;
  check(section, 'completed', f.error === undefined, f.error ?? '');
  if (f.error !== undefined) return;
  check(section, 'exited by itself', result.exitedByItself && result.exitCode === 0);
  check(section, 'no handle left open', Object.keys(f.resourcesAbove).length === 0, f.resourcesAbove);
  check(section, 'no error reported', f.errors.length === 0, f.errors);
  for (const [name, phase] of [
    ['connect/close', f.connectClose],
    ['subscribe/unsubscribe', f.subscribeUnsubscribe],
    ['stream subscriptions', f.streamSubscriptions],
  ] as const) {
    row(section, `${name}: cycles`, phase.count);
    row(section, `${name}: rate`, `${phase.perSecond.toLocaleString('en-US')}/s`);
    row(section, `${name}: heap after GC vs baseline`, kib(phase.heapGrowthBytes));
    check(
      section,
      `${name}: heap back within ${kib(HEAP_TOLERANCE_BYTES)}`,
      phase.heapGrowthBytes < HEAP_TOLERANCE_BYTES,
      kib(phase.heapGrowthBytes),
    );
  }
  row(section, 'connections the server accepted', f.serverConnections);
  row(section, 'handles left open', JSON.stringify(f.resourcesAbove));
}

async function load(): Promise<void> {
  const section = 'concurrent connections';
  const args: LoadArgs = {
    connections: scaled(1_000, 100),
    storms: scaled(10, 2),
    streamIntervalMs: 100,
    firstRetryMaxMs: 1_000,
    stepTimeoutMs: 30_000,
  };
  const result = await runChild<LoadFigures & { error?: string }>(join(children, 'load.ts'), args, {
    timeoutMs: 5 * 60_000,
    openFiles: args.connections + 256,
  });
  const f = result.figures;
  check(section, 'completed', f.error === undefined, f.error ?? '');
  if (f.error !== undefined) return;
  check(section, 'exited by itself', result.exitedByItself && result.exitCode === 0);
  check(section, 'no unexpected error', f.unexpectedErrors.length === 0, f.unexpectedErrors);
  check(section, 'no tick duplicated or out of order', f.disorder === 0, f.disorder);
  check(
    section,
    'every storm dropped every client',
    f.storms.every((s) => s.dropped === args.connections),
  );
  check(section, 'no handle left open', Object.keys(f.resourcesAbove).length === 0, f.resourcesAbove);
  check(
    section,
    `heap back within ${kib(LOAD_HEAP_TOLERANCE_BYTES)} after closing`,
    f.heapGrowthAfterCloseBytes < LOAD_HEAP_TOLERANCE_BYTES,
    kib(f.heapGrowthAfterCloseBytes),
  );
  row(section, 'connections', f.connections);
  row(section, 'all open after', `${f.allOpenMs} ms`);
  row(section, 'heap per connection', kib(f.heapBytesPerConnection));
  row(section, 'RSS per connection', kib(f.rssBytesPerConnection));
  row(section, 'storms', f.storms.length);
  row(section, 'all back after a storm (slowest storm)', `${Math.max(...f.storms.map((s) => s.allBackMs))} ms`);
  const peak = (pick: (s: (typeof f.storms)[number]) => number): string =>
    `${(Math.max(...f.storms.map(pick)) * 100).toFixed(1)}%`;
  row(
    section,
    'peak attempts per 100 ms (backoff spread)',
    peak((s) => s.peakAttemptsPer100Ms),
  );
  row(
    section,
    'peak reconnections completed per 100 ms',
    peak((s) => s.peakOpensPer100Ms),
  );
  row(
    section,
    'failed attempts during storms',
    f.storms.reduce((sum, s) => sum + s.failedAttempts, 0),
  );
  row(section, 'messages received', f.messagesReceived);
  row(section, 'close codes', JSON.stringify(f.closeCodes));
  row(section, 'heap after closing all vs before', kib(f.heapGrowthAfterCloseBytes));
}

function restartChecks(section: string, f: RestartFigures): void {
  const a = f.accounting;
  check(section, 'no duplicate, no reordering', a.duplicates.length === 0 && a.outOfOrder.length === 0);
  check(section, 'delivered + reported + lost = sent', a.delivered + a.reported + a.lost.length === a.sent);
  check(section, 'only tails in flight lost', a.lostNotTail.length === 0, a.lostNotTail);
  check(
    section,
    'no unexpected error',
    f.unexpectedErrors.length === 0 && f.unhandled.length === 0,
    [...f.unexpectedErrors, ...f.unhandled].map(String),
  );
  if (f.mode === 'graceful') check(section, 'nothing lost', a.lost.length === 0, a.lost);
  row(section, 'restarts', f.rounds);
  row(
    section,
    'messages sent / delivered / reported / lost',
    `${a.sent} / ${a.delivered} / ${a.reported} / ${a.lost.length}`,
  );
  const lossy = f.outages.filter((o) => o.lost > 0);
  row(section, 'restarts that lost messages', `${lossy.length} of ${f.rounds}`);
  if (lossy.length > 0) {
    row(section, 'lost per lossy restart (max)', Math.max(...lossy.map((o) => o.lost)));
    row(
      section,
      'lost messages handed to send, from the kill',
      `${Math.min(...lossy.map((o) => o.lostSentFromMs ?? 0)).toFixed(1)} to ${Math.max(...lossy.map((o) => o.lostSentToMs ?? 0)).toFixed(1)} ms`,
    );
  }
  row(section, 'reconnected after (median)', `${median(f.outages.map((o) => o.downMs)).toFixed(0)} ms`);
}

function cutChecks(f: CutFigures): void {
  const section = 'random cuts';
  const ups = f.perClient.map((c) => c.up);
  check(section, 'every client came back', Number.isFinite(f.settleMs));
  check(
    section,
    'no duplicate, no reordering',
    ups.every((u) => u.duplicates.length === 0 && u.outOfOrder.length === 0) &&
      f.perClient.every((c) => c.down.duplicates === 0 && c.down.outOfOrder === 0),
  );
  check(
    section,
    'delivered + reported + lost = sent',
    ups.every((u) => u.delivered + u.reported + u.lost.length === u.sent),
  );
  check(
    section,
    'only tails in flight lost',
    ups.every((u) => u.lostNotTail.length === 0),
  );
  check(
    section,
    'no unexpected error',
    f.unexpectedErrors.length === 0 && f.streamErrors.length === 0 && f.unhandled.length === 0,
    [...f.unexpectedErrors, ...f.streamErrors, ...f.unhandled].map(String),
  );
  const sum = (pick: (u: (typeof ups)[number]) => number): number => ups.reduce((s, u) => s + pick(u), 0);
  row(section, 'clients / duration / seed', `${f.clients} / ${f.durationMs / 1000} s / ${f.seed}`);
  row(section, 'cuts: one / all / mid-chunk', `${f.cuts.one} / ${f.cuts.all} / ${f.cuts.midChunkCut}`);
  row(section, 'connections accepted', f.connectionsAccepted);
  row(
    section,
    'up: sent / delivered / reported / lost',
    `${sum((u) => u.sent)} / ${sum((u) => u.delivered)} / ${sum((u) => u.reported)} / ${sum((u) => u.lost.length)}`,
  );
  row(
    section,
    'up: lost after waiting in the queue',
    sum((u) => u.lostAfterFlush),
  );
  row(
    section,
    'down: received / lost in flight',
    `${f.perClient.reduce((s, c) => s + c.down.received, 0)} / ${f.perClient.reduce((s, c) => s + c.down.lost, 0)}`,
  );
  row(section, 'all back after the last cut', `${f.settleMs.toFixed(0)} ms`);
}

const PROOF_CHANNELS = ['a', 'b', 'c'];
const streamFigure = (a: StreamAccount): string =>
  `${a.sent} / ${a.delivered} / ${a.lost} / ${a.duplicated} / ${a.outOfOrder}`;

function proofChecks(section: string, f: ProofFigures, atLeast: number): void {
  const l = f.ledger;
  check(section, 'exactly once and in order, both ways', exactlyOnce(l), {
    down: l.down,
    up: l.up,
    replies: l.replies,
  });
  check(section, 'no error ended a request or a channel', l.errors.length === 0, l.errors.slice(0, 5));
  check(section, 'every reply says the request ran once', l.badReplies === 0, l.badReplies);
  check(section, 'every resubscription filled its gap', l.resumes.notRecovered === 0, l.resumes);
  check(
    section,
    `at least ${atLeast.toLocaleString('en-US')} each way`,
    l.down.sent >= atLeast && l.up.sent >= atLeast,
  );
  row(section, 'clients / channels', `${f.clients} / ${f.channels}`);
  row(section, 'down, messages: sent / delivered / lost / duplicated / out of order', streamFigure(l.down));
  row(section, 'up, requests run: sent / delivered / lost / duplicated / out of order', streamFigure(l.up));
  row(section, 'replies: expected / delivered / lost / duplicated / out of order', streamFigure(l.replies));
  row(section, 'resubscriptions (all recovered)', l.resumes.recovered);
  row(section, 'took', `${(f.durationMs / 1000).toFixed(1)} s`);
}

async function restartProof(): Promise<void> {
  const section = 'exactly once, restarts and kills';
  const redis = await startRedis();
  try {
    const f = await runRestartProof({
      redisUrl: redis.url,
      keyPrefix: 'soak:',
      channels: PROOF_CHANNELS,
      messagesPerChannel: scaled(33_334, 700),
      requests: scaled(100_000, 2_100),
      stops: scaled(100, 8),
      stepTimeoutMs: 120_000,
    });
    proofChecks(section, f, Math.min(100_000, scaled(100_000, 2_000)));
    row(section, 'stops: graceful (1001) / kills', `${f.graceful} / ${f.abrupt}`);
    row(section, 'requests resent and answered from the store', f.repeats);
  } finally {
    await redis.stop();
  }
}

async function cutProof(): Promise<void> {
  const section = 'exactly once, random cuts';
  const seed = Date.now() % 1_000_000;
  const f = await runCutProof({
    clients: 5,
    channels: PROOF_CHANNELS,
    messagesPerChannel: scaled(6_700, 150),
    requestsPerClient: scaled(20_000, 420),
    rounds: scaled(200, 30),
    seed,
    stepTimeoutMs: 120_000,
  });
  proofChecks(section, f, Math.min(100_000, scaled(100_000, 2_000)));
  row(section, 'seed / cuts: mid-chunk / one / all', `${f.seed} / ${f.cuts.midChunk} / ${f.cuts.one} / ${f.cuts.all}`);
  row(section, 'connections accepted', f.connectionsAccepted);
}

/** A plain-text table: one line per row, columns padded, sections not repeated. */
function table(data: Record<string, string>[]): string {
  const widths = { section: 0, figure: 0 };
  for (const r of data) {
    widths.section = Math.max(widths.section, (r.section ?? '').length);
    widths.figure = Math.max(widths.figure, (r.figure ?? '').length);
  }
  let previous = '';
  return data
    .map((r) => {
      const section = r.section === previous ? '' : (r.section ?? '');
      previous = r.section ?? '';
      return `${section.padEnd(widths.section)}  ${(r.figure ?? '').padEnd(widths.figure)}  ${r.value ?? ''}`;
    })
    .join('\n');
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? NaN;
}

async function main(): Promise<void> {
  const started = performance.now();
  const sections: [string, () => Promise<void>][] = [
    [
      'server restarts, graceful',
      async () =>
        restartChecks(
          'restarts (graceful, 1001)',
          await runServerRestarts({ mode: 'graceful', rounds: scaled(20, 3) }),
        ),
    ],
    [
      'server restarts, abrupt',
      async () =>
        restartChecks('restarts (abrupt)', await runServerRestarts({ mode: 'abrupt', rounds: scaled(20, 3) })),
    ],
    [
      'random cuts',
      async () =>
        cutChecks(
          await runRandomCuts({
            clients: scaled(10, 3),
            durationMs: scaled(60_000, 5_000),
            maxCuts: scaled(2_000, 50),
            seed: Date.now() % 1_000_000,
          }),
        ),
    ],
    ['exactly once through restarts and kills', restartProof],
    ['exactly once through random cuts', cutProof],
    ['concurrent connections and storms', load],
    ['connect/close cycles', cycles],
  ];
  for (const [name, run] of sections) {
    if (ONLY !== undefined && !name.includes(ONLY)) continue;
    if (performance.now() - started > DEADLINE_MS) {
      check(name, 'ran within the soak deadline', false, `skipped: ${DEADLINE_MS / 60_000} min were up`);
      continue;
    }
    log(`soak: ${name}...`);
    const t = performance.now();
    try {
      await run();
    } catch (error) {
      check(name, 'completed', false, error instanceof Error ? error.message : String(error));
    }
    log(`soak: ${name} took ${((performance.now() - t) / 1000).toFixed(1)} s`);
  }
  log('');
  log(table(rows));
  const failed = checks.filter((c) => !c.ok);
  log(
    `${checks.length - failed.length} of ${checks.length} checks passed in ${((performance.now() - started) / 60_000).toFixed(1)} min${SCALE < 1 ? ` (scale ${SCALE})` : ''}.`,
  );
  for (const c of failed) log(`FAILED ${c.section}: ${c.what} ${c.detail}`);
  process.exitCode = failed.length === 0 ? 0 : 1;
}

void main();
