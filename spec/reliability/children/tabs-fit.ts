/**
 * Heap against connection count, for a socket shared across tabs (one tab, so that it leads and holds the real
 * socket): what one more connect/close cycle through the tab's relay leaves behind, in bytes, against the same cycles
 * of a socket that is not shared (what a cycle itself leaves). Run with `--expose-gc`; prints one JSON line and exits
 * by itself.
 */
import './interpreter-only';
import { filter, firstValueFrom, timeout } from 'rxjs';
import WebSocket from 'ws';
import {
  fromWebSocket,
  shareAcrossTabs,
  type BroadcastChannelLike,
  type LockManagerLike,
  type ReactiveWebSocket,
  type WebSocketConstructor,
} from '../../../lib/index';
import { forkServer, lowestSettledHeap, medianSlope, readArgs, run } from './common';

export interface TabsFitArgs {
  /** Cycles before the first checkpoint, so that lazy initialisation is not counted. */
  readonly warmup: number;
  readonly checkpoints: number;
  readonly cyclesPerCheckpoint: number;
  /** The whole run must end within this, or it fails. */
  readonly budgetMs: number;
}

export interface TabsFit {
  readonly counts: number[];
  readonly heapBytes: number[];
  /** The Theil–Sen slope from the second checkpoint on: bytes per cycle. */
  readonly bytesPerCycle: number;
}

export interface TabsFitFigures {
  /** A socket of its own. */
  readonly plain: TabsFit;
  /** A socket shared across tabs, in the tab that leads. */
  readonly shared: TabsFit;
  readonly serverConnections: number;
  readonly errors: string[];
}

/** The only tab of its origin: every lock is granted in a task of its own, and no other tab hears its messages. */
const locks: LockManagerLike = {
  request(name, callback) {
    setImmediate(() => void callback({ name }));
    return new Promise(() => undefined);
  },
};
class Alone implements BroadcastChannelLike {
  onmessage: ((event: { readonly data: unknown }) => void) | null = null;
  constructor(readonly name: string) {}
  postMessage(): void {}
}

run(async (): Promise<TabsFitFigures> => {
  const args = readArgs<TabsFitArgs>();
  const deadline = performance.now() + args.budgetMs;
  const server = await forkServer();
  const errors: string[] = [];
  const WebSocketCtor = WebSocket as unknown as WebSocketConstructor;
  const plain = fromWebSocket<unknown, never>(server.url, { WebSocketCtor, reconnect: false });
  const shared = fromWebSocket<unknown, never>(server.url, {
    WebSocketCtor,
    reconnect: false,
    tabs: shareAcrossTabs({
      name: 'fit',
      locks,
      BroadcastChannel: Alone,
      events: { addEventListener: () => undefined, removeEventListener: () => undefined },
    }),
  });
  for (const socket of [plain, shared]) socket.error$.subscribe((error) => errors.push(String(error)));

  const reach = (socket: ReactiveWebSocket<unknown, never>, status: 'open' | 'closed'): Promise<unknown> =>
    firstValueFrom(
      socket.state$.pipe(
        filter((state) => state.status === status),
        timeout(10_000),
      ),
    );
  /** `count` connect/close cycles of `socket`, one after another. */
  const cycle = async (socket: ReactiveWebSocket<unknown, never>, count: number): Promise<void> => {
    for (let i = 0; i < count; i++) {
      const opened = reach(socket, 'open');
      const subscription = socket.message$.subscribe({ error: (error: unknown) => errors.push(String(error)) });
      await opened;
      subscription.unsubscribe();
      await reach(socket, 'closed');
    }
    if (performance.now() > deadline) throw new Error(`the run took longer than its budget of ${args.budgetMs} ms`);
  };
  const measure = async (socket: ReactiveWebSocket<unknown, never>): Promise<TabsFit> => {
    await cycle(socket, args.warmup);
    const counts: number[] = [];
    const heapBytes: number[] = [];
    for (let point = 0; point <= args.checkpoints; point++) {
      if (point > 0) await cycle(socket, args.cyclesPerCheckpoint);
      counts.push(point * args.cyclesPerCheckpoint);
      heapBytes.push(await lowestSettledHeap());
    }
    return { counts, heapBytes, bytesPerCycle: medianSlope(counts.slice(1), heapBytes.slice(1)) };
  };

  const plainFit = await measure(plain);
  const sharedFit = await measure(shared);
  const serverConnections = await server.exit();
  return { plain: plainFit, shared: sharedFit, serverConnections, errors: errors.slice(0, 20) };
});
