/**
 * A deserializer that throws values `String()` cannot convert (an object without a prototype, an object whose
 * `toString` is not a function), in a process of its own: if the library fails to turn them into a DecodeError,
 * the exception escapes from the socket's message handler, and that would end a real application's process.
 * Prints one JSON line with what error$ got and every uncaught exception.
 */
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';
import { DecodeError, fromWebSocket } from '../../../lib/index';
import { Changes } from '../../helpers/wait';
import { run } from './common';

export interface ThrowingDeserializerFigures {
  readonly thrown: number;
  readonly decodeErrors: number;
  readonly otherErrors: string[];
  readonly uncaught: string[];
  readonly receivedAfter: boolean;
}

run(async (): Promise<ThrowingDeserializerFigures> => {
  const uncaught: string[] = [];
  process.on('uncaughtException', (error) => uncaught.push(`${error.name}: ${error.message}`));
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  await once(wss, 'listening');
  const values: unknown[] = [Object.create(null), { toString: 1 }, { toString: () => ({}), valueOf: () => ({}) }];
  let next = 0;
  const socket = fromWebSocket<string, string>(`ws://127.0.0.1:${(wss.address() as AddressInfo).port}`, {
    reconnect: false,
    deserializer: (event) => {
      if (event.data === 'ok') return 'ok';
      throw values[next++];
    },
  });
  const changes = new Changes();
  let decodeErrors = 0;
  const otherErrors: string[] = [];
  let receivedAfter = false;
  socket.error$.subscribe((error) => {
    if (error instanceof DecodeError) decodeErrors++;
    else otherErrors.push(String(error));
    changes.notify();
  });
  socket.message$.subscribe(() => {
    receivedAfter = true;
    changes.notify();
  });
  const [client] = (await once(wss, 'connection')) as [WebSocket];
  for (let i = 0; i < values.length; i++) client.send('bad');
  client.send('ok');
  await changes.until(() => receivedAfter, 5_000, 'the message after the bad ones').catch(() => undefined);
  // RxJS rethrows an error from a subscriber in a zero-delay timeout: let those come out before looking.
  for (let i = 0; i < 3; i++) await new Promise((resolve) => setTimeout(resolve, 0));
  socket.close();
  client.terminate();
  await new Promise<void>((resolve) => wss.close(() => resolve()));
  return { thrown: values.length, decodeErrors, otherErrors, uncaught, receivedAfter };
});
