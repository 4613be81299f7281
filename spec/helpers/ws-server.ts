import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { WebSocketServer, type ServerOptions, type WebSocket } from 'ws';

/** A real `ws` server on 127.0.0.1 with an ephemeral port, for integration specs. */
export interface TestServer {
  readonly url: string;
  readonly port: number;
  readonly wss: WebSocketServer;
  /** Resolves with the next client that connects (or one already waiting). */
  nextClient(): Promise<ServerClient>;
  /** Every client that connected so far. */
  readonly clients: ServerClient[];
  close(): Promise<void>;
}

export interface ServerClient {
  readonly socket: WebSocket;
  readonly protocol: string;
  readonly requestUrl: string;
  /** Messages received, in order, with whether each was binary. */
  readonly received: { data: Buffer; isBinary: boolean }[];
  /** Resolves once `count` messages have arrived. */
  receivedCount(count: number): Promise<void>;
  /** Resolves with the close code and reason the client sent. */
  readonly closed: Promise<{ code: number; reason: string }>;
}

export async function startServer(options: ServerOptions = {}, port = 0): Promise<TestServer> {
  const wss = new WebSocketServer({ host: '127.0.0.1', port, ...options });
  await once(wss, 'listening');
  const clients: ServerClient[] = [];
  const waiting: ((client: ServerClient) => void)[] = [];
  let taken = 0;
  wss.on('connection', (socket, request) => {
    const received: ServerClient['received'] = [];
    const counters: { count: number; resolve: () => void }[] = [];
    socket.on('message', (data, isBinary) => {
      received.push({ data: Buffer.isBuffer(data) ? data : Buffer.concat(data as Buffer[]), isBinary });
      for (const c of counters) if (received.length >= c.count) c.resolve();
    });
    const client: ServerClient = {
      socket,
      protocol: socket.protocol,
      requestUrl: request.url ?? '',
      received,
      receivedCount: (count) =>
        received.length >= count
          ? Promise.resolve()
          : new Promise<void>((resolve) => counters.push({ count, resolve })),
      closed: new Promise((resolve) =>
        socket.on('close', (code, reason) => resolve({ code, reason: reason.toString() })),
      ),
    };
    clients.push(client);
    const waiter = waiting.shift();
    if (waiter) {
      taken++;
      waiter(client);
    }
  });
  const { port: actual } = wss.address() as AddressInfo;
  return {
    url: `ws://127.0.0.1:${actual}`,
    port: actual,
    wss,
    clients,
    nextClient() {
      if (taken < clients.length) return Promise.resolve(clients[taken++] as ServerClient);
      return new Promise((resolve) => waiting.push(resolve));
    },
    async close() {
      for (const client of wss.clients) client.terminate();
      await new Promise<void>((resolve, reject) => wss.close((error) => (error ? reject(error) : resolve())));
    },
  };
}
