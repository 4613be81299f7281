/**
 * A `ws` server in its own process, steered over IPC by the load and cycle children, so that what they measure
 * in their own process is the client side only.
 *
 * Sends `{ type: 'ready', port }`, then answers:
 * - `{ type: 'stream', intervalMs }`: from now on, every `intervalMs` send each client the next tick number
 *   (0 stops the stream);
 * - `{ type: 'drop', how: 'terminate' | 'going-away' }`: drop every client (sockets destroyed, or a 1001 close);
 *   answers `{ type: 'dropped', count }`;
 * - `{ type: 'exit' }`: close everything and exit by itself.
 */
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { WebSocketServer } from 'ws';

export type ServerCommand =
  | { readonly type: 'stream'; readonly intervalMs: number }
  | { readonly type: 'drop'; readonly how: 'terminate' | 'going-away' }
  | { readonly type: 'exit' };

export type ServerReply =
  | { readonly type: 'ready'; readonly port: number }
  | { readonly type: 'dropped'; readonly count: number }
  | { readonly type: 'stats'; readonly connections: number };

async function main(): Promise<void> {
  const send = (reply: ServerReply): void => void process.send?.(reply);
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0, backlog: 2048, clientTracking: true });
  await once(wss, 'listening');
  let connections = 0;
  wss.on('connection', (socket) => {
    connections++;
    socket.on('error', () => {});
  });
  let tick = 0;
  let stream: NodeJS.Timeout | undefined;
  process.on('message', (command: ServerCommand) => {
    switch (command.type) {
      case 'stream':
        clearInterval(stream);
        if (command.intervalMs <= 0) return;
        stream = setInterval(() => {
          const data = String(tick++);
          for (const client of wss.clients) if (client.readyState === client.OPEN) client.send(data);
        }, command.intervalMs);
        return;
      case 'drop': {
        const count = wss.clients.size;
        for (const client of wss.clients) {
          if (command.how === 'terminate') client.terminate();
          else client.close(1001, 'going away');
        }
        send({ type: 'dropped', count });
        return;
      }
      case 'exit':
        clearInterval(stream);
        for (const client of wss.clients) client.terminate();
        wss.close(() => {
          send({ type: 'stats', connections });
          process.removeAllListeners('disconnect');
          process.disconnect?.();
        });
        return;
    }
  });
  // The parent died without asking: leave nothing behind.
  process.on('disconnect', () => {
    clearInterval(stream);
    for (const client of wss.clients) client.terminate();
    wss.close();
  });
  send({ type: 'ready', port: (wss.address() as AddressInfo).port });
}

void main();
