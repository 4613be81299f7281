import { Subscription, type Unsubscribable } from 'rxjs';
import type { ConnectionDouble, SentFrame } from './connection-double';
import type { WebSocketServerDouble } from './web-socket-double';

/** Options of {@link answerRequests}. */
export interface AnswerRequestsOptions<In, Out> {
  /**
   * The request id of a message the client sent (each JSON frame, parsed), or `undefined` for a message that is not a
   * request. Frames that are not JSON are never requests.
   * @default the reference protocol's: a string `id` of a `{ "type": "request", "id": ... }` object
   */
  readonly requestId?: (message: Out) => string | undefined;
  /**
   * The reply to a request, sent as JSON; `undefined` leaves it unanswered (a server that is slow, or lost it).
   * @default the reference protocol's echo: `{ type: 'reply', id, data: message.data }`
   */
  readonly reply?: (message: Out, id: string, connection: ConnectionDouble<In, Out>) => In | undefined;
  /**
   * How long the server takes to answer, in (virtual) milliseconds. A reply due after its connection ended is lost.
   * @default 0 (in the frame the request was sent)
   */
  readonly delayMs?: number;
  /**
   * Answer a repeated id with the reply made for it the first time, without calling `reply` again, as a server with a
   * store of replies does (the reference server). `false` runs every copy.
   * @default true
   */
  readonly remember?: boolean;
}

/** One request the server double received. */
export interface ReceivedRequest {
  /** Its id. */
  readonly id: string;
  /** The index of the connection it came on. */
  readonly connection: number;
  /** The scheduler's `now()` when the client sent it. */
  readonly time: number;
  /** Whether it was answered from the stored reply of an earlier copy (`reply` not called). */
  readonly repeat: boolean;
}

/** What {@link answerRequests} returns: what it received, and how to stop it. */
export interface RequestAnswerer extends Unsubscribable {
  /** Every request received so far, in order. */
  readonly received: readonly ReceivedRequest[];
  /** How many times `reply` ran for this id: 1 for each request answered exactly once. */
  runs(id: string): number;
}

/**
 * Makes the server double answer requests, on every connection (those open now and those to come), so that code
 * using `request()` can be marble-tested: each JSON frame a client sends that `requestId` recognises is answered with
 * `reply(...)` after `delayMs`, a repeated id with the stored reply. Unsubscribe the result to stop answering.
 *
 * @example
 * testScheduler.run(({ cold, expectObservable }) => {
 *   const server = createWebSocketDouble<Reply, Request>({ autoOpen: true });
 *   answerRequests(server, { delayMs: 5, reply: (msg, id) => ({ type: 'reply', id, data: msg.data * 2 }) });
 *   const socket = fromWebSocket<Reply, Request>('wss://feed.example/ws', { ...json(), WebSocketCtor: server.WebSocketCtor });
 *   const reply$ = request(socket, (id) => ({ type: 'request', id, data: 21 }), { isReply: (msg, id) => msg.id === id });
 *   expectObservable(reply$).toBe('-----(r|)', { r: { type: 'reply', id: expect.any(String), data: 42 } });
 * });
 */
export function answerRequests<In, Out>(
  server: WebSocketServerDouble<In, Out>,
  options: AnswerRequestsOptions<In, Out> = {},
): RequestAnswerer {
  const {
    requestId = referenceRequestId,
    reply = referenceReply as (message: Out, id: string) => In | undefined,
    delayMs = 0,
    remember = true,
  } = options;
  if (typeof delayMs !== 'number' || !Number.isFinite(delayMs) || delayMs < 0) {
    throw new RangeError(`answerRequests(): delayMs must be a finite number of milliseconds ≥ 0, not ${delayMs}`);
  }
  const { scheduler } = server;
  const received: ReceivedRequest[] = [];
  const runs = new Map<string, number>();
  const stored = new Map<string, In>();
  const subscription = new Subscription();

  const answer = (connection: ConnectionDouble<In, Out>, { data, time }: SentFrame): void => {
    const message = parse(data) as Out | undefined;
    if (message === undefined) return;
    const id = requestId(message);
    if (id === undefined) return;
    const repeat = remember && stored.has(id);
    received.push(Object.freeze({ id, connection: connection.index, time, repeat }));
    let answer: In | undefined;
    if (repeat) answer = stored.get(id);
    else {
      runs.set(id, (runs.get(id) ?? 0) + 1);
      answer = reply(message, id, connection);
      if (answer !== undefined && remember) stored.set(id, answer);
    }
    if (answer === undefined) return;
    const text = JSON.stringify(answer);
    // The connection ended before the reply was due (the client closed it, or the server dropped it): it is lost.
    if (connection.readyState !== 1) return;
    try {
      connection.message(text);
    } catch {
      // The server ended the connection in this same frame, before the reply: lost as well.
    }
  };
  const serve = (connection: ConnectionDouble<In, Out>): void => {
    subscription.add(
      connection.sent$.subscribe((frame) => {
        // Later, never inside the client's send: what `reply` throws then fails the spec, not the code under test.
        subscription.add(scheduler.schedule(() => answer(connection, frame), delayMs));
      }),
    );
  };
  server.connections.forEach(serve);
  subscription.add(server.connection$.subscribe(serve));
  return {
    received,
    runs: (id) => runs.get(id) ?? 0,
    unsubscribe: () => subscription.unsubscribe(),
  };
}

const decoder = /* @__PURE__ */ new TextDecoder();

/** A frame as JSON, or `undefined` for one that is not (a Blob, or text that does not parse). */
function parse(data: SentFrame['data']): unknown {
  if (typeof data !== 'string' && !(data instanceof Uint8Array)) return undefined;
  try {
    return JSON.parse(typeof data === 'string' ? data : decoder.decode(data)) as unknown;
  } catch {
    return undefined;
  }
}

function referenceRequestId(message: unknown): string | undefined {
  if (typeof message !== 'object' || message === null) return undefined;
  const { type, id } = message as { type?: unknown; id?: unknown };
  return type === 'request' && typeof id === 'string' ? id : undefined;
}

function referenceReply(message: unknown, id: string): unknown {
  return { type: 'reply', id, data: (message as { data?: unknown }).data };
}
