import { DecodeError, fromWebSocket, type WebSocketMessageEvent } from '../../lib/index';
import { closeAfterEach } from '../helpers/cleanup';
import { firstValues, record } from '../helpers/observe';
import { startServer, type TestServer } from '../helpers/ws-server';

// What the deserializer and messageEvent$ are given in Node, where `ws` hands over only the data.

const track = closeAfterEach();

let server: TestServer;
beforeEach(async () => {
  server = await startServer();
});
afterEach(() => server.close());

describe('fromWebSocket in Node, against a real ws server', () => {
  it('gives the deserializer the whole message event its type promises, as a browser would', async () => {
    const seen: WebSocketMessageEvent[] = [];
    const socket = track(
      fromWebSocket<number, never>(server.url, {
        reconnect: false,
        deserializer: (event) => {
          seen.push(event);
          // What code written for the browser's event does.
          return event.ports.length + event.origin.length + event.lastEventId.length;
        },
      }),
    );
    const received = firstValues(socket.message$, 2);
    const client = await server.nextClient();
    client.socket.send('text');
    client.socket.send(new Uint8Array([1, 2]));
    expect(await received).toEqual([0, 0]);
    expect(seen).toMatchObject([
      { data: 'text', origin: '', lastEventId: '', source: null },
      { origin: '', lastEventId: '', source: null },
    ]);
    expect(seen[1]?.data).toBeInstanceOf(ArrayBuffer);
    expect(seen.map((event) => event.ports)).toEqual([[], []]);
  });

  it('delivers a message the deserializer rejects on messageEvent$ all the same, then reports it', async () => {
    const socket = track(
      fromWebSocket<unknown, never>(server.url, {
        reconnect: false,
        deserializer: (event) => JSON.parse(event.data as string) as unknown,
      }),
    );
    const order: string[] = [];
    socket.messageEvent$.subscribe((event) => order.push(`event ${event.data as string}`));
    socket.message$.subscribe((value) => order.push(`message ${JSON.stringify(value)}`));
    const errors = record(socket.error$);
    const events = firstValues(socket.messageEvent$, 3);
    const client = await server.nextClient();
    client.socket.send('1');
    client.socket.send('not json');
    client.socket.send('2');
    await events;
    expect(order).toEqual(['event 1', 'message 1', 'event not json', 'event 2', 'message 2']);
    expect(errors.values).toHaveLength(1);
    expect(errors.values[0]).toBeInstanceOf(DecodeError);
    expect(errors.values[0]).toMatchObject({ data: 'not json' });
  });
});
