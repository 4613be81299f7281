/**
 * Connect/close and subscribe/unsubscribe cycles against a server in another process, measuring whether the heap
 * and the open handles come back to where they were. Run with `--expose-gc`; prints one JSON line and must then
 * exit by itself, which it can only do if nothing was left open.
 */
import { filter, firstValueFrom, timeout } from 'rxjs';
import { fromWebSocket, multiplex, type ConnectionStatus, type ReactiveWebSocket } from '../../../lib/index';
import { activeResources, forkServer, readArgs, resourcesSettled, run, settledHeap, type HeapFigures } from './common';

export interface CycleArgs {
  /** Connect/close cycles, each with a new `fromWebSocket`. */
  readonly cycles: number;
  /** Cycles of subscribing to `message$` (which connects) and unsubscribing (which closes), reusing sockets. */
  readonly subscribeCycles: number;
  /** Subscribe/unsubscribe of every stream and a multiplex channel on a held connection, without reconnecting. */
  readonly streamCycles: number;
  readonly concurrency: number;
  /** Cycles run before the baseline is taken, so that lazy initialisation and the JIT are not counted as growth. */
  readonly warmup: number;
  /** The whole run must end within this, or it fails (the counts are fixed; this only bounds a slow or stuck run). */
  readonly budgetMs: number;
}

export interface PhaseFigures {
  readonly count: number;
  readonly ms: number;
  readonly perSecond: number;
  /** Heap after GC minus the baseline, in bytes. */
  readonly heapGrowthBytes: number;
  readonly externalGrowthBytes: number;
}

export interface CycleFigures {
  readonly baseline: HeapFigures;
  readonly connectClose: PhaseFigures;
  readonly subscribeUnsubscribe: PhaseFigures;
  readonly streamSubscriptions: PhaseFigures;
  /** Handles open at the end beyond those open at the start (before the server process was started). */
  readonly resourcesAbove: Record<string, number>;
  readonly resourcesAtEnd: string[];
  readonly serverConnections: number;
  readonly errors: string[];
}

run(async (): Promise<CycleFigures> => {
  const args = readArgs<CycleArgs>();
  const deadline = performance.now() + args.budgetMs;
  const startResources = activeResources();
  const server = await forkServer();
  const errors: string[] = [];
  const stepMs = 10_000;
  const when = (
    socket: Pick<ReactiveWebSocket<unknown, unknown>, 'state$'>,
    status: ConnectionStatus,
  ): Promise<unknown> =>
    firstValueFrom(
      socket.state$.pipe(
        filter((s) => s.status === status),
        timeout(stepMs),
      ),
    );
  const checkBudget = (): void => {
    if (performance.now() > deadline) throw new Error(`the run took longer than its budget of ${args.budgetMs} ms`);
  };

  const connectClose = async (): Promise<void> => {
    const socket = fromWebSocket(server.url, { reconnect: false });
    const errorsSub = socket.error$.subscribe((e) => errors.push(String(e)));
    socket.connect();
    await when(socket, 'open');
    socket.close();
    await when(socket, 'closed');
    errorsSub.unsubscribe();
  };
  const inParallel = async (count: number, job: (worker: number) => Promise<void>): Promise<void> => {
    let next = 0;
    await Promise.all(
      Array.from({ length: args.concurrency }, async (_, worker) => {
        while (next < count) {
          next++;
          await job(worker);
          if (next % 500 === 0) checkBudget();
        }
      }),
    );
  };
  const phase = async (baseline: HeapFigures, count: number, body: () => Promise<void>): Promise<PhaseFigures> => {
    const started = performance.now();
    await body();
    const ms = performance.now() - started;
    const heap = await settledHeap();
    return {
      count,
      ms: Math.round(ms),
      perSecond: Math.round((count / ms) * 1000),
      heapGrowthBytes: heap.heapBytes - baseline.heapBytes,
      externalGrowthBytes: heap.externalBytes - baseline.externalBytes,
    };
  };

  await inParallel(args.warmup, connectClose);
  const reused = Array.from({ length: args.concurrency }, () => fromWebSocket(server.url, { reconnect: false }));
  const subscribeUnsubscribe = async (worker: number): Promise<void> => {
    const socket = reused[worker] as (typeof reused)[number];
    const subscription = socket.message$.subscribe({ error: (e: unknown) => errors.push(String(e)) });
    await when(socket, 'open');
    subscription.unsubscribe();
    await when(socket, 'closed');
  };
  await inParallel(Math.min(args.warmup, 200), subscribeUnsubscribe);
  const held = fromWebSocket<string, string>(server.url, { reconnect: false });
  const streamCycle = (): void => {
    const subscriptions = [
      held.message$.subscribe(),
      held.messageEvent$.subscribe(),
      held.open$.subscribe(),
      held.close$.subscribe(),
      held.error$.subscribe(),
      held.state$.subscribe(),
      multiplex(
        held,
        () => 'sub',
        () => 'unsub',
        () => false,
      ).subscribe(),
    ];
    for (const s of subscriptions) s.unsubscribe();
  };
  const holding = held.connect();
  await when(held, 'open');
  for (let i = 0; i < 100; i++) streamCycle();

  const baseline = await settledHeap();
  const connectCloseFigures = await phase(baseline, args.cycles, () => inParallel(args.cycles, connectClose));
  const subscribeFigures = await phase(baseline, args.subscribeCycles, () =>
    inParallel(args.subscribeCycles, subscribeUnsubscribe),
  );
  const streamFigures = await phase(baseline, args.streamCycles, async () => {
    for (let i = 0; i < args.streamCycles; i++) {
      streamCycle();
      // Let the channel's subscribe/unsubscribe messages go out now and then rather than pile up in one tick.
      if (i % 1_000 === 999) await new Promise((resolve) => setImmediate(resolve));
    }
  });
  holding.unsubscribe();
  await when(held, 'closed');

  const serverConnections = await server.exit();
  const left = await resourcesSettled(startResources, 2_000);
  return {
    baseline,
    connectClose: connectCloseFigures,
    subscribeUnsubscribe: subscribeFigures,
    streamSubscriptions: streamFigures,
    resourcesAbove: left,
    resourcesAtEnd: process.getActiveResourcesInfo(),
    serverConnections,
    errors: errors.slice(0, 20),
  };
});
