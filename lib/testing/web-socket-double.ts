import { asyncScheduler, Subject, Subscription, type Observable, type SchedulerLike } from 'rxjs';
import { InvalidOptionError } from '../core/errors';
import { createConnection, type ConnectionDouble, type OpenOptions, type RefuseOptions } from './connection-double';
import type { ServerAction } from './server-action';
import { socketDoubleClass, type SocketDoubleConstructor } from './socket-double';

/** Options of {@link createWebSocketDouble}. */
export interface WebSocketDoubleOptions {
  /**
   * Where every event is scheduled and what `now()` the records use. `TestScheduler.run` virtualizes the default,
   * so inside `run` the double follows virtual time with no setup.
   * @default asyncScheduler
   */
  readonly scheduler?: SchedulerLike;
  /**
   * Open every new connection by itself, `handshakeDelayMs` after it is constructed; an object says what the
   * server selects. Do not also script an `open` then.
   * @default false
   */
  readonly autoOpen?: boolean | OpenOptions;
  /**
   * Refuse every new connection by itself, `handshakeDelayMs` after it is constructed; an object says how.
   * Cannot be combined with `autoOpen`.
   * @default false
   */
  readonly autoRefuse?: boolean | RefuseOptions;
  /**
   * How long `autoOpen` and `autoRefuse` take to answer.
   * @default 0
   */
  readonly handshakeDelayMs?: number;
  /**
   * How long the server takes to answer a client's `close()`, completing the closing handshake.
   * @default 0
   */
  readonly closeDelayMs?: number;
  /**
   * Leave every closing handshake the client starts pending (the socket stays CLOSING) until the spec calls
   * `close()` or `drop()` on the connection.
   * @default false
   */
  readonly holdClose?: boolean;
}

/** One construction of a socket, as plain data for assertions. */
export interface ConnectionAttempt {
  /** The URL as the socket reports it. */
  readonly url: string;
  /** The sub-protocols offered. */
  readonly protocols: readonly string[];
  /** The scheduler's `now()` at the construction. */
  readonly time: number;
}

/** A script for each new connection: actions to play on it, or nothing to leave it alone. */
export type ConnectionScript<In, Out> = (
  connection: ConnectionDouble<In, Out>,
) => Observable<ServerAction<In>> | undefined;

/**
 * A WebSocket server for specs, in virtual time: hand its {@link WebSocketServerDouble.WebSocketCtor} to the code
 * under test, then script and inspect each connection from the server side.
 *
 * @typeParam In - what clients receive (typed {@link ConnectionDouble.messageJson} and `{ json }` actions)
 * @typeParam Out - what clients send (typed {@link ConnectionDouble.sentJson})
 */
export interface WebSocketServerDouble<In = unknown, Out = unknown> {
  /** The constructor to pass as `fromWebSocket(url, { WebSocketCtor })`. Every socket it builds belongs to this server. */
  readonly WebSocketCtor: SocketDoubleConstructor;
  /** The scheduler every event goes through. */
  readonly scheduler: SchedulerLike;
  /** Every connection so far, oldest first. */
  readonly connections: readonly ConnectionDouble<In, Out>[];
  /** Every construction so far, oldest first, as plain data: `expect(server.attempts.map((a) => a.time)).toEqual([0, 1000])`. */
  readonly attempts: readonly ConnectionAttempt[];
  /** The newest connection. Throws when there is none yet, saying so. */
  readonly latest: ConnectionDouble<In, Out>;
  /** The connection with this index (0 for the first). Throws when there is none, saying how many there are. */
  connection(index: number): ConnectionDouble<In, Out>;
  /** Each new connection, as it is constructed (hot: the ones before subscribing are in `connections`). */
  readonly connection$: Observable<ConnectionDouble<In, Out>>;
  /**
   * Plays a script on every connection constructed from now on, e.g. `server.script(cold('-o--x', { o: 'open', x: 'drop' }))`.
   * A cold Observable starts again for each connection, so its frames count from the connection's construction;
   * a hot one is the server's own timeline, acting on whichever connection is alive. A function picks a script per
   * connection (`(c) => (c.index === 0 ? cold('-o--x', actions) : cold('-o', actions))`). A script stops when its
   * connection closes; unsubscribe the result to stop every one of them and leave later connections alone.
   */
  script(script: Observable<ServerAction<In>> | ConnectionScript<In, Out>): Subscription;
}

/**
 * Creates a {@link WebSocketServerDouble}.
 *
 * @example
 * testScheduler.run(({ cold, expectObservable }) => {
 *   const server = createWebSocketDouble<string>();
 *   server.script(cold('-o-a-b', { o: 'open', a: { message: 'a' }, b: { message: 'b' } }));
 *   const socket = fromWebSocket('wss://feed.example/ws', { WebSocketCtor: server.WebSocketCtor });
 *   expectObservable(socket.message$).toBe('---a-b');
 * });
 */
export function createWebSocketDouble<In = unknown, Out = unknown>(
  options: WebSocketDoubleOptions = {},
): WebSocketServerDouble<In, Out> {
  const {
    scheduler = asyncScheduler,
    autoOpen = false,
    autoRefuse = false,
    handshakeDelayMs = 0,
    closeDelayMs = 0,
    holdClose = false,
  } = options;
  assertDelay('handshakeDelayMs', handshakeDelayMs);
  assertDelay('closeDelayMs', closeDelayMs);
  if (autoOpen !== false && autoRefuse !== false) {
    throw new InvalidOptionError('autoRefuse', autoRefuse, 'autoOpen and autoRefuse cannot both be on');
  }

  const connections: ConnectionDouble<In, Out>[] = [];
  const attempts: ConnectionAttempt[] = [];
  const scripts = new Set<{
    readonly script: Observable<ServerAction<In>> | ConnectionScript<In, Out>;
    readonly plays: Subscription;
  }>();
  const created = new Subject<ConnectionDouble<In, Out>>();

  const WebSocketCtor = socketDoubleClass((control, socketOptions) => {
    const { connection, wire } = createConnection<In, Out>(control, socketOptions, {
      index: connections.length,
      scheduler,
      closeDelayMs,
      holdClose,
    });
    connections.push(connection);
    attempts.push(Object.freeze({ url: connection.url, protocols: connection.protocols, time: connection.createdAt }));
    if (autoOpen !== false) {
      scheduler.schedule(() => connection.open(autoOpen === true ? undefined : autoOpen), handshakeDelayMs);
    } else if (autoRefuse !== false) {
      scheduler.schedule(() => connection.refuse(autoRefuse === true ? undefined : autoRefuse), handshakeDelayMs);
    }
    for (const { script, plays } of scripts) {
      const actions$ = typeof script === 'function' ? script(connection) : script;
      if (actions$) plays.add(connection.play(actions$));
    }
    created.next(connection);
    return wire;
  });

  const connectionAt = (index: number): ConnectionDouble<In, Out> => {
    const connection = connections[index];
    if (connection) return connection;
    const made =
      connections.length === 0
        ? 'none has been made yet'
        : `only ${connections.length} (0-${connections.length - 1}) so far`;
    throw new RangeError(`no connection #${index}: ${made}`);
  };

  return {
    WebSocketCtor,
    scheduler,
    connections,
    attempts,
    get latest() {
      if (connections.length === 0) throw new RangeError('server.latest: no connection has been made yet');
      return connectionAt(connections.length - 1);
    },
    connection: connectionAt,
    connection$: created.asObservable(),
    script(script) {
      const entry = { script, plays: new Subscription() };
      scripts.add(entry);
      entry.plays.add(() => scripts.delete(entry));
      return entry.plays;
    },
  };
}

function assertDelay(name: string, value: unknown): void {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
    throw new InvalidOptionError(name, value, 'a finite number of milliseconds ≥ 0');
  }
}
