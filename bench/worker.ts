/**
 * One measurement in a fresh process: one client, one workload, one round. Started by bench/run.ts with the task as
 * JSON in argv[2]; answers with one result over IPC and exits. A fresh process per measurement keeps one client's
 * JIT feedback and garbage out of the next one's numbers.
 */
import { setImmediate as nextTurn, setTimeout as sleep } from 'node:timers/promises';
import WebSocket from 'ws';
import { createDrivers, DRIVERS, type ClientId, type Connection, type Driver } from './clients';
import { REQUESTERS, type RequestClientId, type RequestSession } from './requesters';
import { receiveMessage, sendMessage } from './messages';
import { quantile, slope } from './stats';

export type Task =
  | { readonly workload: 'receive'; readonly client: ClientId; readonly port: number; readonly messages: number }
  | { readonly workload: 'send'; readonly client: ClientId; readonly port: number; readonly messages: number }
  | {
      readonly workload: 'latency';
      readonly client: ClientId;
      readonly port: number;
      readonly ratePerSecond: number;
      readonly durationMs: number;
    }
  | {
      readonly workload: 'dispatch';
      readonly client: ClientId;
      readonly port: number;
      readonly messagesPerBurst: number;
      readonly bursts: number;
    }
  | {
      readonly workload: 'request';
      readonly client: RequestClientId;
      readonly port: number;
      readonly requests: number;
      readonly inFlight: number;
    }
  | { readonly workload: 'idle'; readonly client: ClientId; readonly port: number; readonly connections: number }
  | { readonly workload: 'cycles'; readonly client: ClientId; readonly port: number; readonly cycles: number };

export interface ReceiveResult {
  readonly workload: 'receive';
  readonly messages: number;
  /** From the first message to the last. */
  readonly ms: number;
  readonly messagesPerSecond: number;
  /** CPU time of this process over the same span (user + system). */
  readonly cpuMs: number;
}

export interface SendResult {
  readonly workload: 'send';
  readonly messages: number;
  /** From the first send to the server's report that it has them all. */
  readonly ms: number;
  readonly messagesPerSecond: number;
  readonly cpuMs: number;
}

export interface LatencyResult {
  readonly workload: 'latency';
  readonly samples: number;
  readonly p50Ms: number;
  readonly p90Ms: number;
  readonly p99Ms: number;
  readonly maxMs: number;
}

export interface DispatchResult {
  readonly workload: 'dispatch';
  readonly messagesPerBurst: number;
  readonly bursts: number;
  /** CPU time per message of the fastest burst: interference from other processes only ever adds time. */
  readonly minNsPerMessage: number;
  readonly medianNsPerMessage: number;
}

export interface IdleResult {
  readonly workload: 'idle';
  readonly connections: number;
  /** V8 heap used per open connection, after GC, over the heap before any was opened. */
  readonly heapBytesPerConnection: number;
  /** Memory outside the V8 heap (Buffers and the like) per connection, for reference. */
  readonly externalBytesPerConnection: number;
}

export interface CyclesResult {
  readonly workload: 'cycles';
  readonly cycles: number;
  readonly cyclesPerSecond: number;
  /** Heap used after GC once the warm-up is over. */
  readonly heapStartBytes: number;
  /** Heap used after GC at the end. */
  readonly heapEndBytes: number;
  /** Heap used after GC at each tenth of the run (cycle count, bytes). */
  readonly checkpoints: readonly (readonly [number, number])[];
  /** The least-squares slope of the checkpoints: what one more cycle leaves on the heap. */
  readonly bytesPerCycle: number;
}

export interface RequestResult {
  readonly workload: 'request';
  readonly requests: number;
  /** Requests waiting for their reply at once: 1 for one after another. */
  readonly inFlight: number;
  /** From the first request to the last reply. */
  readonly ms: number;
  /** Wall time per round trip: `ms` over the requests. */
  readonly nsPerRoundTrip: number;
  /** CPU time of this process per round trip (user + system). */
  readonly cpuNsPerRoundTrip: number;
}

export type WorkerResult =
  ReceiveResult | SendResult | LatencyResult | DispatchResult | RequestResult | IdleResult | CyclesResult;

/** Batches of sends between two turns of the event loop, so that the socket can write. */
const SEND_BATCH = 1_000;
/** Latency samples to leave out at the start, while the code warms up. */
const LATENCY_WARMUP_SAMPLES = 200;
/** Round trips before the timed ones, while the code warms up (at most this many, at most the timed count). */
const REQUEST_WARMUP = 2_000;
/** Connections opened at once while building up the idle set. */
const OPEN_CONCURRENCY = 50;
/** Connect/close cycles under way at once (each lane runs its cycles one after another). */
const CYCLE_LANES = 8;

const now = (): number => performance.now();
const cpuMsSince = (start: NodeJS.CpuUsage): number => {
  const { user, system } = process.cpuUsage(start);
  return (user + system) / 1_000;
};

const forceGc = async (): Promise<void> => {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) throw new Error('run with --expose-gc: memory workloads need to force garbage collection');
  for (let i = 0; i < 4; i++) {
    gc();
    await nextTurn();
  }
};

async function receive(driver: Driver, port: number, messages: number): Promise<ReceiveResult> {
  let count = 0;
  let first = 0;
  let cpuStart = process.cpuUsage();
  let quantity = 0;
  let finish: (result: ReceiveResult) => void = () => {};
  const finished = new Promise<ReceiveResult>((resolve) => (finish = resolve));
  const connection = await driver.open(`ws://127.0.0.1:${port}/flood?n=${messages}`, (value) => {
    if (count === 0) {
      first = now();
      cpuStart = process.cpuUsage();
    }
    quantity += (value as { qty: number }).qty;
    if (++count === messages) {
      const ms = now() - first;
      finish({
        workload: 'receive',
        messages,
        ms,
        messagesPerSecond: ((messages - 1) / ms) * 1_000,
        cpuMs: cpuMsSince(cpuStart),
      });
    }
  });
  const result = await finished;
  if (!(quantity > 0)) throw new Error('no message was parsed');
  await connection.close();
  return result;
}

async function send(driver: Driver, port: number, messages: number): Promise<SendResult> {
  const payloads = Array.from({ length: SEND_BATCH }, (_, i) => sendMessage(i));
  let done: () => void = () => {};
  const allReceived = new Promise<void>((resolve) => (done = resolve));
  const connection = await driver.open(`ws://127.0.0.1:${port}/sink?n=${messages}`, (value) => {
    if ((value as { received?: number }).received === messages) done();
  });
  const start = now();
  const cpuStart = process.cpuUsage();
  for (let sent = 0; sent < messages;) {
    const end = Math.min(messages, sent + SEND_BATCH);
    for (let i = 0; sent < end; sent++, i++) connection.send(payloads[i]!);
    await nextTurn();
  }
  await allReceived;
  const ms = now() - start;
  const cpuMs = cpuMsSince(cpuStart);
  await connection.close();
  return { workload: 'send', messages, ms, messagesPerSecond: (messages / ms) * 1_000, cpuMs };
}

async function latency(
  driver: Driver,
  port: number,
  ratePerSecond: number,
  durationMs: number,
): Promise<LatencyResult> {
  const total = Math.max(1, Math.round((ratePerSecond * durationMs) / 1_000));
  const sentAt = new Float64Array(total);
  const rtts: number[] = [];
  let received = 0;
  let done: () => void = () => {};
  const allBack = new Promise<void>((resolve) => (done = resolve));
  const connection = await driver.open(`ws://127.0.0.1:${port}/echo`, (value) => {
    const index = (value as { i: number }).i;
    rtts[index] = now() - sentAt[index]!;
    if (++received === total) done();
  });
  const pad = 'x'.repeat(32);
  const start = now();
  let sent = 0;
  const pacer = setInterval(() => {
    const due = Math.min(total, Math.floor(((now() - start) * ratePerSecond) / 1_000) + 1);
    for (; sent < due; sent++) {
      sentAt[sent] = now();
      connection.send(`{"i":${sent},"pad":"${pad}"}`);
    }
    if (sent === total) clearInterval(pacer);
  }, 1);
  const timeout = sleep(durationMs + 10_000, 'timeout' as const);
  const outcome = await Promise.race([allBack.then(() => 'done' as const), timeout]);
  clearInterval(pacer);
  if (outcome === 'timeout') throw new Error(`only ${received} of ${total} echoes came back`);
  await connection.close();
  const samples = rtts.slice(Math.min(LATENCY_WARMUP_SAMPLES, Math.floor(total / 10)));
  return {
    workload: 'latency',
    samples: samples.length,
    p50Ms: quantile(samples, 0.5),
    p90Ms: quantile(samples, 0.9),
    p99Ms: quantile(samples, 0.99),
    maxMs: Math.max(...samples),
  };
}

/**
 * A real `ws` client object that never connects: the dispatch workload plays the network side, emitting 'open'
 * and then 'message' events exactly as ws's receiver does, so that only the client's own dispatch is measured.
 */
class DetachedWebSocket extends WebSocket {
  static last: DetachedWebSocket | undefined;
  constructor(..._args: unknown[]) {
    // ws's own server-side form: no address, no connection (it reads autoPong from the options).
    super(null as unknown as string, [], { autoPong: true });
    DetachedWebSocket.last = this;
  }
  markOpen(): void {
    (this as unknown as { _readyState: number })._readyState = WebSocket.OPEN;
    this.emit('open');
  }
  override send(): void {}
  override close(): void {}
}

async function dispatch(client: ClientId, messagesPerBurst: number, bursts: number): Promise<DispatchResult> {
  const driver = createDrivers(DetachedWebSocket)[client];
  const frames = Array.from({ length: 1_000 }, (_, i) => Buffer.from(receiveMessage(i)));
  let quantity = 0;
  DetachedWebSocket.last = undefined;
  const opening = driver.open('ws://127.0.0.1:9/detached', (value) => {
    quantity += (value as { qty: number }).qty;
  });
  // Awaited below; a failure before then must not end the process as an unhandled rejection.
  opening.catch(() => undefined);
  // Some clients create their socket after a timer or a promise.
  for (let i = 0; i < 200 && DetachedWebSocket.last === undefined; i++) await sleep(5);
  const socket = DetachedWebSocket.last as DetachedWebSocket | undefined;
  if (socket === undefined) throw new Error(`${client} created no socket`);
  socket.markOpen();
  await opening;
  const burst = (): number => {
    const cpuStart = process.cpuUsage();
    for (let i = 0; i < messagesPerBurst; i++) socket.emit('message', frames[i % frames.length], false);
    return (cpuMsSince(cpuStart) * 1e6) / messagesPerBurst;
  };
  // Warm-up: let the JIT settle on the client's code first.
  for (let i = 0; i < 3; i++) burst();
  const nsPerMessage: number[] = [];
  for (let i = 0; i < bursts; i++) {
    nsPerMessage.push(burst());
    // A turn of the event loop between bursts, as between network reads.
    await nextTurn();
  }
  if (!(quantity > 0)) throw new Error('no message was parsed');
  return {
    workload: 'dispatch',
    messagesPerBurst,
    bursts,
    minNsPerMessage: Math.min(...nsPerMessage),
    medianNsPerMessage: quantile(nsPerMessage, 0.5),
  };
}

/** Makes `count` requests, `lanes` at a time: each lane sends its next request once the reply to its last is back. */
function roundTrips(session: RequestSession, count: number, lanes: number): Promise<void> {
  return new Promise((resolve, reject) => {
    let started = 0;
    let done = 0;
    const next = (): void => {
      if (started >= count) return;
      started++;
      session.request(
        started,
        () => {
          if (++done === count) resolve();
          else next();
        },
        reject,
      );
    };
    for (let lane = 0; lane < Math.min(lanes, count); lane++) next();
  });
}

async function requests(
  client: RequestClientId,
  port: number,
  count: number,
  inFlight: number,
): Promise<RequestResult> {
  const session = await REQUESTERS[client].open(`ws://127.0.0.1:${port}/echo`);
  await roundTrips(session, Math.min(count, REQUEST_WARMUP), inFlight);
  const start = now();
  const cpuStart = process.cpuUsage();
  await roundTrips(session, count, inFlight);
  const ms = now() - start;
  const cpuMs = cpuMsSince(cpuStart);
  await session.close();
  return {
    workload: 'request',
    requests: count,
    inFlight,
    ms,
    nsPerRoundTrip: (ms * 1e6) / count,
    cpuNsPerRoundTrip: (cpuMs * 1e6) / count,
  };
}

async function openMany(driver: Driver, url: string, count: number): Promise<Connection[]> {
  const connections: Connection[] = [];
  while (connections.length < count) {
    const batch = Math.min(OPEN_CONCURRENCY, count - connections.length);
    connections.push(...(await Promise.all(Array.from({ length: batch }, () => driver.open(url, () => {})))));
  }
  return connections;
}

async function closeAll(connections: readonly Connection[]): Promise<void> {
  for (let i = 0; i < connections.length; i += OPEN_CONCURRENCY) {
    await Promise.all(connections.slice(i, i + OPEN_CONCURRENCY).map((connection) => connection.close()));
  }
}

async function idle(driver: Driver, port: number, connections: number): Promise<IdleResult> {
  const url = `ws://127.0.0.1:${port}/idle`;
  // Warm up: load and run every code path once, so that the baseline holds the code and its caches.
  await closeAll(await openMany(driver, url, Math.min(20, connections)));
  await sleep(50);
  await forceGc();
  const before = process.memoryUsage();
  const open = await openMany(driver, url, connections);
  await sleep(100);
  await forceGc();
  const after = process.memoryUsage();
  await closeAll(open);
  return {
    workload: 'idle',
    connections,
    heapBytesPerConnection: (after.heapUsed - before.heapUsed) / connections,
    externalBytesPerConnection: (after.external - before.external) / connections,
  };
}

async function cycles(driver: Driver, port: number, count: number): Promise<CyclesResult> {
  const url = `ws://127.0.0.1:${port}/idle`;
  const cycle = async (): Promise<void> => {
    const connection = await driver.open(url, () => {});
    await connection.close();
  };
  /** Runs `n` cycles, CYCLE_LANES at a time, each lane one cycle after another. */
  const runCycles = async (n: number): Promise<void> => {
    let started = 0;
    const lane = async (): Promise<void> => {
      while (started < n) {
        started++;
        await cycle();
      }
    };
    await Promise.all(Array.from({ length: Math.min(CYCLE_LANES, n) }, lane));
  };
  // Clients that report a close before the handshake is over (partysocket) leave sockets closing: let them finish.
  const settle = async (): Promise<number> => {
    await sleep(50);
    await forceGc();
    return process.memoryUsage().heapUsed;
  };
  await runCycles(Math.min(1_000, Math.max(10, Math.floor(count / 10))));
  const heapStartBytes = await settle();
  const checkpoints: [number, number][] = [[0, heapStartBytes]];
  const step = Math.max(1, Math.ceil(count / 10));
  let cyclingMs = 0;
  for (let done = 0; done < count;) {
    const n = Math.min(step, count - done);
    const segmentStart = now();
    await runCycles(n);
    cyclingMs += now() - segmentStart;
    done += n;
    checkpoints.push([done, await settle()]);
  }
  const heapEndBytes = checkpoints[checkpoints.length - 1]![1];
  return {
    workload: 'cycles',
    cycles: count,
    cyclesPerSecond: (count / cyclingMs) * 1_000,
    heapStartBytes,
    heapEndBytes,
    checkpoints,
    bytesPerCycle: slope(
      checkpoints.map(([x]) => x),
      checkpoints.map(([, y]) => y),
    ),
  };
}

export async function runTask(task: Task): Promise<WorkerResult> {
  if (task.workload === 'request') return requests(task.client, task.port, task.requests, task.inFlight);
  const driver = DRIVERS[task.client];
  switch (task.workload) {
    case 'receive':
      return receive(driver, task.port, task.messages);
    case 'send':
      return send(driver, task.port, task.messages);
    case 'latency':
      return latency(driver, task.port, task.ratePerSecond, task.durationMs);
    case 'dispatch':
      return dispatch(task.client, task.messagesPerBurst, task.bursts);
    case 'idle':
      return idle(driver, task.port, task.connections);
    case 'cycles':
      return cycles(driver, task.port, task.cycles);
  }
}

async function main(): Promise<void> {
  const task = JSON.parse(process.argv[2] ?? '') as Task;
  try {
    const result = await runTask(task);
    process.send?.({ ok: true, result });
  } catch (error) {
    process.send?.({ ok: false, error: error instanceof Error ? (error.stack ?? error.message) : String(error) });
  }
  process.disconnect?.();
  // Whatever a client still holds open (reconnection timers, half-closed sockets) must not keep the process up.
  setTimeout(() => process.exit(0), 200).unref();
}

if (process.send !== undefined) void main();
