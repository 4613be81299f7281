import { EncodeError, fromWebSocket, MessageNotSentError, SendQueueOverflowError } from '../../lib/index';
import { INTERNALS, type SocketInternals, type WithInternals } from '../../lib/core/internals';
import { createWebSocketDouble } from '../../lib/testing/index';
import { at, newScheduler } from '../helpers/virtual-time';

// What the opt-in features reach through the socket's internals: their send says what the socket reported instead of
// sending, so that a channel whose subscribe message was refused knows it never subscribed.

const FEED_URL = 'wss://feed.example/ws';

function setup(serializer?: (value: string) => string) {
  const server = createWebSocketDouble<string, string>({ closeDelayMs: 10 });
  const socket = fromWebSocket<string, string>(FEED_URL, {
    WebSocketCtor: server.WebSocketCtor,
    sendQueue: { maxMessages: 1 },
    ...(serializer && { serializer }),
  });
  const internals: SocketInternals<string, string> = (socket as unknown as WithInternals<string, string>)[INTERNALS]();
  const reported: unknown[] = [];
  return { server, socket, internals, reported };
}

describe("a socket's internal send", () => {
  it('returns nothing for a message sent or queued', () => {
    newScheduler().run(({ flush }) => {
      const { server, socket, internals, reported } = setup();
      socket.error$.subscribe((error) => reported.push(error));
      expect(internals.send('queued')).toBeUndefined();
      socket.connect();
      at(server, 1, () => server.latest.open());
      let sent: unknown = 'not yet';
      at(server, 2, () => (sent = internals.send('sent')));
      flush();
      expect(sent).toBeUndefined();
      expect(server.latest.sentMessages()).toEqual(['queued', 'sent']);
      expect(reported).toEqual([]);
    });
  });

  it('returns the error it reported on error$: a message the serializer refused, one the full queue refused, one sent while closing', () => {
    newScheduler().run(({ flush }) => {
      const { server, socket, internals, reported } = setup((value) => {
        if (value === 'bad') throw new Error('cannot encode');
        return value;
      });
      socket.error$.subscribe((error) => reported.push(error));
      const returned: unknown[] = [internals.send('bad'), internals.send('first'), internals.send('overflows')];
      socket.connect();
      at(server, 1, () => server.latest.open());
      at(server, 2, () => {
        socket.close();
        returned.push(internals.send('late'));
      });
      flush();
      expect(reported).toEqual([
        expect.any(EncodeError),
        expect.any(SendQueueOverflowError),
        expect.any(MessageNotSentError),
      ]);
      // The very errors reported: 'first' was queued.
      expect(returned).toHaveLength(4);
      expect(returned[0]).toBe(reported[0]);
      expect(returned[1]).toBeUndefined();
      expect(returned[2]).toBe(reported[1]);
      expect(returned[3]).toBe(reported[2]);
    });
  });

  it('throws what it cannot report when nobody listens on error$', () => {
    newScheduler().run(() => {
      const { internals } = setup(() => {
        throw new Error('cannot encode');
      });
      expect(() => internals.send('bad')).toThrow(EncodeError);
    });
  });
});
