/** What the measuring child processes share: a server in another process, a settled heap, open handles. */
import { fork, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { getHeapSpaceStatistics } from 'node:v8';
import type { ServerCommand, ServerReply } from './load-server';

export interface ServerProcess {
  readonly port: number;
  readonly url: string;
  command(command: ServerCommand): void;
  /** The next reply of `type`. */
  reply<T extends ServerReply['type']>(type: T): Promise<Extract<ServerReply, { type: T }>>;
  /** Asks it to exit and resolves once it has, with how many connections it accepted in all. */
  exit(): Promise<number>;
}

export async function forkServer(): Promise<ServerProcess> {
  const child: ChildProcess = fork(join(__dirname, 'load-server.ts'), [], {
    execArgv: ['--import', 'tsx'],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const exited = once(child, 'close');
  const reply = <T extends ServerReply['type']>(type: T): Promise<Extract<ServerReply, { type: T }>> =>
    new Promise((resolve, reject) => {
      const onMessage = (message: ServerReply): void => {
        if (message.type !== type) return;
        child.off('message', onMessage);
        child.off('exit', onExit);
        resolve(message as Extract<ServerReply, { type: T }>);
      };
      const onExit = (): void => reject(new Error(`the server process exited while waiting for '${type}'`));
      child.on('message', onMessage);
      child.once('exit', onExit);
    });
  const { port } = await reply('ready');
  return {
    port,
    url: `ws://127.0.0.1:${port}`,
    command: (command) => void child.send(command),
    reply,
    async exit() {
      const stats = reply('stats');
      child.send({ type: 'exit' } satisfies ServerCommand);
      const { connections } = await stats;
      await exited;
      return connections;
    },
  };
}

declare const gc: (() => void) | undefined;

export interface HeapFigures {
  /** V8 heap in use, without the code space (which grows as the JIT compiles, whatever the program keeps). */
  readonly heapBytes: number;
  /** Memory of Buffers and ArrayBuffers outside the V8 heap. */
  readonly externalBytes: number;
  readonly rssBytes: number;
}

/** Collects garbage until the heap stops shrinking (bounded), letting finalizers and pending callbacks run between. */
export async function settledHeap(): Promise<HeapFigures> {
  if (typeof gc !== 'function') throw new Error('run this child with --expose-gc');
  let previous = Infinity;
  for (let round = 0; round < 8; round++) {
    gc();
    await new Promise((resolve) => setImmediate(resolve));
    const used = heapWithoutCode();
    if (used >= previous - 1024) break;
    previous = used;
  }
  const memory = process.memoryUsage();
  return { heapBytes: heapWithoutCode(), externalBytes: memory.external, rssBytes: memory.rss };
}

/**
 * The lowest of three settled readings, for a checkpoint of a fit: now and then one reading comes out 100–200 KB high,
 * what the last cycles left that a later turn of the event loop frees, and two such readings among eight move a
 * median slope by several bytes a cycle.
 */
export async function lowestSettledHeap(): Promise<number> {
  let lowest = Infinity;
  for (let reading = 0; reading < 3; reading++) lowest = Math.min(lowest, (await settledHeap()).heapBytes);
  return lowest;
}

function heapWithoutCode(): number {
  return getHeapSpaceStatistics()
    .filter((space) => space.space_name !== 'code_space' && space.space_name !== 'code_large_object_space')
    .reduce((sum, space) => sum + space.space_used_size, 0);
}

/** Open handles and requests by type, e.g. `{ TCPSocketWrap: 2, Timeout: 1 }`. */
export function activeResources(): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const type of process.getActiveResourcesInfo()) counts[type] = (counts[type] ?? 0) + 1;
  return counts;
}

/** The types of which `now` has more than `baseline`, with the surplus. */
export function resourcesAbove(baseline: Record<string, number>, now: Record<string, number>): Record<string, number> {
  const extra: Record<string, number> = {};
  for (const [type, count] of Object.entries(now)) {
    const surplus = count - (baseline[type] ?? 0);
    if (surplus > 0) extra[type] = surplus;
  }
  return extra;
}

/**
 * Waits (at most `ms`) for the open handles to come back down to `baseline`: handles close a loop iteration or
 * two after their last event. Returns what is still above it.
 */
export async function resourcesSettled(baseline: Record<string, number>, ms: number): Promise<Record<string, number>> {
  const until = performance.now() + ms;
  for (;;) {
    const extra = resourcesAbove(baseline, activeResources());
    if (Object.keys(extra).length === 0 || performance.now() > until) return extra;
    await new Promise((resolve) => setImmediate(resolve));
  }
}

/** The soft limit on open files of this process (Linux), or undefined where it cannot be read. */
export function openFileLimit(): number | undefined {
  try {
    const line = readFileSync('/proc/self/limits', 'utf8')
      .split('\n')
      .find((l) => l.startsWith('Max open files'));
    const soft = line?.split(/\s{2,}/)[1];
    return soft === undefined ? undefined : soft === 'unlimited' ? Infinity : Number(soft);
  } catch {
    return undefined;
  }
}

export function readArgs<T>(): T {
  return JSON.parse(process.argv[2] ?? '{}') as T;
}

/** The child's one result: a single JSON line on stdout. */
export function output(figures: object): void {
  process.stdout.write(`${JSON.stringify(figures)}\n`);
}

/**
 * Runs `main` and prints its figures; then the process must exit by itself. On failure it prints the error and
 * exits at once (whatever is still open: the server process notices the lost IPC channel and exits too).
 */
export function run(main: () => Promise<object>): void {
  main().then(output, (error: unknown) => {
    output({ error: error instanceof Error ? (error.stack ?? error.message) : String(error) });
    process.exit(1);
  });
}

/**
 * The Theil–Sen slope of `ys` over `xs`: the median of the slopes between every two points. A checkpoint that caught
 * something passing (a one-off buffer of a few hundred KiB, say) moves it little, where it would tilt a least-squares
 * line.
 */
export function medianSlope(xs: readonly number[], ys: readonly number[]): number {
  const slopes: number[] = [];
  for (let i = 0; i < xs.length; i++) {
    for (let j = i + 1; j < xs.length; j++) {
      slopes.push(((ys[j] as number) - (ys[i] as number)) / ((xs[j] as number) - (xs[i] as number)));
    }
  }
  slopes.sort((a, b) => a - b);
  const middle = slopes.length / 2;
  return Number.isInteger(middle)
    ? ((slopes[middle - 1] as number) + (slopes[middle] as number)) / 2
    : (slopes[Math.floor(middle)] as number);
}
