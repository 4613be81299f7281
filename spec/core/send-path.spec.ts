import { filter } from 'rxjs';
import {
  constantBackoff,
  EncodeError,
  fromWebSocket,
  MessageNotSentError,
  multiplex,
  SendQueueOverflowError,
  type ConnectionState,
  type RxWebSocketError,
  type WebSocketOptions,
} from 'rx-websocket';
import { createWebSocketDouble, type WebSocketDoubleOptions } from 'rx-websocket/testing';
import { at, newScheduler } from '../helpers/virtual-time';

// The socket object's own send path and the edges of its state (pinned after mutation testing): what a value that is
// no payload gives, a 'throw' overflow through send(), a send from a state$ callback of `closing`, the first cause of a
// failed flush, a send$ that ends twice, a close() nested in its own error report, the URL before any connection.

const FEED_URL = 'wss://feed.example/ws';

function setup(options: WebSocketOptions<unknown, unknown> = {}, doubleOptions: WebSocketDoubleOptions = {}) {
  const server = createWebSocketDouble<unknown, unknown>(doubleOptions);
  const socket = fromWebSocket<unknown, unknown>(FEED_URL, { WebSocketCtor: server.WebSocketCtor, ...options });
  const errors: RxWebSocketError[] = [];
  return { server, socket, errors };
}

describe('a value that is not a payload', () => {
  it('is an EncodeError naming what the serializer returned', () => {
    newScheduler().run(() => {
      const { socket, errors } = setup({ serializer: () => 42 as unknown as string });
      socket.error$.subscribe((error) => errors.push(error));
      socket.send('hello');
      expect(errors).toEqual([expect.any(EncodeError)]);
      const cause = (errors[0] as EncodeError).cause as TypeError;
      expect(cause).toBeInstanceOf(TypeError);
      expect(cause.message).toBe(
        'the serializer returned a number, not a string, ArrayBuffer, Blob or ArrayBufferView',
      );
    });
  });

  it('is an EncodeError naming what send was given, without a serializer', () => {
    newScheduler().run(() => {
      const { socket, errors } = setup({ serializer: undefined });
      socket.error$.subscribe((error) => errors.push(error));
      socket.send({ n: 1 });
      expect(((errors[0] as EncodeError).cause as TypeError).message).toBe(
        'without a serializer, send was given an object (Object), not a string, ArrayBuffer, Blob or ArrayBufferView',
      );
    });
  });
});

describe("a send that overflows the queue with overflow: 'throw'", () => {
  it('throws SendQueueOverflowError to the caller and reports nothing', () => {
    newScheduler().run(() => {
      const { socket, errors } = setup({ sendQueue: { maxMessages: 1, overflow: 'throw' } });
      socket.error$.subscribe((error) => errors.push(error));
      socket.send('first');
      expect(() => socket.send('second')).toThrow(SendQueueOverflowError);
      expect(errors).toEqual([]);
    });
  });
});

describe('a send from a state$ callback of closing', () => {
  it('is reported as sent while closing, and never reaches the closing connection', () => {
    newScheduler().run(({ flush }) => {
      const { server, socket, errors } = setup({}, { autoOpen: true, holdClose: true });
      socket.error$.subscribe((error) => errors.push(error));
      socket.state$
        .pipe(filter((state: ConnectionState) => state.status === 'closing'))
        .subscribe(() => socket.send('late'));
      socket.connect();
      at(server, 5, () => socket.close());
      flush();
      expect(server.latest.sentMessages()).toEqual([]);
      expect(errors).toEqual([expect.objectContaining({ reason: 'sent-while-closing', messages: ['late'] })]);
    });
  });
});

describe('a flush where the socket throws', () => {
  it('reports every message not sent, with the first error as the cause', () => {
    newScheduler().run(({ flush }) => {
      const { server, socket, errors } = setup({}, { autoOpen: true });
      socket.error$.subscribe((error) => errors.push(error));
      server.connection$.subscribe((connection) => {
        let n = 0;
        connection.socket.send = () => {
          throw new Error(`send ${++n} failed`);
        };
      });
      socket.send('a');
      socket.send('b');
      socket.connect();
      flush();
      expect(errors).toHaveLength(1);
      const notSent = errors[0] as MessageNotSentError<unknown>;
      expect(notSent).toBeInstanceOf(MessageNotSentError);
      expect(notSent.messages).toEqual(['a', 'b']);
      expect((notSent.cause as Error).message).toBe('send 1 failed');
    });
  });
});

describe('send$ once it has ended', () => {
  it.each([
    ['complete()', (send$: { complete(): void }) => send$.complete()],
    ['error()', (send$: { error(error: unknown): void }) => send$.error(new Error('again'))],
  ])('ignores a later %s: a new connection is not closed by it', (_, endAgain) => {
    newScheduler().run(({ flush }) => {
      const { server, socket } = setup({}, { autoOpen: true });
      socket.connect();
      at(server, 5, () => socket.send$.complete());
      at(server, 20, () => socket.connect());
      at(server, 30, () => endAgain(socket.send$));
      flush();
      expect(server.connections).toHaveLength(2);
      expect(server.connection(1).clientClose).toBeUndefined();
    });
  });
});

describe('close() when its own error report replaces the session', () => {
  it('leaves the new session as it is', () => {
    newScheduler().run(({ flush }) => {
      const { server, socket } = setup();
      const states: string[] = [];
      socket.state$.subscribe((state) => states.push(state.status));
      socket.connect();
      socket.send('queued');
      let replaced = false;
      socket.error$.subscribe(() => {
        if (replaced) return;
        replaced = true;
        // Closes the connecting session (it ends at once), then starts another.
        socket.close();
        socket.connect();
      });
      socket.close();
      expect(states).toEqual(['idle', 'connecting', 'closed', 'connecting']);
      at(server, 1, () => {
        expect(server.connections).toHaveLength(1);
        expect(server.latest.clientClose).toBeUndefined();
        socket.close();
      });
      flush();
    });
  });
});

describe('a channel made from a state$ callback of an open', () => {
  it.each([
    ['the first', 1],
    ['a later', 2],
  ])('subscribes once on %s connection, on open$, not also at once', (_, which) => {
    newScheduler().run(({ flush }) => {
      const { server, socket } = setup({ reconnect: { backoff: () => 10 } }, { autoOpen: true });
      socket.connect();
      let opens = 0;
      socket.state$.pipe(filter((state) => state.status === 'open')).subscribe(() => {
        if (++opens === which)
          multiplex(
            socket,
            () => 'sub',
            () => 'unsub',
            () => true,
          ).subscribe();
      });
      at(server, 5, () => server.latest.drop());
      flush();
      expect(server.connections).toHaveLength(2);
      expect(server.connection(which - 1).sentMessages()).toEqual(['sub']);
    });
  });
});

describe('a send from a state$ callback of the close that completing send$ asked for', () => {
  it.each([
    ['on the first connection', false],
    ['on a connection after one the application closed', true],
  ])('is reported as sent while closing %s, not queued', (_, closedBefore) => {
    newScheduler().run(({ flush }) => {
      const { server, socket, errors } = setup({}, { autoOpen: true, holdClose: true });
      socket.error$.subscribe((error) => errors.push(error));
      socket.state$.pipe(filter((state) => state.status === 'closing')).subscribe(() => socket.send('late'));
      const finish = (): void => {
        errors.length = 0;
        socket.send$.complete();
        socket.connect();
      };
      if (closedBefore) {
        socket.connect();
        at(server, 5, () => socket.close());
        at(server, 10, () => server.connection(0).close(1000));
        at(server, 20, finish);
      } else finish();
      flush();
      expect(errors).toEqual([expect.objectContaining({ reason: 'sent-while-closing', messages: ['late'] })]);
      expect(server.latest.sentMessages()).toEqual([]);
    });
  });
});

describe('a channel made from a state$ callback of closing', () => {
  it('waits for the next connection instead of subscribing on the one closing', () => {
    newScheduler().run(({ flush }) => {
      const { server, socket, errors } = setup({}, { autoOpen: true, holdClose: true });
      socket.error$.subscribe((error) => errors.push(error));
      const got: unknown[] = [];
      socket.state$.pipe(filter((state) => state.status === 'closing')).subscribe(() => {
        multiplex(
          socket,
          () => 'sub',
          () => 'unsub',
          () => true,
        ).subscribe({ error: (error) => got.push(error) });
      });
      socket.connect();
      at(server, 5, () => socket.close());
      at(server, 10, () => server.connection(0).close(1000));
      flush();
      expect(errors).toEqual([]);
      expect(got).toEqual([]);
      expect(server.connection(0).sentMessages()).toEqual([]);
      expect(server.connections).toHaveLength(2);
      expect(server.connection(1).sentMessages()).toEqual(['sub']);
    });
  });
});

describe('the URL before any connection', () => {
  it('is the normalised URL given, and empty for a provider', () => {
    expect(fromWebSocket('WSS://Feed.Example:443/ws').url).toBe('wss://feed.example/ws');
    expect(fromWebSocket(() => FEED_URL).url).toBe('');
  });

  it('is empty for a URL that cannot be parsed (the error comes when it connects)', () => {
    expect(fromWebSocket('http://[bad').url).toBe('');
  });

  it('has no protocol or extensions yet', () => {
    const socket = fromWebSocket(FEED_URL);
    expect(socket.protocol).toBe('');
    expect(socket.extensions).toBe('');
  });
});

describe('a send while the server’s close frame is read, before its close event', () => {
  it('is queued for the next connection: the socket already discards what it is given, so it is not handed to it', () => {
    newScheduler().run(({ flush }) => {
      const { server, socket, errors } = setup(
        { serializer: (value) => String(value), reconnect: { backoff: constantBackoff({ delayMs: 10 }) } },
        { autoOpen: true },
      );
      socket.error$.subscribe((error) => errors.push(error));
      const states: ConnectionState['status'][] = [];
      socket.state$.subscribe((state) => states.push(state.status));
      socket.message$.subscribe({ error: () => undefined });
      at(server, 5, () => {
        // Service restart: retried. The frame is read now; the close event fires in a task of its own, after this.
        server.latest.close(1012);
        server.scheduler.schedule(() => {
          expect(server.latest.readyState).toBe(2);
          socket.send('in the window');
        });
      });
      flush();
      expect(server.connections).toHaveLength(2);
      expect(server.connection(0).sentMessages()).toEqual([]);
      expect(server.connection(1).sentMessages()).toEqual(['in the window']);
      expect(errors).toEqual([]);
      expect(states).toEqual(['idle', 'connecting', 'open', 'reconnecting', 'connecting', 'open']);
    });
  });
});
