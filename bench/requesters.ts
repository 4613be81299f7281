/**
 * The clients of the request round-trip workload, behind one small interface: raw `ws` doing by hand what a request
 * needs (an id per request, a map of the requests waiting, JSON both ways), and `request()` over `fromWebSocket`, as
 * its documentation shows it. Both talk to the bench server's echo path, which sends every frame back: the reply to a
 * request is the request itself, matched by its id.
 */
import { randomUUID } from 'node:crypto';
import { firstValueFrom } from 'rxjs';
import WebSocket from 'ws';
import * as candidate from './candidate-lib';
import { fromWebSocket, json, request, type WebSocketConstructor } from '../lib/index';
import type { ClientId, WsClass } from './clients';

/** The clients the request workload runs. */
export const REQUEST_CLIENTS = ['ws', 'rx-websocket', 'rx-websocket-replyIdOf', 'rx-websocket-candidate'] as const;
export type RequestClientId = (typeof REQUEST_CLIENTS)[number];

/** The client of the other workloads each request client stands with: `--clients` selects them by it. */
export const REQUEST_CLIENT_BASE: Readonly<Record<RequestClientId, ClientId>> = {
  ws: 'ws',
  'rx-websocket': 'rx-websocket',
  'rx-websocket-replyIdOf': 'rx-websocket',
  'rx-websocket-candidate': 'rx-websocket-candidate',
};

export const REQUEST_LABELS: Readonly<Record<RequestClientId, string>> = {
  ws: 'ws, an id and a map of pending requests',
  'rx-websocket': 'rx-websocket, request() with isReply',
  'rx-websocket-replyIdOf': 'rx-websocket, request() with replyIdOf',
  'rx-websocket-candidate': 'rx-websocket (candidate), request()',
};

/** How each client makes a request, for the report. */
export const REQUEST_USAGE: Readonly<Record<RequestClientId, string>> = {
  ws:
    "`ws.send(JSON.stringify({ type: 'request', id, data }))` with `id` a UUID prefix and a counter, kept in a `Map`; " +
    "`ws.on('message')` parses each reply and settles the request its `id` names",
  'rx-websocket':
    "`request(socket, (id) => ({ type: 'request', id, data }), { isReply: (msg, id) => msg.id === id })` on " +
    '`fromWebSocket(url, { ...json(), WebSocketCtor: ws })`, subscribed once per request (default id, timeout 10 s)',
  'rx-websocket-replyIdOf':
    'as rx-websocket, with `{ replyIdOf: (msg) => msg.id }` instead of `isReply`, one function for every request',
  'rx-websocket-candidate': 'as rx-websocket, built from the lib/ copy given by `--candidate <dir>`',
};

/** One open connection that makes requests. */
export interface RequestSession {
  /** Sends the `n`-th request; `done` once its reply came back, `fail` if it cannot be. */
  request(n: number, done: () => void, fail: (error: unknown) => void): void;
  /** Closes with 1000 and resolves once the client reports the close. */
  close(): Promise<void>;
}

export interface Requester {
  /** Connects to `url` and resolves once open. */
  open(url: string): Promise<RequestSession>;
}

interface RequestMessage {
  readonly type: 'request';
  readonly id: string;
  readonly data: { readonly op: 'quote'; readonly sym: string; readonly qty: number };
}

/** What comes back: the request, echoed. */
interface Echoed {
  readonly id?: unknown;
}

const SYMBOLS = ['BTC-USD', 'ETH-USD', 'SOL-USD', 'XRP-USD'] as const;

/** The data of the n-th request, about 50 bytes with its envelope. */
function requestData(n: number): RequestMessage['data'] {
  return { op: 'quote', sym: SYMBOLS[n % SYMBOLS.length]!, qty: 1 + (n % 97) };
}

function rawRequester(WS: WsClass): Requester {
  return {
    async open(url) {
      const ws = new WS(url);
      const waiting = new Map<string, () => void>();
      const prefix = randomUUID();
      let count = 0;
      ws.on('message', (data) => {
        const { id } = JSON.parse((data as Buffer).toString()) as Echoed;
        const done = typeof id === 'string' ? waiting.get(id) : undefined;
        if (done === undefined) return;
        waiting.delete(id as string);
        done();
      });
      await new Promise<void>((resolve, reject) => {
        ws.once('open', () => resolve());
        ws.once('error', reject);
      });
      return {
        request(n, done) {
          const id = `${prefix}-${++count}`;
          waiting.set(id, done);
          const message: RequestMessage = { type: 'request', id, data: requestData(n) };
          ws.send(JSON.stringify(message));
        },
        close: () =>
          new Promise<void>((resolve) => {
            ws.once('close', () => resolve());
            ws.close(1000);
          }),
      };
    },
  };
}

/** How `request()` knows its reply: `isReply` tests each message for each waiting request, `replyIdOf` reads its id. */
type Matching = 'isReply' | 'replyIdOf';

function rxRequester(
  library: Pick<typeof candidate, 'fromWebSocket' | 'json' | 'request'>,
  WS: WsClass,
  matching: Matching = 'isReply',
): Requester {
  const WebSocketCtor = WS as unknown as WebSocketConstructor;
  return {
    async open(url) {
      const socket = library.fromWebSocket<Echoed, RequestMessage>(url, {
        ...library.json<Echoed, RequestMessage>(),
        WebSocketCtor,
      });
      const held = socket.connect();
      await firstValueFrom(socket.open$);
      const isReply = (message: Echoed, id: string): boolean => message.id === id;
      // Made once, for every request: the requests on the socket share one index by it.
      const replyIdOf = (message: Echoed): string | undefined => message.id as string | undefined;
      const options = matching === 'replyIdOf' ? { replyIdOf } : { isReply };
      return {
        request(n, done, fail) {
          library
            .request(socket, (id) => ({ type: 'request', id, data: requestData(n) }), options)
            .subscribe({ complete: done, error: fail });
        },
        close: async () => {
          const closed = firstValueFrom(socket.close$);
          socket.close(1000);
          held.unsubscribe();
          await closed;
        },
      };
    },
  };
}

/** Every request client, each creating its sockets with `WS`. */
export function createRequesters(WS: WsClass): Readonly<Record<RequestClientId, Requester>> {
  return {
    ws: rawRequester(WS),
    'rx-websocket': rxRequester({ fromWebSocket, json, request }, WS),
    'rx-websocket-replyIdOf': rxRequester({ fromWebSocket, json, request }, WS, 'replyIdOf'),
    'rx-websocket-candidate': rxRequester(candidate, WS),
  };
}

export const REQUESTERS = createRequesters(WebSocket);
