/**
 * What the request specs share: the message shapes, both ways of knowing a reply, a socket on the test kit's double
 * that reconnects 10 ms after a drop, and a socket wrapper that counts the subscriptions to its `message$`.
 */
import { config, Observable } from 'rxjs';
import {
  constantBackoff,
  fromWebSocket,
  json,
  type ReactiveWebSocket,
  type RequestOptions,
  type RequestSocket,
} from '../../../lib/index';
import { createWebSocketDouble, type WebSocketServerDouble } from '../../../lib/testing/index';

export type Reply = { type: 'reply'; id: string; data: number };
export type ServerMsg = Reply | { type: 'tick'; n: number };
export type ClientMsg = { type: 'request'; id: string; data: number } | { type: 'cancel'; id: string };

export const URL = 'wss://feed.example/ws';
export const isReply = (msg: ServerMsg, id: string): msg is Reply => msg.type === 'reply' && msg.id === id;
export const replyIdOf = (msg: ServerMsg): string | undefined => (msg.type === 'reply' ? msg.id : undefined);

/** The two ways a request knows its reply, for `describe.each`: the same behaviour is expected of both. */
export const FORMS: readonly (readonly [string, RequestOptions<ServerMsg, ClientMsg, Reply>])[] = [
  ['isReply', { isReply }],
  ['replyIdOf', { replyIdOf }],
];

export const ask = (data: number) => (id: string) => ({ type: 'request', id, data }) as const;
export const cancel = (id: string) => ({ type: 'cancel', id }) as const;
/** Ids r1, r2, ... per call of `ids()`. */
export const ids = () => {
  let n = 0;
  return () => `r${++n}`;
};

export { newScheduler } from '../../helpers/virtual-time';

/** A server double that opens every connection at once, and a socket on it that reconnects 10 ms after a drop. */
export function setup(): {
  server: WebSocketServerDouble<ServerMsg, ClientMsg>;
  socket: ReactiveWebSocket<ServerMsg, ClientMsg>;
} {
  const server = createWebSocketDouble<ServerMsg, ClientMsg>({ autoOpen: true });
  const socket = fromWebSocket<ServerMsg, ClientMsg>(URL, {
    ...json<ServerMsg, ClientMsg>(),
    WebSocketCtor: server.WebSocketCtor,
    reconnect: { backoff: constantBackoff({ delayMs: 10, jitter: 'none' }) },
  });
  return { server, socket };
}

/** The answer the double gives a request: its data doubled. */
export const doubled = (message: ClientMsg, id: string): Reply | undefined =>
  message.type === 'request' ? { type: 'reply', id, data: message.data * 2 } : undefined;

/** `source`, counting the subscriptions to it: `active` now, `total` ever. */
function counted<T>(source: Observable<T>): { readonly $: Observable<T>; active: number; total: number } {
  const counts = {
    $: new Observable<T>((subscriber) => {
      counts.active++;
      counts.total++;
      const subscription = source.subscribe(subscriber);
      return () => {
        counts.active--;
        subscription.unsubscribe();
      };
    }),
    active: 0,
    total: 0,
  };
  return counts;
}

/**
 * The socket seen through a wrapper that counts the subscriptions to its `message$` (`active` now, `total` ever) and
 * to its `close$` (`closeActive` now). The wrapper is one object, as the socket is, so requests made on it share what
 * they share on a socket.
 */
export function counting<In, Out>(
  socket: RequestSocket<In, Out>,
): RequestSocket<In, Out> & { readonly active: number; readonly total: number; readonly closeActive: number } {
  const messages = counted(socket.message$);
  const closes = counted(socket.close$);
  return {
    message$: messages.$,
    close$: closes.$,
    get open$() {
      return socket.open$;
    },
    get readyState() {
      return socket.readyState;
    },
    send: (value) => socket.send(value),
    get active() {
      return messages.active;
    },
    get total() {
      return messages.total;
    },
    get closeActive() {
      return closes.active;
    },
  };
}

/** Collects what RxJS reports as unhandled while `work` runs. */
export function unhandledDuring(work: () => void): unknown[] {
  const unhandled: unknown[] = [];
  config.onUnhandledError = (error) => unhandled.push(error);
  try {
    work();
  } finally {
    config.onUnhandledError = null;
  }
  return unhandled;
}
