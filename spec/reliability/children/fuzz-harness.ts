/**
 * What the fuzz children share: a loop over cases drawn by fast-check from a printed seed, a real `ws` server on
 * 127.0.0.1 (port 0) in the child's own process, the process-wide invariants checked around every case (no uncaught
 * exception or unhandled rejection, every socket and timer gone after the last unsubscribe), and the values an
 * application's callback may throw.
 *
 * Every case is run, not only up to the first failure, so that one run reports every kind of violation it meets;
 * each comes with its case number, and `{ seed, runs, only: case }` replays that one case alone.
 */
import fc from 'fast-check';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { WebSocketServer, type ServerOptions, type WebSocket } from 'ws';
import { RxWebSocketError } from '../../../lib/index';
import { Changes } from '../../helpers/wait';
import { activeResources, readArgs, resourcesSettled, run } from './common';

export interface FuzzArgs {
  readonly seed: number;
  readonly runs: number;
  /** Run only this case (its number in the sequence the seed draws). */
  readonly only?: number;
  /** Stop drawing new cases after this long (the cases run so far are reported). */
  readonly budgetMs: number;
}

export interface Violation {
  readonly case: number;
  readonly invariant: string;
  readonly detail: string;
}

export interface FuzzFigures {
  readonly property: string;
  readonly seed: number;
  readonly runs: number;
  /** Cases run (fewer than `runs` when the time budget ran out). */
  readonly ran: number;
  readonly violations: Violation[];
  /** The inputs of the cases that broke an invariant, by case number, as JSON. */
  readonly inputs: Record<number, string>;
  /** Uncaught exceptions and unhandled rejections outside any case, and handles left once the server closed. */
  readonly processLevel: string[];
  readonly ms: number;
}

/** What a case sees of the server: every connection, what it received, and a way to act on it. */
export interface FuzzServer {
  readonly url: string;
  readonly port: number;
  readonly wss: WebSocketServer;
  readonly connections: ServerConnection[];
  readonly changes: Changes;
  /** Connections still open (server side). */
  open(): number;
  /** What each new connection does first (replaced per case). */
  onConnection: (connection: ServerConnection) => void;
  /** What each message does (replaced per case). */
  onMessage: (connection: ServerConnection, data: Buffer, isBinary: boolean) => void;
}

export interface ServerConnection {
  readonly index: number;
  readonly socket: WebSocket;
  readonly protocol: string;
  readonly received: { data: Buffer; isBinary: boolean }[];
  readonly pings: number;
  closed: boolean;
}

/** One case's recorder of broken invariants. */
export interface CaseContext {
  readonly index: number;
  readonly server: FuzzServer;
  violate(invariant: string, detail: string): void;
  /** Uncaught exceptions and unhandled rejections so far in this case. */
  readonly uncaught: string[];
}

let current: string[] | undefined;
const outside: string[] = [];
process.on('uncaughtException', (error) => (current ?? outside).push(`uncaught ${describe(error)}`));
process.on('unhandledRejection', (reason) => (current ?? outside).push(`unhandled rejection ${describe(reason)}`));
// Node's warnings are recorded instead of printed: a TimeoutOverflowWarning means a timer was given more than
// 2^31 - 1 ms and fires after 1 ms instead.
process.removeAllListeners('warning');
const warnings: string[] = [];
process.on('warning', (warning) => warnings.push(`${warning.name}: ${warning.message.split('\n')[0]}`));

/**
 * Runs `check` on `runs` cases drawn from `arbitrary` with `seed`, each against the same server (its handlers reset
 * per case), checking after each that nothing escaped and that no socket or timer is left; prints the figures.
 */
export function fuzz<T>(
  property: string,
  arbitrary: fc.Arbitrary<T>,
  check: (input: T, context: CaseContext) => Promise<void>,
  serverOptions: ServerOptions = {},
): void {
  run(async (): Promise<FuzzFigures> => {
    const started = performance.now();
    const args = readArgs<FuzzArgs>();
    const beforeServer = activeResources();
    const server = await startFuzzServer(serverOptions);
    const baseline = activeResources();
    const inputs = fc.sample(arbitrary, {
      seed: args.seed,
      numRuns: args.only === undefined ? args.runs : args.only + 1,
    });
    const violations: Violation[] = [];
    const inputsOf: Record<number, string> = {};
    let ran = 0;
    for (const [index, input] of inputs.entries()) {
      if (args.only !== undefined && index !== args.only) continue;
      if (args.only === undefined && performance.now() - started > args.budgetMs) break;
      ran++;
      const uncaught: string[] = [];
      current = uncaught;
      const found: Violation[] = [];
      const repeats = new Map<number, number>();
      const context: CaseContext = {
        index,
        server,
        uncaught,
        violate: (invariant, detail) => {
          // One entry per invariant and case: the first detail, and how often it broke.
          const same = found.findIndex((v) => v.invariant === invariant);
          if (same < 0) found.push({ case: index, invariant, detail });
          else repeats.set(same, (repeats.get(same) ?? 0) + 1);
        },
      };
      server.onConnection = () => undefined;
      server.onMessage = () => undefined;
      try {
        await check(input, context);
      } catch (error) {
        context.violate('no call into the library throws to the application', describe(error));
      }
      // Every case ends with nothing held: every socket (both ends) and every timer closes by itself.
      const left = await settled(server, baseline, 2_000);
      if (left) context.violate('nothing is left after the last unsubscribe', left);
      // RxJS reports what a subscriber throws on a zero-delay timer; let those arrive within this case.
      await ticks();
      current = undefined;
      for (const warning of new Set(warnings.splice(0)))
        context.violate('no timer is given more than 2^31 - 1 ms', warning);
      for (const message of uncaught) context.violate('no uncaught exception or unhandled rejection', message);
      if (found.length > 0) {
        violations.push(
          ...found.map((v, i) => (repeats.has(i) ? { ...v, detail: `${v.detail} (and ${repeats.get(i)} more)` } : v)),
        );
        inputsOf[index] = show(input);
      }
      // A case that left a connection open must not spill into the next one.
      for (const connection of server.connections) if (!connection.closed) connection.socket.terminate();
      server.connections.length = 0;
    }
    for (const client of server.wss.clients) client.terminate();
    await new Promise<void>((resolve) => server.wss.close(() => resolve()));
    const processLevel = [...outside];
    const left = await resourcesSettled(beforeServer, 2_000);
    if (Object.keys(left).length > 0) processLevel.push(`left after the server closed: ${JSON.stringify(left)}`);
    return {
      property,
      seed: args.seed,
      runs: args.runs,
      ran,
      violations,
      inputs: inputsOf,
      processLevel,
      ms: Math.round(performance.now() - started),
    };
  });
}

async function startFuzzServer(options: ServerOptions): Promise<FuzzServer> {
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0, ...options });
  await once(wss, 'listening');
  const { port } = wss.address() as AddressInfo;
  const changes = new Changes();
  const server: FuzzServer = {
    url: `ws://127.0.0.1:${port}`,
    port,
    wss,
    connections: [],
    changes,
    open: () => server.connections.filter((c) => !c.closed).length,
    onConnection: () => undefined,
    onMessage: () => undefined,
  };
  wss.on('connection', (socket) => {
    const connection = {
      index: server.connections.length,
      socket,
      protocol: socket.protocol,
      received: [] as { data: Buffer; isBinary: boolean }[],
      pings: 0,
      closed: false,
    };
    server.connections.push(connection);
    socket.on('message', (data, isBinary) => {
      const bytes = Buffer.isBuffer(data) ? data : Buffer.concat(data as Buffer[]);
      connection.received.push({ data: bytes, isBinary });
      server.onMessage(connection, bytes, isBinary);
      changes.notify();
    });
    socket.on('ping', () => {
      connection.pings++;
      changes.notify();
    });
    socket.on('close', () => {
      connection.closed = true;
      changes.notify();
    });
    socket.on('error', () => undefined);
    server.onConnection(connection);
    changes.notify();
  });
  return server;
}

/** Waits (bounded) for every server connection to close and the handles to come back to `baseline`; what is left. */
async function settled(server: FuzzServer, baseline: Record<string, number>, ms: number): Promise<string | undefined> {
  await server.changes.until(() => server.open() === 0, ms, 'every connection to close').catch(() => undefined);
  const open = server.open();
  const left = await resourcesSettled(baseline, open === 0 ? ms : 50);
  if (open === 0 && Object.keys(left).length === 0) return undefined;
  return `${open} server connection(s) still open; handles above the baseline: ${JSON.stringify(left)}`;
}

/** A few turns of the event loop, timers included. */
export async function ticks(count = 3): Promise<void> {
  for (let i = 0; i < count; i++) {
    await new Promise((resolve) => setTimeout(resolve, 0));
    await new Promise((resolve) => setImmediate(resolve));
  }
}

/** Resolves after `ms`: an observation window (how long something must NOT happen), never a wait for an event. */
export function window(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

// What an application's callback may throw.

export const THROWN_KINDS = [
  'Error',
  'TypeError',
  'error with a code',
  'string',
  'undefined',
  'null',
  'number',
  'symbol',
  'object without a prototype',
  'object with throwing getters',
  'proxy that throws on every read',
  'one of our own errors',
] as const;
export type ThrownKind = (typeof THROWN_KINDS)[number];

/** A secret that a thrown value's text carries: no error message or stack of the library may repeat it. */
export const SECRET = 'S3CRET-7f1c';

class FakeLibraryError extends RxWebSocketError {
  readonly code = 'ERR_CALLBACK' as const;
}

/** A fresh value of `kind` (objects are new each time, so that a report can be matched to its throw). */
export function makeThrown(kind: ThrownKind): unknown {
  switch (kind) {
    case 'Error':
      return new Error(`broken ${SECRET}`);
    case 'TypeError':
      return new TypeError(`cannot read ${SECRET}`);
    case 'error with a code':
      return Object.assign(new Error(`request failed ${SECRET}`), { code: 'ERR_BAD_REQUEST' });
    case 'string':
      return `thrown ${SECRET}`;
    case 'undefined':
      return undefined;
    case 'null':
      return null;
    case 'number':
      return 42;
    case 'symbol':
      return Symbol(SECRET);
    case 'object without a prototype':
      return Object.create(null) as object;
    case 'object with throwing getters': {
      const trap = (): never => {
        throw new Error(`getter ${SECRET}`);
      };
      return Object.defineProperties(
        {},
        Object.fromEntries(
          ['name', 'message', 'stack', 'code', 'cause', 'constructor', 'toString', 'valueOf', 'then'].map((key) => [
            key,
            { get: trap, enumerable: false },
          ]),
        ),
      );
    }
    case 'proxy that throws on every read':
      return new Proxy(
        {},
        {
          get: () => {
            throw new Error(`proxy ${SECRET}`);
          },
        },
      );
    case 'one of our own errors':
      // An application that rethrows an error it got from this library (or a class extending it).
      return new FakeLibraryError(`rethrown ${SECRET}`);
  }
}

export const thrownKind = (): fc.Arbitrary<ThrownKind> => fc.constantFrom(...THROWN_KINDS);

/** When a callback throws, by the number of its call (from 1). */
export type Schedule = 'never' | 'always' | { readonly nth: number } | { readonly from: number };

export const schedule = (weightNever = 3): fc.Arbitrary<Schedule> =>
  fc.oneof(
    { arbitrary: fc.constant('never' as const), weight: weightNever },
    { arbitrary: fc.constant('always' as const), weight: 1 },
    { arbitrary: fc.record({ nth: fc.integer({ min: 1, max: 3 }) }), weight: 2 },
    { arbitrary: fc.record({ from: fc.integer({ min: 2, max: 3 }) }), weight: 1 },
  );

export function throwsOn(when: Schedule, call: number): boolean {
  if (when === 'never') return false;
  if (when === 'always') return true;
  return 'nth' in when ? call === when.nth : call >= when.from;
}

/** Every throw of the application's callbacks, by hook, to match against what was reported. */
export class Throws {
  readonly log: { hook: string; value: unknown }[] = [];
  readonly calls: Record<string, number> = {};

  /**
   * `fn` as the hook `hook`: counts its calls and, on the calls `when` says, throws a fresh value of `kind` instead
   * of calling it.
   */
  wrap<A extends unknown[], R>(
    hook: string,
    when: Schedule,
    kind: ThrownKind,
    fn: (...args: A) => R,
  ): (...args: A) => R {
    return (...args: A): R => {
      const call = (this.calls[hook] = (this.calls[hook] ?? 0) + 1);
      if (throwsOn(when, call)) {
        const value = makeThrown(kind);
        this.log.push({ hook, value });
        throw value;
      }
      return fn(...args);
    };
  }

  /** A fresh value of `kind`, logged as thrown by `hook` (for providers that reject rather than throw). */
  thrown(hook: string, kind: ThrownKind): unknown {
    const value = makeThrown(kind);
    this.log.push({ hook, value });
    return value;
  }

  hooksThatThrew(): string[] {
    return [...new Set(this.log.map((entry) => entry.hook))];
  }
}

/** The causes of `error`, itself first (bounded, and safe against throwing getters). */
export function causeChain(error: unknown): unknown[] {
  const chain: unknown[] = [error];
  let at = error;
  for (let depth = 0; depth < 4; depth++) {
    if (!(at instanceof Error)) break;
    const descriptor = Object.getOwnPropertyDescriptor(at, 'cause');
    if (!descriptor || !('value' in descriptor)) break;
    at = descriptor.value;
    chain.push(at);
  }
  return chain;
}

/** Checks what an application can see of the library's errors: typed, and free of the secrets it was given. */
export function checkReported(
  context: CaseContext,
  where: string,
  errors: readonly unknown[],
  secrets: string[],
): void {
  for (const error of errors) {
    if (!(error instanceof RxWebSocketError)) {
      context.violate(`${where} carries only RxWebSocketError instances`, `got ${describe(error)}`);
      continue;
    }
    const text = `${safe(() => error.message)}\n${safe(() => error.stack ?? '')}`;
    for (const secret of secrets)
      if (text.includes(secret))
        context.violate(
          'error messages never repeat a thrown value, a payload or a URL secret',
          `${error.name} (${error.code}) message: ${JSON.stringify(safe(() => error.message))}`,
        );
  }
}

/** Whether some error in `reports` has `value` in its cause chain (as itself or a cause). */
export function isReported(value: unknown, reports: readonly unknown[]): boolean {
  return reports.some((report) => causeChain(report).some((cause) => Object.is(cause, value)));
}

function safe(read: () => string): string {
  try {
    return read();
  } catch {
    return '(unreadable)';
  }
}

/** A value, described without calling anything it defines (it may throw, or be a secret). */
export function describe(value: unknown): string {
  if (value instanceof Error) {
    const name = safe(() => String(value.name));
    const code = safe(() => {
      const raw = (value as { code?: unknown }).code;
      return typeof raw === 'string' || typeof raw === 'number' ? String(raw) : '';
    });
    const message = safe(() => value.message).slice(0, 300);
    const stack = safe(() => value.stack ?? '')
      .split('\n')
      .slice(1, 6)
      .map((line) => line.trim())
      .join(' < ');
    return `${name}${code ? ` [${code}]` : ''}: ${message}${stack ? ` @ ${stack}` : ''}`;
  }
  if (typeof value === 'symbol') return 'a symbol';
  if (typeof value === 'string') return JSON.stringify(value.slice(0, 200));
  if (typeof value !== 'object' || value === null) return String(value);
  return safe(() => Object.prototype.toString.call(value));
}

/** A case's input as JSON (buffers and thrown values by kind). */
export function show(input: unknown): string {
  return JSON.stringify(input, (_key, value: unknown) =>
    value instanceof Uint8Array ? `<${value.length} bytes>` : typeof value === 'bigint' ? String(value) : value,
  );
}
