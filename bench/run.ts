/**
 * Side-by-side benchmark of rx-websocket, the raw `ws` client (the floor) and the peers, in one run:
 * receive and send throughput, round-trip latency, memory per idle connection and over connect/close cycles,
 * browser bundle size, and the reconnection storm simulation (bench/storm.ts).
 *
 *   node --expose-gc --import tsx bench/run.ts [--smoke] [--rounds N] [--cycles N] [--only a,b] [--clients a,b]
 *                                              [--out file] [--no-markdown] [--cpu-prof client]
 *
 * The server runs in a child process on 127.0.0.1; every measurement runs in a fresh child process, one client at
 * a time, the clients' order rotating from round to round. Medians over the rounds, ratios to raw `ws` from the
 * same run. A full run writes bench/results/latest.json and the results section of BENCHMARKS.md; `--smoke` runs
 * tiny counts and writes only where `--out` says (or to a temporary file).
 */
import { fork, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, mkdirSync, existsSync } from 'node:fs';
import { cpus, tmpdir, totalmem } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { build, type Plugin } from 'esbuild';
import { format, resolveConfig } from 'prettier';
import { DEFAULT_APP_TARGET_BYTES, measureBundles, OWN_GZIP_BUDGETS, type BundleSize } from './bundle-size';
import { CLIENT_IDS, CLIENT_LABELS, CLIENT_USAGE, type ClientId } from './clients';
import { sampleMessage } from './messages';
import { renderMarkdown, updateBenchmarksMarkdown } from './report';
import { REQUEST_CLIENT_BASE, REQUEST_CLIENTS, REQUEST_LABELS, type RequestClientId } from './requesters';
import { median, slope } from './stats';
import { LIBRARY_MODELS, OUTAGES_MS, PEER_MODELS, renderSvg, runStorms } from './storm';
import type {
  CyclesResult,
  DispatchResult,
  IdleResult,
  LatencyResult,
  ReceiveResult,
  RequestResult,
  SendResult,
  Task,
  WorkerResult,
} from './worker';

const ROOT = resolve(__dirname, '..');
const BENCH_DIR = join(ROOT, 'bench');

export const WORKLOADS = [
  'receive',
  'dispatch',
  'send',
  'latency',
  'request',
  'idle',
  'cycles',
  'bundle',
  'storm',
] as const;
export type Workload = (typeof WORKLOADS)[number];

export interface BenchConfig {
  readonly smoke: boolean;
  /** Rounds of the receive and dispatch workloads. */
  readonly rounds: number;
  /** Rounds of the send workload (long: every frame is a system call in ws). */
  readonly sendRounds: number;
  /** Rounds of the latency workload. */
  readonly latencyRounds: number;
  /** Rounds of the idle-connection memory workload (steady from run to run: fewer needed). */
  readonly memoryRounds: number;
  /** Rounds of the connect/close cycles (long; one by default). */
  readonly cycleRounds: number;
  readonly receiveMessages: number;
  /** Messages per burst of the in-process dispatch workload, and bursts per round. */
  readonly dispatchMessages: number;
  readonly dispatchBursts: number;
  readonly sendMessages: number;
  readonly latencyRatePerSecond: number;
  readonly latencyDurationMs: number;
  /** Round trips per round of the request workload, one after another and with `requestsInFlight` at once. */
  readonly requests: number;
  readonly requestsInFlight: number;
  readonly idleConnections: number;
  readonly cycles: number;
  readonly stormClients: number;
  readonly workloads: readonly Workload[];
  readonly clients: readonly ClientId[];
  /** The clients of the connect/close cycles: by default raw ws and this library only (the check is about it). */
  readonly cycleClients: readonly ClientId[];
  readonly out: string;
  readonly markdown: boolean;
  readonly cpuProfile: ClientId | undefined;
  /** A scratch copy of lib/ to measure as the clients 'rx-websocket-candidate' and 'rx-websocket-resumable-candidate'. */
  readonly candidate: string | undefined;
  /** A copy of lib/ to measure as 'rx-websocket' instead of lib/ itself (a snapshot, while lib/ is being edited). */
  readonly lib: string | undefined;
}

export const FULL_DEFAULTS = {
  rounds: 4,
  sendRounds: 3,
  latencyRounds: 2,
  memoryRounds: 2,
  cycleRounds: 1,
  receiveMessages: 2_000_000,
  dispatchMessages: 50_000,
  dispatchBursts: 15,
  sendMessages: 1_000_000,
  latencyRatePerSecond: 2_000,
  latencyDurationMs: 2_000,
  requests: 20_000,
  requestsInFlight: 64,
  idleConnections: 2_000,
  cycles: 30_000,
  stormClients: 10_000,
} as const;

export const SMOKE_DEFAULTS = {
  rounds: 1,
  sendRounds: 1,
  latencyRounds: 1,
  memoryRounds: 1,
  cycleRounds: 1,
  receiveMessages: 2_000,
  dispatchMessages: 2_000,
  dispatchBursts: 3,
  sendMessages: 1_000,
  latencyRatePerSecond: 500,
  latencyDurationMs: 200,
  requests: 200,
  requestsInFlight: 8,
  idleConnections: 10,
  cycles: 20,
  stormClients: 1_000,
} as const;

/** Where the steady part of the connect/close run starts, as a share of the cycles. */
const STEADY_FROM = 0.3;

/** Bytes per connect/close cycle that the library may leave beyond raw ws's drift before it counts as growing. */
const CYCLE_SLOPE_MARGIN = 16;

/**
 * The receive workloads also run raw `ws` with the browser-style `onmessage`, and raw `ws` feeding a bare RxJS
 * `Observable` (the floor of any RxJS client); the others need only one floor. A resumable channel's cost is per
 * message received: it runs in the receive workloads only.
 */
const RECEIVE_ONLY: readonly ClientId[] = [
  'ws-onmessage',
  'ws-observable',
  'ws-cursors',
  'rx-websocket-resumable',
  'rx-websocket-resumable-candidate',
];

/** The clients built from the `--candidate` copy of lib/. */
const CANDIDATES: readonly ClientId[] = ['rx-websocket-candidate', 'rx-websocket-resumable-candidate'];

const USAGE =
  'Usage: bench/run.ts [--smoke] [--rounds N] [--send-rounds N] [--latency-rounds N] [--memory-rounds N] [--cycle-rounds N] [--messages N] [--send-messages N] [--latency-ms N] ' +
  '[--latency-rate N] [--dispatch-messages N] [--dispatch-bursts N] [--requests N] [--in-flight N] [--connections N] [--cycles N] [--storm-clients N] [--only workloads] [--clients ids] ' +
  '[--out file] [--no-markdown] [--cpu-prof client] [--candidate lib-copy-dir] [--lib lib-copy-dir]';

function positiveInteger(flag: string, value: string | undefined): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0)
    throw new Error(`${flag} needs a positive integer, got ${String(value)}. ${USAGE}`);
  return n;
}

function list<T extends string>(flag: string, value: string | undefined, allowed: readonly T[]): T[] {
  const items = (value ?? '').split(',').filter((item) => item !== '');
  for (const item of items)
    if (!(allowed as readonly string[]).includes(item))
      throw new Error(`${flag}: unknown ${item}; expected some of ${allowed.join(', ')}`);
  if (items.length === 0) throw new Error(`${flag} needs a comma-separated list of ${allowed.join(', ')}`);
  return items as T[];
}

export function parseArgs(argv: readonly string[]): BenchConfig {
  const smoke = argv.includes('--smoke');
  const defaults: Record<keyof typeof FULL_DEFAULTS, number> = smoke ? SMOKE_DEFAULTS : FULL_DEFAULTS;
  let {
    rounds,
    sendRounds,
    latencyRounds,
    memoryRounds,
    cycleRounds,
    receiveMessages,
    sendMessages,
    latencyRatePerSecond,
    latencyDurationMs,
  } = defaults;
  let { idleConnections, cycles, stormClients, dispatchMessages, dispatchBursts, requests, requestsInFlight } =
    defaults;
  let workloads: readonly Workload[] = WORKLOADS;
  let clients: readonly ClientId[] | undefined;
  let candidate: string | undefined;
  let lib: string | undefined;
  let out: string | undefined;
  let markdown = !smoke;
  let cpuProfile: ClientId | undefined;
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i]!;
    const value = argv[i + 1];
    const take = (): string | undefined => {
      i++;
      return value;
    };
    switch (flag) {
      case '--smoke':
        break;
      case '--rounds':
        // All the timed workloads at once; the flags below (given after it) set one each.
        rounds = sendRounds = latencyRounds = positiveInteger(flag, take());
        break;
      case '--send-rounds':
        sendRounds = positiveInteger(flag, take());
        break;
      case '--latency-rounds':
        latencyRounds = positiveInteger(flag, take());
        break;
      case '--memory-rounds':
        memoryRounds = positiveInteger(flag, take());
        break;
      case '--cycle-rounds':
        cycleRounds = positiveInteger(flag, take());
        break;
      case '--messages':
        receiveMessages = positiveInteger(flag, take());
        break;
      case '--dispatch-messages':
        dispatchMessages = positiveInteger(flag, take());
        break;
      case '--dispatch-bursts':
        dispatchBursts = positiveInteger(flag, take());
        break;
      case '--send-messages':
        sendMessages = positiveInteger(flag, take());
        break;
      case '--latency-ms':
        latencyDurationMs = positiveInteger(flag, take());
        break;
      case '--latency-rate':
        latencyRatePerSecond = positiveInteger(flag, take());
        break;
      case '--requests':
        requests = positiveInteger(flag, take());
        break;
      case '--in-flight':
        requestsInFlight = positiveInteger(flag, take());
        break;
      case '--connections':
        idleConnections = positiveInteger(flag, take());
        break;
      case '--cycles':
        cycles = positiveInteger(flag, take());
        break;
      case '--storm-clients':
        stormClients = positiveInteger(flag, take());
        break;
      case '--only':
        workloads = list(flag, take(), WORKLOADS);
        break;
      case '--clients':
        clients = list(flag, take(), CLIENT_IDS);
        break;
      case '--out':
        out = take();
        if (out === undefined) throw new Error(`--out needs a file. ${USAGE}`);
        break;
      case '--no-markdown':
        markdown = false;
        break;
      case '--cpu-prof':
        cpuProfile = list(flag, take(), CLIENT_IDS)[0];
        break;
      case '--candidate':
        candidate = libraryCopy(flag, take());
        break;
      case '--lib':
        lib = libraryCopy(flag, take());
        break;
      default:
        throw new Error(`Unknown argument ${flag}. ${USAGE}`);
    }
  }
  const clientsGiven = clients !== undefined;
  clients ??= CLIENT_IDS.filter((id) => !CANDIDATES.includes(id) || candidate !== undefined);
  if (!clients.includes('ws')) clients = ['ws', ...clients];
  const needsCopy = clients.find((id) => CANDIDATES.includes(id));
  if (needsCopy !== undefined && candidate === undefined)
    throw new Error(`the client ${needsCopy} needs --candidate <dir>`);
  const cycleClients = clients.filter(
    (id) => !RECEIVE_ONLY.includes(id) && (smoke || clientsGiven || id === 'ws' || id.startsWith('rx-websocket')),
  );
  return {
    smoke,
    rounds,
    sendRounds,
    latencyRounds,
    memoryRounds,
    cycleRounds,
    receiveMessages,
    dispatchMessages,
    dispatchBursts,
    sendMessages,
    latencyRatePerSecond,
    latencyDurationMs,
    requests,
    requestsInFlight,
    idleConnections,
    cycles,
    stormClients,
    workloads,
    clients,
    cycleClients,
    out:
      out ??
      (smoke
        ? join(tmpdir(), `rx-websocket-bench-smoke-${process.pid}.json`)
        : join(BENCH_DIR, 'results', 'latest.json')),
    markdown,
    cpuProfile,
    candidate,
    lib,
  };
}

function libraryCopy(flag: string, dir: string | undefined): string {
  if (dir === undefined || !existsSync(join(dir, 'index.ts')))
    throw new Error(`${flag} needs a directory holding a copy of lib/ (with index.ts). ${USAGE}`);
  return resolve(dir);
}

// ---------------------------------------------------------------------------------------------------------------
// Child processes

interface Built {
  readonly dir: string;
  readonly worker: string;
  readonly server: string;
}

/** Bundles the worker and the server (with the library) into plain JavaScript, so each process starts in a blink. */
async function buildChildren(candidate: string | undefined, lib: string | undefined): Promise<Built> {
  const dir = mkdtempSync(join(tmpdir(), 'rx-websocket-bench-'));
  await build({
    entryPoints: { worker: join(BENCH_DIR, 'worker.ts'), server: join(BENCH_DIR, 'server.ts') },
    outdir: dir,
    absWorkingDir: ROOT,
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    packages: 'external',
    logLevel: 'warning',
    plugins: [libraryCopies(candidate, lib)],
  });
  return { dir, worker: join(dir, 'worker.js'), server: join(dir, 'server.js') };
}

/**
 * Points bench/candidate-lib.ts (and with `--lib`, bench/clients.ts and bench/requesters.ts) at copies of lib/ instead
 * of lib/ itself.
 */
function libraryCopies(candidate: string | undefined, lib: string | undefined): Plugin {
  return {
    name: 'library-copies',
    setup(pluginBuild) {
      pluginBuild.onResolve({ filter: /^\.\.\/lib\/index$/ }, (args) => {
        const copy = /[\\/]bench[\\/]candidate-lib\.ts$/.test(args.importer)
          ? candidate
          : /[\\/]bench[\\/](clients|requesters)\.ts$/.test(args.importer)
            ? lib
            : undefined;
        return copy === undefined ? undefined : { path: join(copy, 'index.ts') };
      });
    },
  };
}

/** Packages are left out of the bundles: the children find them in this repository's node_modules. */
const childEnv = (): NodeJS.ProcessEnv => ({ ...process.env, NODE_PATH: join(ROOT, 'node_modules') });

interface ServerHandle {
  readonly port: number;
  stop(): void;
}

async function startServer(built: Built): Promise<ServerHandle> {
  const child = fork(built.server, [], { env: childEnv(), stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const port = await new Promise<number>((resolvePort, reject) => {
    const timer = setTimeout(() => reject(new Error('the bench server did not start within 10 s')), 10_000);
    child.once('message', (message) => {
      clearTimeout(timer);
      resolvePort((message as { port: number }).port);
    });
    child.once('exit', (code) => reject(new Error(`the bench server exited with code ${String(code)}`)));
  });
  return {
    port,
    stop: () => {
      if (child.connected) child.send('stop');
      setTimeout(() => child.kill('SIGKILL'), 2_000).unref();
    },
  };
}

let profileCounter = 0;

function runWorker(built: Built, task: Task, timeoutMs: number, profile: boolean): Promise<WorkerResult> {
  const execArgv = ['--expose-gc'];
  if (profile) {
    profileCounter++;
    execArgv.push(
      '--cpu-prof',
      `--cpu-prof-dir=${join(BENCH_DIR, 'results')}`,
      `--cpu-prof-name=${task.workload}-${task.client}-${profileCounter}.cpuprofile`,
    );
  }
  return new Promise((resolveResult, reject) => {
    let settled = false;
    const child: ChildProcess = fork(built.worker, [JSON.stringify(task)], {
      execArgv,
      env: childEnv(),
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    const timer = setTimeout(() => {
      if (settled) return;
      settled = true;
      child.kill('SIGKILL');
      reject(new Error(`${task.workload} with ${task.client} did not finish within ${timeoutMs / 1000} s`));
    }, timeoutMs);
    child.on('message', (message) => {
      const reply = message as { ok: true; result: WorkerResult } | { ok: false; error: string };
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (reply.ok) resolveResult(reply.result);
      else reject(new Error(`${task.workload} with ${task.client} failed: ${reply.error}`));
    });
    child.on('exit', (code) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      reject(new Error(`${task.workload} with ${task.client} exited with code ${String(code)} before answering`));
    });
  });
}

// ---------------------------------------------------------------------------------------------------------------
// Results

export interface ClientRuns<R> {
  readonly id: ClientId;
  readonly label: string;
  readonly runs: readonly R[];
}

export interface ThroughputSummary extends ClientRuns<ReceiveResult | SendResult> {
  readonly medianMessagesPerSecond: number;
  readonly minMessagesPerSecond: number;
  readonly maxMessagesPerSecond: number;
  readonly medianCpuMs: number;
  /** Messages per second of the client process's CPU time: steadier than wall time on a busy machine. */
  readonly medianMessagesPerCpuSecond: number;
  /** Median messages/s over raw `ws`'s median. */
  readonly ratioToWs: number;
  /** The same on CPU time. */
  readonly cpuRatioToWs: number;
  /** The best round over raw ws's best round: what is left when interference from other work is least. */
  readonly bestRatioToWs: number;
  /** Receive only: over raw `ws` with `onmessage`. */
  readonly ratioToWsOnMessage?: number;
}

export interface DispatchSummary extends ClientRuns<DispatchResult> {
  /** The fastest burst of all rounds. */
  readonly nsPerMessage: number;
  /** What the client adds per message over ws's own 'message' event (which includes JSON.parse). */
  readonly overheadNs: number;
  /** ws's time over the client's: the throughput ratio this dispatch cost alone allows. */
  readonly ratioToWs: number;
}

export interface LatencySummary extends ClientRuns<LatencyResult> {
  readonly medianP50Ms: number;
  readonly medianP99Ms: number;
  readonly maxMs: number;
}

export interface RequestSummary {
  readonly id: RequestClientId;
  readonly label: string;
  /** Requests waiting at once: 1 for one after another. */
  readonly inFlight: number;
  readonly runs: readonly RequestResult[];
  readonly medianNsPerRoundTrip: number;
  readonly medianCpuNsPerRoundTrip: number;
  /** Raw ws's median time per round trip over this client's, at the same number in flight: above 1 is faster. */
  readonly ratioToWs: number;
  /** What the client adds per round trip over raw ws's median, at the same number in flight. */
  readonly overheadNs: number;
  /** The same ratio on the client process's CPU time: steadier than wall time when other work shares the machine. */
  readonly cpuRatioToWs: number;
}

export interface IdleSummary extends ClientRuns<IdleResult> {
  readonly medianHeapBytesPerConnection: number;
  readonly medianExternalBytesPerConnection: number;
  readonly ratioToWs: number;
}

export interface CyclesSummary extends ClientRuns<CyclesResult> {
  readonly medianCyclesPerSecond: number;
  /** Median over rounds of the heap growth from after the warm-up to the end. */
  readonly medianGrowthBytes: number;
  readonly medianBytesPerCycle: number;
  /** The slope over the checkpoints from 30% of the run on, once JIT and caches have settled. */
  readonly medianSteadyBytesPerCycle: number;
}

export interface TargetCheck {
  readonly name: string;
  readonly target: string;
  readonly measured: string;
  readonly met: boolean;
}

export interface StormSummaryRow {
  readonly strategy: string;
  readonly outageMs: number;
  readonly peakShare: number;
  readonly peakWindowStartMs: number;
  readonly allBackMs: number;
  readonly meanFirstRetryMs: number;
  readonly meanAttempts: number;
  readonly peakShareWhileDown: number;
}

export interface BenchResults {
  readonly schema: 1;
  readonly mode: 'full' | 'smoke' | 'custom';
  readonly date: string;
  readonly command: string;
  readonly durationMs: number;
  readonly machine: {
    readonly cpu: string;
    readonly cores: number;
    readonly memoryGiB: number;
    readonly node: string;
    readonly os: string;
  };
  readonly versions: Readonly<Record<string, string>>;
  readonly config: Omit<BenchConfig, 'out' | 'markdown' | 'cpuProfile' | 'candidate' | 'lib'>;
  readonly messageBytes: { readonly receive: number; readonly send: number };
  readonly clients: readonly { readonly id: ClientId; readonly label: string; readonly usage: string }[];
  readonly receive?: readonly ThroughputSummary[];
  readonly dispatch?: readonly DispatchSummary[];
  readonly send?: readonly ThroughputSummary[];
  readonly latency?: readonly LatencySummary[];
  readonly request?: readonly RequestSummary[];
  readonly idle?: readonly IdleSummary[];
  readonly cycles?: readonly CyclesSummary[];
  readonly bundle?: readonly BundleSize[];
  readonly storm?: { readonly clients: number; readonly seed: number; readonly rows: readonly StormSummaryRow[] };
  readonly targets: readonly TargetCheck[];
}

/** `items` starting at `offset`, wrapping around: round r starts with a different client. */
const rotate = <T>(items: readonly T[], offset: number): T[] =>
  items.map((_, i) => items[(i + offset) % items.length]!);

function summarizeThroughput(
  runs: ReadonlyMap<ClientId, (ReceiveResult | SendResult)[]>,
  withOnMessage: boolean,
): ThroughputSummary[] {
  const perCpuSecond = (r: ReceiveResult | SendResult): number => (r.messages / r.cpuMs) * 1_000;
  const medianOf = (id: ClientId): number => median((runs.get(id) ?? []).map((r) => r.messagesPerSecond));
  const floor = medianOf('ws');
  const floorOnMessage = medianOf('ws-onmessage');
  const cpuFloor = median((runs.get('ws') ?? []).map(perCpuSecond));
  const bestFloor = Math.max(...(runs.get('ws') ?? []).map((r) => r.messagesPerSecond));
  return [...runs].map(([id, results]) => {
    const rates = results.map((r) => r.messagesPerSecond);
    const medianRate = median(rates);
    return {
      id,
      label: CLIENT_LABELS[id],
      runs: results,
      medianMessagesPerSecond: medianRate,
      minMessagesPerSecond: Math.min(...rates),
      maxMessagesPerSecond: Math.max(...rates),
      medianCpuMs: median(results.map((r) => r.cpuMs)),
      medianMessagesPerCpuSecond: median(results.map(perCpuSecond)),
      ratioToWs: medianRate / floor,
      cpuRatioToWs: median(results.map(perCpuSecond)) / cpuFloor,
      bestRatioToWs: Math.max(...rates) / bestFloor,
      ...(withOnMessage && { ratioToWsOnMessage: medianRate / floorOnMessage }),
    };
  });
}

function checkTargets(results: Omit<BenchResults, 'targets'>): TargetCheck[] {
  const checks: TargetCheck[] = [];
  const percent = (ratio: number): string => `${ratio.toFixed(3)}×`;
  const ours = <T extends { id: ClientId }>(rows: readonly T[] | undefined): T | undefined =>
    rows?.find((row) => row.id === 'rx-websocket');
  const receiveOurs = ours(results.receive);
  if (receiveOurs && results.receive) {
    // The honest floor of any RxJS client: raw ws feeding one bare RxJS Observable, measured in the same run.
    const floor = results.receive.find((row) => row.id === 'ws-observable');
    if (floor) {
      const ratio = receiveOurs.medianMessagesPerSecond / floor.medianMessagesPerSecond;
      checks.push({
        name: 'receive throughput vs the bare-Observable floor',
        target: '≥ 0.99× ws into a bare Observable',
        measured: `${percent(ratio)} (${percent(receiveOurs.ratioToWs)} raw ws)`,
        met: ratio >= 0.99,
      });
    }
    // A resumable channel against raw ws, and against its own floor: the same cursor bookkeeping written inline.
    const channel = results.receive.find((row) => row.id === 'rx-websocket-resumable');
    const byHand = results.receive.find((row) => row.id === 'ws-cursors');
    if (channel)
      checks.push({
        name: "a resumable channel's receive throughput vs raw ws",
        target: '≥ 0.95× ws',
        measured: byHand
          ? `${percent(channel.ratioToWs)} (${percent(channel.medianMessagesPerSecond / byHand.medianMessagesPerSecond)} cursors kept by hand, which reach ${percent(byHand.ratioToWs)})`
          : percent(channel.ratioToWs),
        met: channel.ratioToWs >= 0.95,
      });
    const peers = results.receive.filter((row) => !row.id.startsWith('ws') && !row.id.startsWith('rx-websocket'));
    const best = peers.reduce<ThroughputSummary | undefined>(
      (top, row) => (top === undefined || row.medianMessagesPerSecond > top.medianMessagesPerSecond ? row : top),
      undefined,
    );
    if (best)
      checks.push({
        name: 'receive throughput vs every peer',
        target: 'ahead of every peer',
        measured: `${percent(receiveOurs.medianMessagesPerSecond / best.medianMessagesPerSecond)} the best peer (${best.label})`,
        met: receiveOurs.medianMessagesPerSecond > best.medianMessagesPerSecond,
      });
  }
  const sendOurs = ours(results.send);
  if (sendOurs)
    checks.push({
      name: 'send throughput vs raw ws',
      target: '≥ 0.97× ws',
      measured: percent(sendOurs.ratioToWs),
      met: sendOurs.ratioToWs >= 0.97,
    });
  const idleOurs = ours(results.idle);
  if (idleOurs)
    checks.push({
      name: 'heap per idle connection vs raw ws',
      target: '≤ 1.3× ws',
      measured: percent(idleOurs.ratioToWs),
      met: idleOurs.ratioToWs <= 1.3,
    });
  const cyclesOurs = ours(results.cycles);
  const cyclesWs = results.cycles?.find((row) => row.id === 'ws');
  if (cyclesOurs && cyclesWs) {
    // Raw ws drifts by some bytes per cycle too (code and inline caches settling): growth beyond it is a leak.
    const allowed = Math.max(0, cyclesWs.medianSteadyBytesPerCycle) + CYCLE_SLOPE_MARGIN;
    checks.push({
      name: 'heap after connect/close cycles',
      target: `does not grow: slope from 30% on ≤ raw ws's + ${CYCLE_SLOPE_MARGIN} bytes/cycle (${allowed.toFixed(1)}), over ${cyclesOurs.runs[0]?.cycles ?? 0} cycles`,
      measured: `${cyclesOurs.medianSteadyBytesPerCycle.toFixed(1)} bytes/cycle`,
      met: cyclesOurs.medianSteadyBytesPerCycle <= allowed,
    });
  }
  const defaultApp = results.bundle?.find((row) => row.id === 'rx-websocket');
  if (defaultApp?.ownGzipBytes !== undefined)
    checks.push({
      name: 'own code, min+gz: default app, against the 0.2 target',
      target: `≤ ${DEFAULT_APP_TARGET_BYTES} bytes`,
      measured: `${defaultApp.ownGzipBytes} bytes`,
      met: defaultApp.ownGzipBytes <= DEFAULT_APP_TARGET_BYTES,
    });
  for (const row of results.bundle ?? []) {
    const budget = OWN_GZIP_BUDGETS[row.id];
    if (budget === undefined || row.ownGzipBytes === undefined) continue;
    checks.push({
      name: `own code, min+gz: ${row.label.replace(/^rx-websocket: /, '')}`,
      target: `≤ ${budget} bytes`,
      measured: `${row.ownGzipBytes} bytes`,
      met: row.ownGzipBytes <= budget,
    });
  }
  const stormOurs = results.storm?.rows.filter((row) => row.strategy === 'rx-websocket default');
  if (stormOurs && stormOurs.length > 0) {
    const peak = Math.max(...stormOurs.map((row) => row.peakShare));
    checks.push({
      name: 'reconnection storm, default backoff',
      target: '≤ ~5% of clients per 100 ms (5.6% allowed for binomial noise), every outage',
      measured: `${(peak * 100).toFixed(1)}% at worst`,
      met: peak <= 0.056,
    });
  }
  return checks;
}

function packageVersion(name: string): string {
  try {
    const json = JSON.parse(readFileSync(join(ROOT, 'node_modules', name, 'package.json'), 'utf8')) as {
      version: string;
    };
    return json.version;
  } catch {
    return 'unknown';
  }
}

/** The command as typed, with file and directory arguments replaced by placeholders (no machine paths in results). */
function describeCommand(argv: readonly string[]): string {
  const shown = argv.map((arg, i) =>
    argv[i - 1] === '--out' ? '<file>' : argv[i - 1] === '--candidate' || argv[i - 1] === '--lib' ? '<dir>' : arg,
  );
  return shown.length === 0 ? 'npm run bench' : `npm run bench -- ${shown.join(' ')}`;
}

// ---------------------------------------------------------------------------------------------------------------
// The run

function log(line: string): void {
  process.stdout.write(`${line}\n`);
}

export async function runBench(config: BenchConfig, argv: readonly string[]): Promise<BenchResults> {
  const started = performance.now();
  const built = await buildChildren(config.candidate, config.lib);
  let server: ServerHandle | undefined;
  const has = (workload: Workload): boolean => config.workloads.includes(workload);
  try {
    server = await startServer(built);
    const { port } = server;
    // A measurement that takes far longer than its counts suggest is stuck; the margins are generous.
    const timeoutMs = config.smoke ? 60_000 : 300_000;
    const run = <R extends WorkerResult>(task: Task): Promise<R> =>
      runWorker(built, task, timeoutMs, config.cpuProfile === task.client) as Promise<R>;

    const rounds = async <R extends WorkerResult>(
      name: string,
      clients: readonly ClientId[],
      count: number,
      task: (client: ClientId) => Task,
      describe: (result: R) => string,
    ): Promise<Map<ClientId, R[]>> => {
      const byClient = new Map<ClientId, R[]>(clients.map((id) => [id, []]));
      for (let round = 0; round < count; round++) {
        for (const client of rotate(clients, round)) {
          const result = await run<R>(task(client));
          byClient.get(client)!.push(result);
          log(`  ${name} round ${round + 1}/${count}  ${CLIENT_LABELS[client].padEnd(28)} ${describe(result)}`);
        }
      }
      return byClient;
    };

    const mainClients = config.clients.filter((id) => !RECEIVE_ONLY.includes(id));
    const rate = (r: ReceiveResult | SendResult): string =>
      `${Math.round(r.messagesPerSecond).toLocaleString('en-US')} msg/s (${Math.round(r.ms)} ms, CPU ${Math.round(r.cpuMs)} ms)`;

    let receive: ThroughputSummary[] | undefined;
    if (has('receive')) {
      log(`Receive: ${config.receiveMessages.toLocaleString('en-US')} messages, ${config.rounds} rounds`);
      const runs = await rounds<ReceiveResult>(
        'receive',
        config.clients,
        config.rounds,
        (client) => ({ workload: 'receive', client, port, messages: config.receiveMessages }),
        rate,
      );
      receive = summarizeThroughput(runs, config.clients.includes('ws-onmessage'));
    }

    let dispatch: DispatchSummary[] | undefined;
    if (has('dispatch')) {
      log(
        `Dispatch (in process): ${config.dispatchBursts} bursts of ${config.dispatchMessages.toLocaleString('en-US')} ` +
          `messages, ${config.rounds} rounds`,
      );
      const runs = await rounds<DispatchResult>(
        'dispatch',
        config.clients,
        config.rounds,
        (client) => ({
          workload: 'dispatch',
          client,
          port,
          messagesPerBurst: config.dispatchMessages,
          bursts: config.dispatchBursts,
        }),
        (r) => `${r.minNsPerMessage.toFixed(0)} ns/message at best, ${r.medianNsPerMessage.toFixed(0)} median`,
      );
      // The fastest round: a whole process can run slow when other work shares its core, never fast.
      const floor = Math.min(...(runs.get('ws') ?? []).map((r) => r.minNsPerMessage));
      dispatch = [...runs].map(([id, results]) => {
        const nsPerMessage = Math.min(...results.map((r) => r.minNsPerMessage));
        return {
          id,
          label: CLIENT_LABELS[id],
          runs: results,
          nsPerMessage,
          overheadNs: nsPerMessage - floor,
          ratioToWs: floor / nsPerMessage,
        };
      });
    }

    let send: ThroughputSummary[] | undefined;
    if (has('send')) {
      log(`Send: ${config.sendMessages.toLocaleString('en-US')} messages, ${config.sendRounds} rounds`);
      const runs = await rounds<SendResult>(
        'send',
        mainClients,
        config.sendRounds,
        (client) => ({ workload: 'send', client, port, messages: config.sendMessages }),
        rate,
      );
      send = summarizeThroughput(runs, false);
    }

    let latency: LatencySummary[] | undefined;
    if (has('latency')) {
      log(
        `Latency: echo at ${config.latencyRatePerSecond}/s for ${config.latencyDurationMs} ms, ${config.latencyRounds} rounds`,
      );
      const runs = await rounds<LatencyResult>(
        'latency',
        mainClients,
        config.latencyRounds,
        (client) => ({
          workload: 'latency',
          client,
          port,
          ratePerSecond: config.latencyRatePerSecond,
          durationMs: config.latencyDurationMs,
        }),
        (r) => `p50 ${r.p50Ms.toFixed(3)} ms, p99 ${r.p99Ms.toFixed(3)} ms, max ${r.maxMs.toFixed(2)} ms`,
      );
      latency = [...runs].map(([id, results]) => ({
        id,
        label: CLIENT_LABELS[id],
        runs: results,
        medianP50Ms: median(results.map((r) => r.p50Ms)),
        medianP99Ms: median(results.map((r) => r.p99Ms)),
        maxMs: Math.max(...results.map((r) => r.maxMs)),
      }));
    }

    let request: RequestSummary[] | undefined;
    if (has('request')) {
      const requestClients = REQUEST_CLIENTS.filter(
        (id) => id === 'ws' || config.clients.includes(REQUEST_CLIENT_BASE[id]),
      );
      request = [];
      for (const inFlight of [...new Set([1, config.requestsInFlight])]) {
        log(
          `Request round trips: ${config.requests.toLocaleString('en-US')} to an echo, ${inFlight} in flight, ` +
            `${config.rounds} rounds`,
        );
        const byClient = new Map<RequestClientId, RequestResult[]>(requestClients.map((id) => [id, []]));
        for (let round = 0; round < config.rounds; round++) {
          for (const client of rotate(requestClients, round)) {
            const result = (await runWorker(
              built,
              { workload: 'request', client, port, requests: config.requests, inFlight },
              timeoutMs,
              config.cpuProfile === client,
            )) as RequestResult;
            byClient.get(client)!.push(result);
            log(
              `  request round ${round + 1}/${config.rounds}  ${REQUEST_LABELS[client].padEnd(40)} ` +
                `${(result.nsPerRoundTrip / 1_000).toFixed(1)} µs/round trip (CPU ${(result.cpuNsPerRoundTrip / 1_000).toFixed(1)} µs)`,
            );
          }
        }
        const floor = median((byClient.get('ws') ?? []).map((r) => r.nsPerRoundTrip));
        const cpuFloor = median((byClient.get('ws') ?? []).map((r) => r.cpuNsPerRoundTrip));
        for (const [id, results] of byClient) {
          const ns = median(results.map((r) => r.nsPerRoundTrip));
          const cpuNs = median(results.map((r) => r.cpuNsPerRoundTrip));
          request.push({
            id,
            label: REQUEST_LABELS[id],
            inFlight,
            runs: results,
            medianNsPerRoundTrip: ns,
            medianCpuNsPerRoundTrip: cpuNs,
            ratioToWs: floor / ns,
            overheadNs: ns - floor,
            cpuRatioToWs: cpuFloor / cpuNs,
          });
        }
      }
    }

    let idle: IdleSummary[] | undefined;
    if (has('idle')) {
      log(`Idle memory: ${config.idleConnections} open connections, ${config.memoryRounds} rounds`);
      const runs = await rounds<IdleResult>(
        'idle',
        mainClients,
        config.memoryRounds,
        (client) => ({ workload: 'idle', client, port, connections: config.idleConnections }),
        (r) => `${Math.round(r.heapBytesPerConnection)} heap bytes/connection`,
      );
      const floor = median((runs.get('ws') ?? []).map((r) => r.heapBytesPerConnection));
      idle = [...runs].map(([id, results]) => {
        const perConnection = median(results.map((r) => r.heapBytesPerConnection));
        return {
          id,
          label: CLIENT_LABELS[id],
          runs: results,
          medianHeapBytesPerConnection: perConnection,
          medianExternalBytesPerConnection: median(results.map((r) => r.externalBytesPerConnection)),
          ratioToWs: perConnection / floor,
        };
      });
    }

    let cycles: CyclesSummary[] | undefined;
    if (has('cycles')) {
      log(`Connect/close cycles: ${config.cycles.toLocaleString('en-US')} per client, ${config.cycleRounds} round(s)`);
      const runs = await rounds<CyclesResult>(
        'cycles',
        config.cycleClients,
        config.cycleRounds,
        (client) => ({ workload: 'cycles', client, port, cycles: config.cycles }),
        (r) =>
          `${Math.round(r.cyclesPerSecond)} cycles/s, heap ${kib(r.heapStartBytes)} -> ${kib(r.heapEndBytes)}, ` +
          `slope ${r.bytesPerCycle.toFixed(1)} B/cycle`,
      );
      cycles = [...runs].map(([id, results]) => ({
        id,
        label: CLIENT_LABELS[id],
        runs: results,
        medianCyclesPerSecond: median(results.map((r) => r.cyclesPerSecond)),
        medianGrowthBytes: median(results.map((r) => r.heapEndBytes - r.heapStartBytes)),
        medianBytesPerCycle: median(results.map((r) => r.bytesPerCycle)),
        medianSteadyBytesPerCycle: median(results.map(steadySlope)),
      }));
    }

    let bundle: BundleSize[] | undefined;
    if (has('bundle')) {
      log('Bundle sizes (esbuild, browser, minified + gzipped)');
      bundle = await measureBundles(ROOT, config.lib, config.candidate);
    }

    let storm: BenchResults['storm'];
    if (has('storm')) {
      log(`Reconnection storm: ${config.stormClients.toLocaleString('en-US')} simulated clients`);
      const seed = 1;
      const stormResults = runStorms([...LIBRARY_MODELS, ...PEER_MODELS], OUTAGES_MS, {
        clients: config.stormClients,
        seed,
      });
      if (!config.smoke) {
        writeFileSync(
          join(BENCH_DIR, 'results', 'storm.svg'),
          renderSvg(
            stormResults.filter((r) => r.outageMs === 10_000),
            { title: `Reconnection storm: ${config.stormClients} clients, server down for 10 s (seed ${seed})` },
          ),
        );
      }
      storm = {
        clients: config.stormClients,
        seed,
        rows: stormResults.map((r) => ({
          strategy: r.strategy,
          outageMs: r.outageMs,
          peakShare: r.peakShare,
          peakWindowStartMs: r.peakWindowStartMs,
          allBackMs: r.allBackMs,
          meanFirstRetryMs: r.meanFirstRetryMs,
          meanAttempts: r.meanAttempts,
          peakShareWhileDown: r.peakShareWhileDown,
        })),
      };
    }

    const { out, markdown, cpuProfile, candidate, lib, ...reported } = config;
    void lib;
    void out;
    void markdown;
    void cpuProfile;
    void candidate;
    const isDefault = argv.filter((arg) => arg !== '--smoke').length === 0;
    const partial: Omit<BenchResults, 'targets'> = {
      schema: 1,
      mode: config.smoke ? 'smoke' : isDefault ? 'full' : 'custom',
      date: new Date().toISOString(),
      command: describeCommand(argv),
      durationMs: performance.now() - started,
      machine: {
        cpu: cpus()[0]?.model ?? 'unknown',
        cores: cpus().length,
        memoryGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
        node: process.version,
        os: `${process.platform} ${process.arch}`,
      },
      versions: Object.fromEntries(
        ['ws', 'rxjs', 'rxjs-websockets', 'reconnecting-websocket', 'partysocket', 'esbuild'].map((name) => [
          name,
          packageVersion(name),
        ]),
      ),
      config: reported,
      messageBytes: (({ receiveBytes, sendBytes }) => ({ receive: receiveBytes, send: sendBytes }))(sampleMessage()),
      clients: config.clients.map((id) => ({ id, label: CLIENT_LABELS[id], usage: CLIENT_USAGE[id] })),
      ...(receive && { receive }),
      ...(dispatch && { dispatch }),
      ...(send && { send }),
      ...(latency && { latency }),
      ...(request && { request }),
      ...(idle && { idle }),
      ...(cycles && { cycles }),
      ...(bundle && { bundle }),
      ...(storm && { storm }),
    };
    return { ...partial, targets: checkTargets(partial) };
  } finally {
    server?.stop();
    rmSync(built.dir, { recursive: true, force: true });
  }
}

/** Bytes per cycle over the checkpoints from 30% of the run on, once compiled code has settled. */
function steadySlope(result: CyclesResult): number {
  const settled = result.checkpoints.filter(([cycles]) => cycles >= result.cycles * STEADY_FROM);
  return slope(
    settled.map(([x]) => x),
    settled.map(([, y]) => y),
  );
}

const kib = (bytes: number): string => `${(bytes / 1024).toFixed(0)} KiB`;

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  const config = parseArgs(argv);
  const results = await runBench(config, argv);
  mkdirSync(dirname(config.out), { recursive: true });
  writeFileSync(config.out, `${JSON.stringify(results, null, 2)}\n`);
  const markdown = renderMarkdown(results);
  log(`\n${markdown}`);
  log(`Wrote ${config.out}`);
  if (config.markdown) {
    const file = join(ROOT, 'BENCHMARKS.md');
    const updated = updateBenchmarksMarkdown(existsSync(file) ? readFileSync(file, 'utf8') : undefined, markdown);
    // Formatted as the rest of the repository is, so that the tables read as tables in a plain editor too.
    writeFileSync(file, await format(updated, { ...(await resolveConfig(file)), filepath: file }));
    log(`Updated ${file}`);
  }
  log(`Done in ${(results.durationMs / 1000).toFixed(0)} s`);
}

if (require.main === module) {
  main().catch((error: unknown) => {
    process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(1);
  });
}
