/**
 * Heap against cycle count, for raw `ws` and for `fromWebSocket`, in one process: connect/close cycles in blocks, the
 * heap after GC at every checkpoint, and the median slope (Theil–Sen) over the checkpoints (what one more cycle leaves
 * behind, in bytes). Raw `ws` runs the same cycles first, so that its slope measures what the runtime and `ws` leave
 * (allocation sites, caches, the noise of GC) on this machine in this run. Then many connections held open at once,
 * for the heap each costs, against raw `ws`'s. Run with `--expose-gc`; prints one JSON line and exits by itself.
 */
import './interpreter-only';
import { once } from 'node:events';
import { filter, firstValueFrom, timeout, type Subscription } from 'rxjs';
import WebSocket from 'ws';
import { fromWebSocket, type ConnectionStatus, type ReactiveWebSocket } from '../../../lib/index';
import { forkServer, lowestSettledHeap, medianSlope, readArgs, run, settledHeap } from './common';

export interface LeakFitArgs {
  /** Cycles before the first checkpoint, so that lazy initialisation and the JIT are not counted. */
  readonly warmup: number;
  /** Checkpoints after the warm-up; `cyclesPerCheckpoint` cycles run between two. */
  readonly checkpoints: number;
  readonly cyclesPerCheckpoint: number;
  /** Cycles in flight at once. */
  readonly concurrency: number;
  /** Connections held open at once to measure the heap of one. */
  readonly held: number;
  /** The whole run must end within this, or it fails. */
  readonly budgetMs: number;
}

export interface Fit {
  /** Cycles done at each checkpoint, counted from the end of the warm-up. */
  readonly cycles: number[];
  /** Heap after GC at each checkpoint, in bytes. */
  readonly heapBytes: number[];
  /** The Theil–Sen slope of heap over cycles from the second checkpoint on: bytes per cycle. */
  readonly bytesPerCycle: number;
  readonly cyclesPerSecond: number;
}

export interface LeakFitFigures {
  readonly raw: Fit;
  readonly library: Fit;
  /** Heap per connection held open (idle, nothing subscribed but the hold), in bytes. */
  readonly rawBytesPerConnection: number;
  readonly libraryBytesPerConnection: number;
  readonly errors: string[];
  readonly serverConnections: number;
}

run(async (): Promise<LeakFitFigures> => {
  const args = readArgs<LeakFitArgs>();
  const deadline = performance.now() + args.budgetMs;
  const server = await forkServer();
  const errors: string[] = [];
  const stepMs = 10_000;
  const checkBudget = (): void => {
    if (performance.now() > deadline) throw new Error(`the run took longer than its budget of ${args.budgetMs} ms`);
  };
  const when = (socket: Pick<ReactiveWebSocket<unknown, unknown>, 'state$'>, status: ConnectionStatus) =>
    firstValueFrom(
      socket.state$.pipe(
        filter((s) => s.status === status),
        timeout(stepMs),
      ),
    );

  const rawCycle = async (): Promise<void> => {
    const ws = new WebSocket(server.url);
    ws.on('error', (e) => errors.push(String(e)));
    await once(ws, 'open');
    ws.close(1000);
    await once(ws, 'close');
  };
  const libraryCycle = async (): Promise<void> => {
    const socket = fromWebSocket(server.url, { reconnect: false });
    const errorsSub = socket.error$.subscribe((e) => errors.push(String(e)));
    socket.connect();
    await when(socket, 'open');
    socket.close();
    await when(socket, 'closed');
    errorsSub.unsubscribe();
  };
  const inParallel = async (count: number, job: () => Promise<void>): Promise<void> => {
    let next = 0;
    await Promise.all(
      Array.from({ length: args.concurrency }, async () => {
        while (next < count) {
          next++;
          await job();
        }
      }),
    );
    checkBudget();
  };
  const measureSlope = async (job: () => Promise<void>): Promise<Fit> => {
    await inParallel(args.warmup, job);
    const cycles: number[] = [];
    const heapBytes: number[] = [];
    let busyMs = 0;
    for (let point = 0; point <= args.checkpoints; point++) {
      if (point > 0) {
        const started = performance.now();
        await inParallel(args.cyclesPerCheckpoint, job);
        busyMs += performance.now() - started;
      }
      cycles.push(point * args.cyclesPerCheckpoint);
      heapBytes.push(await lowestSettledHeap());
    }
    return {
      cycles,
      heapBytes,
      // From the second checkpoint on: between the first two, what the warm-up left behind is still being let go of.
      bytesPerCycle: medianSlope(cycles.slice(1), heapBytes.slice(1)),
      cyclesPerSecond: Math.round((args.checkpoints * args.cyclesPerCheckpoint * 1000) / busyMs),
    };
  };
  /** Heap per connection of `count` held open at once, then closed again. */
  const perConnection = async (open: () => Promise<() => Promise<void>>): Promise<number> => {
    // One round first, so that what the first connections initialise is not counted.
    for (const close of await Promise.all(Array.from({ length: args.concurrency }, open))) await close();
    const before = (await settledHeap()).heapBytes;
    const closers: (() => Promise<void>)[] = [];
    for (let i = 0; i < args.held; i += args.concurrency) {
      closers.push(...(await Promise.all(Array.from({ length: Math.min(args.concurrency, args.held - i) }, open))));
    }
    const after = (await settledHeap()).heapBytes;
    await Promise.all(closers.map((close) => close()));
    checkBudget();
    return (after - before) / args.held;
  };

  const raw = await measureSlope(rawCycle);
  const library = await measureSlope(libraryCycle);
  const rawBytesPerConnection = await perConnection(async () => {
    const ws = new WebSocket(server.url);
    ws.on('error', (e) => errors.push(String(e)));
    await once(ws, 'open');
    return async () => {
      ws.close(1000);
      await once(ws, 'close');
    };
  });
  const libraryBytesPerConnection = await perConnection(async () => {
    const socket = fromWebSocket(server.url, { reconnect: false });
    const held: Subscription = socket.connect();
    await when(socket, 'open');
    return async () => {
      held.unsubscribe();
      await when(socket, 'closed');
    };
  });
  const serverConnections = await server.exit();
  return {
    raw,
    library,
    rawBytesPerConnection,
    libraryBytesPerConnection,
    errors: errors.slice(0, 20),
    serverConnections,
  };
});
