import {
  EncodeError,
  fromWebSocket,
  MessageNotSentError,
  type WebSocketConstructor,
  type WebSocketPayload,
} from '../../lib/index';
import { createWebSocketDouble, type WebSocketServerDouble } from '../../lib/testing/index';
import { newScheduler } from '../helpers/virtual-time';

// Binary messages sent before the socket opens wait in the send queue. The queue keeps a copy of their bytes, so the
// application may reuse or transfer its buffer as soon as send() returns, as it may after a send on an open socket.

const FEED_URL = 'wss://feed.example/ws';

/** Moves `buffer`'s memory away, as a transfer to a worker does: `buffer` is detached (byteLength 0) afterwards. */
function transfer(buffer: ArrayBuffer): void {
  structuredClone(buffer, { transfer: [buffer] });
}

const hex = (frame: unknown): string => Buffer.from(frame as Uint8Array).toString('hex');

/** The double's sockets, but `send` throws for a payload `rejects` accepts, as a socket does for what it cannot send. */
function rejecting(
  server: WebSocketServerDouble,
  rejects: (payload: WebSocketPayload) => boolean,
): WebSocketConstructor {
  const Base = server.WebSocketCtor;
  return class extends Base {
    override send(data: WebSocketPayload): void {
      if (rejects(data)) throw new TypeError('cannot send this');
      super.send(data);
    }
  };
}

describe('fromWebSocket', () => {
  describe('when binary messages are sent before the socket opens', () => {
    it('sends each one as it was when sent, though the application refills one scratch buffer', () => {
      newScheduler().run(({ flush }) => {
        const server = createWebSocketDouble({ autoOpen: true });
        const socket = fromWebSocket(FEED_URL, { WebSocketCtor: server.WebSocketCtor });
        const scratch = new Uint8Array(2);
        for (let i = 1; i <= 3; i++) {
          scratch.fill(i);
          socket.send(scratch);
        }
        const held = socket.connect();
        flush();
        expect(server.latest.sentMessages().map(hex)).toEqual(['0101', '0202', '0303']);
        held.unsubscribe();
      });
    });

    it('sends only the bytes of a view, as it was when sent, when its ArrayBuffer is shared with other data', () => {
      newScheduler().run(({ flush }) => {
        const server = createWebSocketDouble({ autoOpen: true });
        const socket = fromWebSocket(FEED_URL, { WebSocketCtor: server.WebSocketCtor });
        const memory = new Uint8Array([9, 1, 2, 9]);
        socket.send(new DataView(memory.buffer, 1, 2));
        socket.send(memory.buffer);
        memory.fill(0);
        const held = socket.connect();
        flush();
        expect(server.latest.sentMessages().map(hex)).toEqual(['0102', '09010209']);
        held.unsubscribe();
      });
    });

    it('sends them all, in order, though the application transferred the buffers after sending them', () => {
      newScheduler().run(({ flush }) => {
        const server = createWebSocketDouble({ autoOpen: true });
        const socket = fromWebSocket(FEED_URL, { WebSocketCtor: server.WebSocketCtor });
        const errors: unknown[] = [];
        socket.error$.subscribe((error) => errors.push(error));
        socket.connect();
        const first = new Uint8Array([1, 1]).buffer;
        const second = new Uint8Array([2, 2]);
        socket.send(first);
        socket.send(second);
        socket.send('text');
        transfer(first);
        transfer(second.buffer);
        flush();
        expect(errors).toEqual([]);
        expect(server.latest.sentMessages().map((m) => (typeof m === 'string' ? m : hex(m)))).toEqual([
          '0101',
          '0202',
          'text',
        ]);
      });
    });

    it('counts a queued copy in bufferedAmount by the bytes it holds, and lets go of it once sent', () => {
      newScheduler().run(({ flush }) => {
        const server = createWebSocketDouble({ autoOpen: true });
        const socket = fromWebSocket(FEED_URL, { WebSocketCtor: server.WebSocketCtor });
        const buffer = new Uint8Array(8).buffer;
        socket.send(buffer);
        transfer(buffer);
        expect(socket.bufferedAmount).toBe(8);
        const held = socket.connect();
        flush();
        expect(socket.bufferedAmount).toBe(0);
        held.unsubscribe();
      });
    });

    it('reports a detached buffer as an EncodeError and queues nothing for it', () => {
      newScheduler().run(({ flush }) => {
        const server = createWebSocketDouble({ autoOpen: true });
        const socket = fromWebSocket(FEED_URL, { WebSocketCtor: server.WebSocketCtor });
        const errors: unknown[] = [];
        socket.error$.subscribe((error) => errors.push(error));
        socket.connect();
        const gone = new Uint8Array(4);
        transfer(gone.buffer);
        socket.send(gone);
        socket.send('after');
        flush();
        expect(errors).toHaveLength(1);
        expect(errors[0]).toBeInstanceOf(EncodeError);
        expect((errors[0] as EncodeError).value).toBe(gone);
        expect(server.latest.sentMessages()).toEqual(['after']);
      });
    });
  });

  describe('when the socket throws on a queued message as the queue is sent on open', () => {
    it('reports that message on error$ as a MessageNotSentError, and still sends the ones after it, in order', () => {
      newScheduler().run(({ flush }) => {
        const server = createWebSocketDouble<string, string>({ autoOpen: true });
        const socket = fromWebSocket<string, string>(FEED_URL, {
          WebSocketCtor: rejecting(server, (payload) => payload === 'bad'),
        });
        const seen: string[] = [];
        const errors: unknown[] = [];
        socket.error$.subscribe((error) => errors.push(error));
        socket.open$.subscribe(() => seen.push('open$'));
        socket.connect();
        for (const message of ['a', 'bad', 'b', 'bad', 'c']) socket.send(message);
        flush();
        expect(server.latest.sentMessages()).toEqual(['a', 'b', 'c']);
        expect(errors).toHaveLength(1);
        const error = errors[0] as MessageNotSentError<string>;
        expect(error).toBeInstanceOf(MessageNotSentError);
        expect(error.reason).toBe('send-threw');
        expect(error.messages).toEqual(['bad', 'bad']);
        expect(error.cause).toBeInstanceOf(TypeError);
        expect(error.message).toBe('2 message(s) not sent: the socket threw a TypeError on open');
        // The open goes on: it is announced, and the socket stays open.
        expect(seen).toEqual(['open$']);
        expect(server.latest.readyState).toBe(1);
      });
    });

    it('throws nothing out of the socket’s open handler when nobody listens on error$', () => {
      newScheduler().run(({ flush }) => {
        const server = createWebSocketDouble<string, string>({ autoOpen: true });
        const socket = fromWebSocket<string, string>(FEED_URL, {
          WebSocketCtor: rejecting(server, (payload) => payload === 'bad'),
        });
        const messages: string[] = [];
        socket.message$.subscribe((message) => messages.push(message));
        socket.send('bad');
        socket.send('good');
        expect(() => flush()).not.toThrow();
        expect(server.latest.sentMessages()).toEqual(['good']);
        server.latest.message('still connected');
        flush();
        expect(messages).toEqual(['still connected']);
      });
    });
  });

  describe('when the socket is open', () => {
    it('hands the application’s own payload to the socket: no copy on the direct path', () => {
      newScheduler().run(({ flush }) => {
        const server = createWebSocketDouble({ autoOpen: true });
        const handed: unknown[] = [];
        const Base = server.WebSocketCtor;
        const Recording = class extends Base {
          override send(data: WebSocketPayload): void {
            handed.push(data);
            super.send(data);
          }
        } as unknown as WebSocketConstructor;
        const socket = fromWebSocket(FEED_URL, { WebSocketCtor: Recording });
        const held = socket.connect();
        flush();
        const view = new Uint8Array([7]);
        socket.send(view);
        socket.send(view.buffer);
        expect(handed).toHaveLength(2);
        expect(handed[0]).toBe(view);
        expect(handed[1]).toBe(view.buffer);
        held.unsubscribe();
      });
    });
  });
});
