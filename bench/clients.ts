/**
 * The clients under comparison, each driven the way its documentation shows, behind one small interface so that
 * every workload is written once. Each one parses every incoming message as JSON and hands the value on.
 *
 * The peers with RxJS get the reconnection a user of theirs would add (`retry`), since this library reconnects by
 * default; `reconnecting-websocket` and `partysocket` reconnect by themselves.
 */
import ReconnectingWebSocket from 'reconnecting-websocket';
// The same class as `import { WebSocket } from 'partysocket'`, whose CommonJS build exports the module, not the class.
import PartySocketWebSocket from 'partysocket/ws';
import { firstValueFrom, Observable, retry, Subject, switchMap } from 'rxjs';
import makeWebSocketObservable from 'rxjs-websockets';
import { webSocket } from 'rxjs/webSocket';
import WebSocket from 'ws';
import * as candidate from './candidate-lib';
import { fromWebSocket, json, multiplex, type WebSocketConstructor } from '../lib/index';
import { DEFAULT_DEDUPE_WINDOW } from '../lib/features/multiplex/resume';

/** One open connection, whatever the client. */
export interface Connection {
  send(text: string): void;
  /** Closes with 1000 and resolves once the client reports the close. */
  close(): Promise<void>;
}

export interface Driver {
  readonly id: ClientId;
  /** Connects to `url` and resolves once open; `onMessage` gets every message, parsed as JSON. */
  open(url: string, onMessage: (value: unknown) => void): Promise<Connection>;
}

export const CLIENT_IDS = [
  'ws',
  'ws-onmessage',
  'ws-observable',
  'ws-cursors',
  'rx-websocket',
  'rx-websocket-candidate',
  'rx-websocket-resumable',
  'rx-websocket-resumable-candidate',
  'rxjs-webSocket',
  'rxjs-websockets',
  'reconnecting-websocket',
  'partysocket',
] as const;
export type ClientId = (typeof CLIENT_IDS)[number];

export const CLIENT_LABELS: Readonly<Record<ClientId, string>> = {
  ws: "ws, .on('message')",
  'ws-onmessage': 'ws, .onmessage',
  'ws-observable': 'ws into a bare Observable',
  'ws-cursors': 'ws, cursors kept by hand',
  'rx-websocket': 'rx-websocket',
  'rx-websocket-candidate': 'rx-websocket (candidate)',
  'rx-websocket-resumable': 'rx-websocket, a resumable channel',
  'rx-websocket-resumable-candidate': 'rx-websocket (candidate), a resumable channel',
  'rxjs-webSocket': 'RxJS webSocket() + retry',
  'rxjs-websockets': 'rxjs-websockets + retry',
  'reconnecting-websocket': 'reconnecting-websocket',
  partysocket: 'partysocket',
};

/** How each client is used, for the report. */
export const CLIENT_USAGE: Readonly<Record<ClientId, string>> = {
  ws: "`new WebSocket(url)`; `ws.on('message', (data) => JSON.parse(data))`; `ws.send(text)`",
  'ws-onmessage':
    '`new WebSocket(url)`; `ws.onmessage = (event) => JSON.parse(event.data)` (the browser-style handler)',
  'ws-observable':
    "`new Observable((subscriber) => ws.on('message', (data) => subscriber.next(JSON.parse(data))))`, subscribed once: what RxJS's own `Subscriber` adds per message, the floor of any RxJS client",
  'ws-cursors':
    "as ws, each message's `seq` read as a string cursor, compared with the last one and stored in a ring of 1,024 by hand before it reaches the application: the least any resumable channel does per message, its floor",
  'rx-websocket':
    '`fromWebSocket(url, { deserializer: json().deserializer, WebSocketCtor: ws })`, default reconnection; `message$.subscribe`; `socket.send(text)`',
  'rx-websocket-candidate': 'as rx-websocket, built from the lib/ copy given by `--candidate <dir>`',
  'rx-websocket-resumable':
    "as rx-websocket, the messages read through `multiplex(socket, subscribeMsg, unsubscribeMsg, () => true, { cursorOf })`: one channel carrying the whole feed, each message's `seq` read as its cursor and recorded",
  'rx-websocket-resumable-candidate':
    'as rx-websocket, a resumable channel, built from the lib/ copy given by `--candidate <dir>`',
  'rxjs-webSocket':
    '`webSocket({ url, WebSocketCtor: ws, serializer: (text) => text })` (default `JSON.parse` deserializer) `.pipe(retry({ delay: 1000 }))`; `subject.next(text)`',
  'rxjs-websockets':
    '`makeWebSocketObservable(url, { makeWebSocket: (url, protocols) => new ws(url, protocols) }).pipe(switchMap((get) => get(input$)), retry({ delay: 1000 }))`, `JSON.parse` in the subscriber; `input$.next(text)`',
  'reconnecting-websocket':
    "`new ReconnectingWebSocket(url, [], { WebSocket: ws })`; `addEventListener('message', (event) => JSON.parse(event.data))`; `rws.send(text)`",
  partysocket:
    "`new WebSocket(url, [], { WebSocket: ws })` (the class `import { WebSocket } from 'partysocket'` gives, imported from `partysocket/ws`); `addEventListener('message', (event) => JSON.parse(event.data))`; `socket.send(text)`",
};

/** The `ws` client class, or a subclass of it (the in-process dispatch workload uses one that never connects). */
export type WsClass = typeof WebSocket;

/** Resolves when a `ws` socket opens, or rejects if it fails first. */
function whenOpen(socket: WebSocket): Promise<void> {
  return new Promise((resolve, reject) => {
    socket.once('open', () => resolve());
    socket.once('error', (error) => reject(error));
  });
}

interface EventTargetSocket {
  addEventListener(type: 'message', listener: (event: { data: unknown }) => void): void;
  addEventListener(type: 'open' | 'close' | 'error', listener: () => void): void;
  send(data: string): void;
  close(code?: number): void;
}

function eventTargetDriver(id: ClientId, create: (url: string) => EventTargetSocket): Driver {
  return {
    id,
    open(url, onMessage) {
      const socket = create(url);
      socket.addEventListener('message', (event) => onMessage(JSON.parse(event.data as string)));
      let closed: (() => void) | undefined;
      socket.addEventListener('close', () => closed?.());
      return new Promise<Connection>((resolve) => {
        socket.addEventListener('open', () =>
          resolve({
            send: (text) => socket.send(text),
            close: () =>
              new Promise<void>((resolveClose) => {
                closed = resolveClose;
                socket.close(1000);
              }),
          }),
        );
      });
    },
  };
}

function rxWebSocketDriver(
  id: ClientId,
  library: Pick<typeof candidate, 'fromWebSocket' | 'json'>,
  WS: WsClass,
): Driver {
  const WebSocketCtor = WS as unknown as WebSocketConstructor;
  return {
    id,
    async open(url, onMessage) {
      const { deserializer } = library.json<unknown, string>();
      const socket = library.fromWebSocket<unknown, string>(url, { deserializer, WebSocketCtor });
      let closed: (() => void) | undefined;
      const done = (): void => closed?.();
      socket.message$.subscribe({ next: onMessage, error: done, complete: done });
      // firstValueFrom unsubscribes at once, so that open$ does not see every message go by.
      await firstValueFrom(socket.open$);
      return {
        send: (text) => socket.send(text),
        close: () =>
          new Promise<void>((resolve) => {
            closed = resolve;
            socket.close(1000);
          }),
      };
    },
  };
}

/**
 * rx-websocket with a resumable channel: `rxWebSocketDriver`'s socket, its messages read through one channel with
 * `cursorOf` (each message's `seq` as its cursor), so that the cost of the cursor bookkeeping shows.
 */
function rxWebSocketResumableDriver(
  id: ClientId,
  library: Pick<typeof candidate, 'fromWebSocket' | 'json' | 'multiplex'>,
  WS: WsClass,
): Driver {
  const WebSocketCtor = WS as unknown as WebSocketConstructor;
  const { fromWebSocket, json, multiplex } = library;
  return {
    id,
    async open(url, onMessage) {
      const { deserializer } = json<{ seq: number }, string>();
      const socket = fromWebSocket<{ seq: number }, string>(url, { deserializer, WebSocketCtor });
      let closed: (() => void) | undefined;
      const done = (): void => closed?.();
      multiplex(
        socket,
        (cursor) => (cursor === undefined ? '{"op":"subscribe"}' : `{"op":"subscribe","since":"${cursor}"}`),
        () => '{"op":"unsubscribe"}',
        () => true,
        // The flood's sequence number stands for a feed's cursor, which is a string: as a server numbering its
        // messages would be read.
        { cursorOf: (message) => String(message.seq) },
      ).subscribe({ next: onMessage, error: done, complete: done });
      await firstValueFrom(socket.open$);
      return {
        send: (text) => socket.send(text),
        close: () =>
          new Promise<void>((resolve) => {
            closed = resolve;
            socket.close(1000);
          }),
      };
    },
  };
}

/** Every client, each creating its sockets with `WS`. */
export function createDrivers(WS: WsClass): Readonly<Record<ClientId, Driver>> {
  /** Raw `ws`, with `wire` passing each parsed message from its own 'message' event to the application. */
  const rawEmitter = (id: ClientId, wire: (ws: WebSocket, parsed: (value: unknown) => void) => void): Driver => ({
    id,
    async open(url, onMessage) {
      const ws = new WS(url);
      wire(ws, onMessage);
      await whenOpen(ws);
      return {
        send: (text) => ws.send(text),
        close: () =>
          new Promise<void>((resolve) => {
            ws.once('close', () => resolve());
            ws.close(1000);
          }),
      };
    },
  });

  const raw = rawEmitter('ws', (ws, onMessage) =>
    ws.on('message', (data) => onMessage(JSON.parse((data as Buffer).toString()))),
  );

  const rawOnMessage: Driver = {
    id: 'ws-onmessage',
    async open(url, onMessage) {
      const ws = new WS(url);
      ws.onmessage = (event) => onMessage(JSON.parse(event.data as string));
      await whenOpen(ws);
      return {
        send: (text) => ws.send(text),
        close: () =>
          new Promise<void>((resolve) => {
            ws.onclose = () => resolve();
            ws.close(1000);
          }),
      };
    },
  };

  // The same, through one bare RxJS Observable: what RxJS's own Subscriber adds per message.
  const rawObservable = rawEmitter('ws-observable', (ws, onMessage) =>
    new Observable<unknown>((subscriber) => {
      ws.on('message', (data) => subscriber.next(JSON.parse((data as Buffer).toString())));
    }).subscribe(onMessage),
  );

  // What a resumable channel does per message at the least, written inline: the cursor (as the resumable client's
  // cursorOf makes it), a repeat of the last one dropped, the ring of the latest cursors a resumption looks up.
  const rawCursors = rawEmitter('ws-cursors', (ws, onMessage) => {
    const ring: string[] = [];
    let next = 0;
    let last: string | undefined;
    ws.on('message', (data) => {
      const message = JSON.parse((data as Buffer).toString()) as { seq: number };
      const cursor = String(message.seq);
      if (cursor === last) return;
      ring[next] = cursor;
      next = next + 1 === DEFAULT_DEDUPE_WINDOW ? 0 : next + 1;
      last = cursor;
      onMessage(message);
    });
  });

  const rxjsWebSocket: Driver = {
    id: 'rxjs-webSocket',
    open(url, onMessage) {
      return new Promise<Connection>((resolve, reject) => {
        let closed: (() => void) | undefined;
        const subject = webSocket<unknown>({
          url,
          WebSocketCtor: WS as unknown as new (url: string, protocols?: string | string[]) => globalThis.WebSocket,
          serializer: (text) => text as string,
          openObserver: {
            next: () =>
              resolve({
                send: (text) => subject.next(text),
                close: () =>
                  new Promise<void>((resolveClose) => {
                    closed = resolveClose;
                    subscription.unsubscribe();
                  }),
              }),
          },
          closeObserver: { next: () => closed?.() },
        });
        const subscription = subject.pipe(retry({ delay: 1_000 })).subscribe({ next: onMessage, error: reject });
      });
    },
  };

  const rxjsWebsockets: Driver = {
    id: 'rxjs-websockets',
    open(url, onMessage) {
      return new Promise<Connection>((resolve, reject) => {
        const input$ = new Subject<string>();
        let closed: (() => void) | undefined;
        const socket$ = makeWebSocketObservable<string>(url, {
          protocols: [],
          makeWebSocket: (socketUrl, protocols) => {
            const ws = new WS(socketUrl, protocols);
            // The library has no open or close callback of its own: listen on the socket it is given.
            ws.once('open', () =>
              resolve({
                send: (text) => input$.next(text),
                close: () =>
                  new Promise<void>((resolveClose) => {
                    closed = resolveClose;
                    subscription.unsubscribe();
                  }),
              }),
            );
            ws.once('close', () => closed?.());
            return ws;
          },
        });
        const subscription = socket$
          .pipe(
            switchMap((getResponses) => getResponses(input$)),
            retry({ delay: 1_000 }),
          )
          .subscribe({ next: (data) => onMessage(JSON.parse(data)), error: reject });
      });
    },
  };

  return {
    ws: raw,
    'ws-onmessage': rawOnMessage,
    'ws-observable': rawObservable,
    'ws-cursors': rawCursors,
    'rx-websocket': rxWebSocketDriver('rx-websocket', { fromWebSocket, json }, WS),
    'rx-websocket-candidate': rxWebSocketDriver('rx-websocket-candidate', candidate, WS),
    'rx-websocket-resumable': rxWebSocketResumableDriver(
      'rx-websocket-resumable',
      { fromWebSocket, json, multiplex },
      WS,
    ),
    'rx-websocket-resumable-candidate': rxWebSocketResumableDriver('rx-websocket-resumable-candidate', candidate, WS),
    'rxjs-webSocket': rxjsWebSocket,
    'rxjs-websockets': rxjsWebsockets,
    'reconnecting-websocket': eventTargetDriver(
      'reconnecting-websocket',
      (url) => new ReconnectingWebSocket(url, [], { WebSocket: WS }),
    ),
    partysocket: eventTargetDriver('partysocket', (url) => new PartySocketWebSocket(url, [], { WebSocket: WS })),
  };
}

export const DRIVERS = createDrivers(WebSocket);
