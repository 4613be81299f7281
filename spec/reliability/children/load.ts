/**
 * Many concurrent connections from one process, each receiving a stream, through reconnection storms (the server,
 * in another process, drops every client at once). Run with `--expose-gc`; prints one JSON line and must then
 * exit by itself.
 */
import type { Subscription } from 'rxjs';
import {
  exponentialBackoff,
  fromWebSocket,
  TransportError,
  type CloseInfo,
  type ReactiveWebSocket,
} from '../../../lib/index';
import { Changes } from '../../helpers/wait';
import {
  activeResources,
  forkServer,
  openFileLimit,
  readArgs,
  resourcesSettled,
  run,
  settledHeap,
  type HeapFigures,
  type ServerProcess,
} from './common';

export interface LoadArgs {
  readonly connections: number;
  /** Storms, alternating sockets destroyed (1006) and a 1001 close, starting with the former. */
  readonly storms: number;
  /** The server sends every client a tick this often. */
  readonly streamIntervalMs: number;
  /** The reconnection backoff: full jitter over [0, firstRetryMaxMs) for the first retry, doubling up to 4×. */
  readonly firstRetryMaxMs: number;
  /** Bound on each wait (all open, all back after a storm). */
  readonly stepTimeoutMs: number;
}

export interface StormFigures {
  readonly how: 'terminate' | 'going-away';
  readonly dropped: number;
  /** From the drop until every client was open again. */
  readonly allBackMs: number;
  /** The most first attempts after the drop that started within one 100 ms window, as a share of the clients (the backoff's spread). */
  readonly peakAttemptsPer100Ms: number;
  /** The most reconnections that completed within one 100 ms window, as a share of the clients (the server's pace too). */
  readonly peakOpensPer100Ms: number;
  /** The longest close-to-open time of any client. */
  readonly slowestMs: number;
  /** Attempts that failed on the way back (the server stays up, so a failure means it could not keep up). */
  readonly failedAttempts: number;
}

export interface LoadFigures {
  readonly connections: number;
  readonly openFileLimit: number | undefined;
  /** From creating the sockets until all were open. */
  readonly allOpenMs: number;
  /** Client-side memory per open connection: heap (without code) and external, after GC; and RSS. */
  readonly heapBytesPerConnection: number;
  readonly externalBytesPerConnection: number;
  readonly rssBytesPerConnection: number;
  readonly storms: StormFigures[];
  readonly messagesReceived: number;
  /** Ticks a client got twice or out of order (must be 0). */
  readonly disorder: number;
  readonly closeCodes: Record<string, number>;
  /** Errors on error$ other than transport errors from the drops, and errors of message$ (must be none). */
  readonly unexpectedErrors: string[];
  readonly transportErrors: number;
  /** After closing every client: heap growth from before they were created, and handles left above the start. */
  readonly heapGrowthAfterCloseBytes: number;
  readonly resourcesAbove: Record<string, number>;
  readonly serverConnections: number;
}

run(async (): Promise<LoadFigures> => {
  const args = readArgs<LoadArgs>();
  const limit = openFileLimit();
  // One descriptor per client socket, plus the runtime's own.
  const needed = args.connections + 64;
  if (limit !== undefined && limit < needed) {
    throw new Error(
      `the open-file limit is ${limit}, below the ${needed} that ${args.connections} connections need: raise it (ulimit -n)`,
    );
  }
  const startResources = activeResources();
  const server = await forkServer();
  // A small round first, through both kinds of storm, so that the measured round does not count the code paths
  // it runs for the first time (bytecode and feedback live in the heap too) as memory per connection.
  await clientRound(server, { ...args, connections: Math.min(args.connections, 50), storms: 2 }, undefined);
  const before = await settledHeap();
  const figures = await clientRound(server, args, before);
  const serverConnections = await server.exit();
  const after = await settledHeap();
  const left = await resourcesSettled(startResources, 2_000);
  return {
    ...figures,
    openFileLimit: limit,
    heapGrowthAfterCloseBytes: after.heapBytes - before.heapBytes,
    resourcesAbove: left,
    serverConnections,
  };
});

type RoundFigures = Omit<
  LoadFigures,
  'openFileLimit' | 'heapGrowthAfterCloseBytes' | 'resourcesAbove' | 'serverConnections'
>;

/** Opens `connections` clients, streams to them, runs the storms, closes them all. */
async function clientRound(
  server: ServerProcess,
  args: LoadArgs,
  before: HeapFigures | undefined,
): Promise<RoundFigures> {
  const changes = new Changes();

  const backoff = exponentialBackoff({
    initialDelayMs: args.firstRetryMaxMs,
    maxDelayMs: args.firstRetryMaxMs * 4,
    jitter: 'full',
  });
  const closeCodes: Record<string, number> = {};
  const unexpectedErrors: string[] = [];
  let transportErrors = 0;
  let messagesReceived = 0;
  let disorder = 0;
  interface Client {
    readonly socket: ReactiveWebSocket<string, string>;
    opens: number;
    openedAt: number;
    closedAt: number;
    failedAttempts: number;
    /** When the first attempt after the last close started. */
    firstAttemptAt: number;
    last: number;
    /** Whether a tick arrived since the last `expectTicks()`. */
    ticked: boolean;
  }
  let ticked = 0;
  /** From now on, count the clients that receive a tick; `ticked` reaches the number of clients when all have. */
  const expectTicks = (): void => {
    ticked = 0;
    for (const c of clients) c.ticked = false;
  };
  const clients: Client[] = [];
  const subscriptions: Subscription[] = [];
  let open = 0;
  const created = performance.now();
  for (let i = 0; i < args.connections; i++) {
    const socket = fromWebSocket<string, string>(server.url, { reconnect: { backoff } });
    const client: Client = {
      socket,
      opens: 0,
      openedAt: 0,
      closedAt: 0,
      failedAttempts: 0,
      firstAttemptAt: 0,
      last: -1,
      ticked: true,
    };
    clients.push(client);
    subscriptions.push(
      socket.message$.subscribe({
        next: (data) => {
          messagesReceived++;
          const tick = Number(data);
          if (tick <= client.last) disorder++;
          client.last = tick;
          if (!client.ticked) {
            client.ticked = true;
            if (++ticked === clients.length) changes.notify();
          }
        },
        error: (error: unknown) => unexpectedErrors.push(`message$: ${String(error)}`),
      }),
      socket.open$.subscribe(() => {
        client.opens++;
        client.openedAt = performance.now();
        open++;
        changes.notify();
      }),
      socket.close$.subscribe((close: CloseInfo) => {
        closeCodes[close.code] = (closeCodes[close.code] ?? 0) + 1;
        if (client.openedAt > client.closedAt) {
          open--;
          client.closedAt = performance.now();
          if (open === 0) changes.notify();
        } else client.failedAttempts++;
      }),
      socket.state$.subscribe((state) => {
        if (state.status === 'connecting' && client.firstAttemptAt <= client.closedAt)
          client.firstAttemptAt = performance.now();
      }),
      socket.error$.subscribe((error) => {
        if (error instanceof TransportError) transportErrors++;
        else unexpectedErrors.push(`error$: ${String(error)}`);
      }),
    );
  }
  await changes.until(() => open === args.connections, args.stepTimeoutMs, `${args.connections} connections to open`);
  const allOpenMs = performance.now() - created;
  expectTicks();
  server.command({ type: 'stream', intervalMs: args.streamIntervalMs });
  // Everyone has had some of the stream before memory is measured.
  await changes.until(() => ticked === clients.length, args.stepTimeoutMs, 'every client to receive a tick');
  const loaded = before === undefined ? undefined : await settledHeap();

  const storms: StormFigures[] = [];
  for (let storm = 0; storm < args.storms; storm++) {
    const how = storm % 2 === 0 ? 'terminate' : 'going-away';
    const opensBefore = clients.map((c) => c.opens);
    const failedBefore = clients.reduce((sum, c) => sum + c.failedAttempts, 0);
    const dropped = server.reply('dropped');
    const dropAt = performance.now();
    server.command({ type: 'drop', how });
    const { count } = await dropped;
    await changes.until(
      () => clients.every((c, i) => c.opens > (opensBefore[i] as number) && c.openedAt > c.closedAt),
      args.stepTimeoutMs,
      `every client back after storm ${storm + 1}`,
    );
    const allBackMs = performance.now() - dropAt;
    const peakShare = (times: number[]): number => {
      const windows = new Map<number, number>();
      for (const t of times) {
        const w = Math.floor((t - dropAt) / 100);
        windows.set(w, (windows.get(w) ?? 0) + 1);
      }
      return Math.max(...windows.values()) / clients.length;
    };
    storms.push({
      how,
      dropped: count,
      allBackMs: Math.round(allBackMs),
      peakAttemptsPer100Ms: peakShare(clients.map((c) => c.firstAttemptAt)),
      peakOpensPer100Ms: peakShare(clients.map((c) => c.openedAt)),
      slowestMs: Math.round(Math.max(...clients.map((c) => c.openedAt - c.closedAt))),
      failedAttempts: clients.reduce((sum, c) => sum + c.failedAttempts, 0) - failedBefore,
    });
    // The stream reaches every client again before the next storm.
    expectTicks();
    await changes.until(() => ticked === clients.length, args.stepTimeoutMs, `ticks after storm ${storm + 1}`);
  }

  for (const c of clients) c.socket.close();
  await changes.until(() => open === 0, args.stepTimeoutMs, 'every client to close');
  for (const s of subscriptions) s.unsubscribe();
  server.command({ type: 'stream', intervalMs: 0 });
  const n = args.connections;
  return {
    connections: n,
    allOpenMs: Math.round(allOpenMs),
    heapBytesPerConnection: loaded && before ? Math.round((loaded.heapBytes - before.heapBytes) / n) : NaN,
    externalBytesPerConnection: loaded && before ? Math.round((loaded.externalBytes - before.externalBytes) / n) : NaN,
    rssBytesPerConnection: loaded && before ? Math.round((loaded.rssBytes - before.rssBytes) / n) : NaN,
    storms,
    messagesReceived,
    disorder,
    closeCodes,
    unexpectedErrors: unexpectedErrors.slice(0, 20),
    transportErrors,
  };
}
