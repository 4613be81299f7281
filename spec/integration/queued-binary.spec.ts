import { fromWebSocket } from '../../lib/index';
import { closeAfterEach } from '../helpers/cleanup';
import { within } from '../helpers/wait';
import { startServer, type TestServer } from '../helpers/ws-server';

// What a real ws server receives of binary messages sent before the socket opened, when the application reuses or
// transfers its buffers as soon as send() returns.

const track = closeAfterEach();

let server: TestServer;
beforeEach(async () => {
  server = await startServer();
});
afterEach(() => server.close());

/** The first `count` messages the next client sends, binary ones in hex (bounded, so that a broken spec fails). */
async function received(count: number): Promise<string[]> {
  const client = await within(server.nextClient(), 5_000, 'a client');
  await within(client.receivedCount(count), 5_000, `${count} messages`);
  return client.received.map(({ data, isBinary }) => (isBinary ? data.toString('hex') : data.toString()));
}

describe('fromWebSocket against a real ws server, with binary messages queued before the open', () => {
  it('sends 0101 0202 0303 for a scratch buffer refilled with 1, 2, 3 and sent after each fill', async () => {
    const socket = track(fromWebSocket(server.url, { reconnect: false }));
    const scratch = new Uint8Array(2);
    for (let i = 1; i <= 3; i++) {
      scratch.fill(i);
      socket.send(scratch);
    }
    socket.connect();
    await expect(received(3)).resolves.toEqual(['0101', '0202', '0303']);
  });

  it('sends every message, in order, with nothing thrown out of the open handler, when the buffers were transferred', async () => {
    const uncaught: unknown[] = [];
    const listener = (error: unknown): number => uncaught.push(error);
    process.on('uncaughtException', listener);
    try {
      const socket = track(fromWebSocket(server.url, { reconnect: false }));
      const errors: unknown[] = [];
      socket.error$.subscribe((error) => errors.push(error));
      socket.connect();
      const first = new Uint8Array([1, 1]).buffer;
      const second = new Uint8Array([2, 2]).buffer;
      socket.send(first);
      socket.send(second);
      socket.send('after');
      structuredClone(first, { transfer: [first] });
      structuredClone(second, { transfer: [second] });
      await expect(received(3)).resolves.toEqual(['0101', '0202', 'after']);
      expect(errors).toEqual([]);
      expect(uncaught).toEqual([]);
    } finally {
      process.off('uncaughtException', listener);
    }
  });
});
