/**
 * A multiplex channel whose unsubscribe or re-subscribe message cannot be made or sent, in a process of its own
 * against a real `ws` server: what the library fails to catch would escape as an uncaught exception (which would end
 * a real application), and a channel that keeps holding the socket would keep it connected for ever (the process
 * could not exit). Prints one JSON line, then must exit by itself.
 */
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';
import { CallbackError, constantBackoff, fromWebSocket, multiplex } from '../../../lib/index';
import { Changes } from '../../helpers/wait';
import { readArgs, run } from './common';

export type MultiplexFailure =
  /** `unsubscribeMsg` throws when the last subscriber leaves (someone listens on error$). */
  | 'unsubscribe-throws'
  /** The serializer rejects the unsubscribe message, and nobody listens on error$. */
  | 'unsubscribe-unencodable'
  /** After a reconnection, an `open$` subscriber that runs before the channel's closes the socket. */
  | 'resubscribe-after-close'
  /** After a reconnection, the serializer rejects the subscribe message, and nobody listens on error$. */
  | 'resubscribe-unencodable';

export interface MultiplexFailureArgs {
  readonly scenario: MultiplexFailure;
}

export interface MultiplexFailureFigures {
  /** Uncaught exceptions, as `name: message`. */
  readonly uncaught: string[];
  /** What unsubscribing from the channel threw, by name. */
  readonly thrownByUnsubscribe: string[];
  /** What error$ heard, as `name` (or `name hook` for a CallbackError). */
  readonly heard: string[];
  /** How the channel's subscriber ended: `error <name>` or `complete`. */
  readonly ended: string[];
  /** What the server received, per connection. */
  readonly received: string[][];
  /** Whether every connection the server accepted had closed before the figures were taken. */
  readonly allClosed: boolean;
}

type Command = { op: 'sub' | 'unsub'; channel: string };

run(async (): Promise<MultiplexFailureFigures> => {
  const { scenario } = readArgs<MultiplexFailureArgs>();
  const uncaught: string[] = [];
  process.on('uncaughtException', (error) => uncaught.push(`${error.name}: ${error.message}`));
  const changes = new Changes();
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  await once(wss, 'listening');
  const clients: WebSocket[] = [];
  const received: string[][] = [];
  let open = 0;
  wss.on('connection', (client) => {
    const messages: string[] = [];
    clients.push(client);
    received.push(messages);
    open++;
    client.on('message', (data) => {
      messages.push((data as Buffer).toString());
      changes.notify();
    });
    client.on('close', () => {
      open--;
      changes.notify();
    });
    changes.notify();
  });

  let subscribes = 0;
  const socket = fromWebSocket<{ channel: string }, Command>(`ws://127.0.0.1:${(wss.address() as AddressInfo).port}`, {
    deserializer: (event) => JSON.parse(event.data as string) as { channel: string },
    serializer: (command) => {
      if (command.op === 'unsub' && scenario === 'unsubscribe-unencodable') throw new Error('cannot encode');
      if (command.op === 'sub' && ++subscribes === 2 && scenario === 'resubscribe-unencodable') {
        throw new Error('cannot encode');
      }
      return JSON.stringify(command);
    },
    reconnect: { backoff: constantBackoff({ delayMs: 20 }) },
  });
  const heard: string[] = [];
  const listening =
    scenario === 'unsubscribe-throws'
      ? socket.error$.subscribe((error) => {
          heard.push(error instanceof CallbackError ? `${error.name} ${error.hook}` : String((error as Error).name));
          changes.notify();
        })
      : undefined;
  if (scenario === 'resubscribe-after-close') {
    let opens = 0;
    // Subscribed before the channel, so it runs first on each open.
    socket.open$.subscribe(() => {
      if (++opens === 2) socket.close();
    });
  }
  const ended: string[] = [];
  const member = multiplex(
    socket,
    () => ({ op: 'sub', channel: 'BTC' }),
    () => {
      if (scenario === 'unsubscribe-throws') throw new Error('no unsubscribe today');
      return { op: 'unsub', channel: 'BTC' };
    },
    (message) => message.channel === 'BTC',
  ).subscribe({
    error: (error: unknown) => {
      ended.push(`error ${(error as Error).name}`);
      changes.notify();
    },
    complete: () => {
      ended.push('complete');
      changes.notify();
    },
  });
  await changes.until(() => received[0]?.length === 1, 5_000, 'the first subscribe message');

  const thrownByUnsubscribe: string[] = [];
  if (scenario === 'unsubscribe-throws' || scenario === 'unsubscribe-unencodable') {
    try {
      member.unsubscribe();
    } catch (error) {
      thrownByUnsubscribe.push((error as Error).name);
    }
    listening?.unsubscribe();
  } else {
    clients[0]?.terminate();
    await changes
      .until(() => ended.length > 0, 3_000, 'the channel to end after the reconnection')
      .catch(() => undefined);
  }
  const allClosed = await changes
    .until(() => open === 0, 3_000, 'every connection to close')
    .then(
      () => true,
      () => false,
    );
  // RxJS rethrows an error it could not deliver in a zero-delay timeout: let those come out before looking.
  for (let i = 0; i < 3; i++) await new Promise((resolve) => setTimeout(resolve, 0));
  // A socket still held keeps the process alive (the server closes only when its last client has gone).
  wss.close();
  return { uncaught, thrownByUnsubscribe, heard, ended, received, allClosed };
});
