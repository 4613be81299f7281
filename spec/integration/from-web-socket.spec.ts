import { Blob } from 'node:buffer';
import { firstValueFrom } from 'rxjs';
import {
  DecodeError,
  EncodeError,
  fromWebSocket,
  InvalidCloseCodeError,
  InvalidCloseReasonError,
  json,
  ProtocolNegotiationError,
  SendQueueOverflowError,
  UnsupportedUrlError,
  WebSocketCloseError,
  type ConnectionState,
} from '../../lib/index';
import { firstValues, record, whenStatus } from '../helpers/observe';
import { startServer, type TestServer } from '../helpers/ws-server';
import { closeAfterEach } from '../helpers/cleanup';

const track = closeAfterEach();

let server: TestServer;
beforeEach(async () => {
  server = await startServer({
    handleProtocols: (protocols) => (protocols.has('v2.feed') ? 'v2.feed' : false),
  });
});
afterEach(() => server.close());

const noRetry = { reconnect: false } as const;

describe('fromWebSocket against a real ws server', () => {
  describe('lifecycle', () => {
    it('does not connect until a stream is subscribed, then shares one socket', async () => {
      const socket = track(fromWebSocket(server.url, noRetry));
      expect(server.clients).toHaveLength(0);
      const states: ConnectionState[] = [];
      socket.state$.subscribe((s) => states.push(s));
      expect(states).toEqual([{ status: 'idle' }]);
      const a = socket.message$.subscribe();
      const b = socket.close$.subscribe();
      const opened = await firstValueFrom(socket.open$);
      expect(opened).toEqual({
        url: `${server.url}/`,
        protocol: '',
        extensions: '',
        attempt: 0,
      });
      expect(server.clients).toHaveLength(1);
      expect(states.map((s) => s.status)).toEqual(['idle', 'connecting', 'open']);
      a.unsubscribe();
      b.unsubscribe();
    });

    it('closes with 1000 when the last subscriber leaves: closing, then closed with the clean close it made', async () => {
      const socket = track(fromWebSocket(server.url, noRetry));
      const sub = socket.message$.subscribe();
      const client = await server.nextClient();
      await whenStatus(socket.state$, 'open');
      const states: ConnectionState[] = [];
      socket.state$.subscribe((s) => states.push(s));
      sub.unsubscribe();
      await expect(client.closed).resolves.toEqual({ code: 1000, reason: '' });
      await whenStatus(socket.state$, 'closed');
      expect(states.slice(1)).toEqual([
        { status: 'closing' },
        { status: 'closed', close: { code: 1000, reason: '', wasClean: true } },
      ]);
    });

    it('closes cleanly, with no error escaping, when unsubscribed while still connecting', async () => {
      const socket = track(fromWebSocket(server.url, noRetry));
      const errors: unknown[] = [];
      const sub = socket.error$.subscribe((e) => errors.push(e));
      const held = socket.connect();
      expect((await firstValueFrom(socket.state$)).status).toBe('connecting');
      held.unsubscribe();
      // The aborted handshake reports an error event on the socket; it must be swallowed, not thrown nor reported.
      await new Promise((resolve) => setImmediate(resolve));
      expect(errors).toEqual([]);
      sub.unsubscribe();
      expect(socket.readyState).toBeGreaterThanOrEqual(2);
    });

    it('keeps the connection with connect() and lets go when that subscription ends', async () => {
      const socket = track(fromWebSocket(server.url, noRetry));
      const held = socket.connect();
      const client = await server.nextClient();
      await whenStatus(socket.state$, 'open');
      held.unsubscribe();
      expect((await client.closed).code).toBe(1000);
    });

    it('reads url as the absolute URL, turning http into ws', async () => {
      const socket = track(fromWebSocket(server.url.replace('ws:', 'http:') + '/feed?token=secret', noRetry));
      expect(socket.url).toBe(`${server.url}/feed?token=secret`);
      const held = socket.connect();
      const client = await server.nextClient();
      expect(client.requestUrl).toBe('/feed?token=secret');
      held.unsubscribe();
    });

    it('accepts a URL object', async () => {
      const socket = track(fromWebSocket(new URL(server.url), noRetry));
      const opened = firstValueFrom(socket.open$);
      socket.connect();
      expect((await opened).url).toBe(`${server.url}/`);
    });
  });

  describe('receiving', () => {
    it('emits text frames as strings and binary frames as ArrayBuffer by default', async () => {
      const socket = track(fromWebSocket(server.url, noRetry));
      const received = firstValues(socket.message$, 2);
      const client = await server.nextClient();
      client.socket.send('hello');
      client.socket.send(Buffer.from([1, 2, 3]));
      const [text, binary] = await received;
      expect(text).toBe('hello');
      expect(binary).toBeInstanceOf(ArrayBuffer);
      expect([...new Uint8Array(binary as ArrayBuffer)]).toEqual([1, 2, 3]);
    });

    it('emits binary frames as Blob when binaryType is blob, also when set after connecting', async () => {
      const socket = track(fromWebSocket(server.url, noRetry));
      const received = firstValues(socket.message$, 2);
      const client = await server.nextClient();
      await whenStatus(socket.state$, 'open');
      client.socket.send(Buffer.from([9]));
      await firstValues(socket.message$, 1).catch(() => undefined);
      socket.binaryType = 'blob';
      expect(socket.binaryType).toBe('blob');
      client.socket.send(Buffer.from([7, 8]));
      const [first, second] = await received;
      expect(first).toBeInstanceOf(ArrayBuffer);
      expect(second).toBeInstanceOf(Blob);
      expect([...new Uint8Array(await (second as Blob).arrayBuffer())]).toEqual([7, 8]);
    });

    it('gives the whole message event on messageEvent$', async () => {
      const socket = track(fromWebSocket(server.url, noRetry));
      const received = firstValues(socket.messageEvent$, 1);
      (await server.nextClient()).socket.send('x');
      expect(await received).toEqual([{ data: 'x', origin: '', lastEventId: '', source: null, ports: [] }]);
    });

    it('decodes with a deserializer, reports a DecodeError on error$ and goes on', async () => {
      const socket = track(
        fromWebSocket<{ n: number }, never>(server.url, {
          ...json(),
          ...noRetry,
        }),
      );
      const errors = record(socket.error$);
      const received = firstValues(socket.message$, 2);
      const client = await server.nextClient();
      client.socket.send('{"n":1}');
      client.socket.send('not json');
      client.socket.send('{"n":2}');
      expect(await received).toEqual([{ n: 1 }, { n: 2 }]);
      expect(errors.values).toHaveLength(1);
      expect(errors.values[0]).toBeInstanceOf(DecodeError);
      expect(errors.values[0]).toMatchObject({
        code: 'ERR_DECODE',
        data: 'not json',
      });
    });

    it("ends the streams with the DecodeError when decodeErrors is 'fatal'", async () => {
      const socket = track(
        fromWebSocket(server.url, {
          ...json(),
          decodeErrors: 'fatal',
          ...noRetry,
        }),
      );
      const messages = record(socket.message$);
      const client = await server.nextClient();
      client.socket.send('{');
      await messages.ended;
      expect(messages.error).toBeInstanceOf(DecodeError);
      expect((await client.closed).code).toBe(1000);
    });
  });

  describe('sending', () => {
    const views: [string, () => ArrayBufferView][] = [
      ['Int8Array', () => new Int8Array([-1, 2])],
      ['Uint8Array', () => new Uint8Array([1, 255])],
      ['Uint8ClampedArray', () => new Uint8ClampedArray([0, 200])],
      ['Int16Array', () => new Int16Array([-2, 300])],
      ['Uint16Array', () => new Uint16Array([65535])],
      ['Int32Array', () => new Int32Array([-5])],
      ['Uint32Array', () => new Uint32Array([4_000_000_000])],
      ['Float32Array', () => new Float32Array([1.5])],
      ['Float64Array', () => new Float64Array([Math.PI])],
      ['BigInt64Array', () => new BigInt64Array([-3n])],
      ['BigUint64Array', () => new BigUint64Array([3n])],
      ['DataView', () => new DataView(new Uint8Array([1, 2, 3, 4]).buffer, 1, 2)],
      ['a subarray view', () => new Uint8Array([10, 11, 12, 13]).subarray(1, 3)],
    ];

    it.each(views)('sends a %s byte-exact', async (_name, make) => {
      const socket = track(fromWebSocket(server.url, noRetry));
      const held = socket.connect();
      const client = await server.nextClient();
      await whenStatus(socket.state$, 'open');
      const view = make();
      socket.send(view);
      await client.receivedCount(1);
      const expected = Buffer.from(view.buffer, view.byteOffset, view.byteLength);
      expect(client.received[0]).toEqual({ data: expected, isBinary: true });
      held.unsubscribe();
    });

    it('sends strings as text, ArrayBuffer and Blob as binary', async () => {
      const socket = track(fromWebSocket(server.url, noRetry));
      const held = socket.connect();
      const client = await server.nextClient();
      await whenStatus(socket.state$, 'open');
      socket.send('héllo');
      socket.send(new Uint8Array([1, 2]).buffer);
      socket.send(new Blob([new Uint8Array([3, 4])]) as unknown as globalThis.Blob);
      await client.receivedCount(3);
      expect(client.received).toEqual([
        { data: Buffer.from('héllo'), isBinary: false },
        { data: Buffer.from([1, 2]), isBinary: true },
        { data: Buffer.from([3, 4]), isBinary: true },
      ]);
      held.unsubscribe();
    });

    it('queues what is sent while connecting and sends it in order on open, before open$ subscribers send', async () => {
      const socket = track(fromWebSocket(server.url, noRetry));
      socket.open$.subscribe(() => socket.send('from open$'));
      socket.connect();
      socket.send('one');
      socket.send$.next('two');
      expect(socket.bufferedAmount).toBe(6);
      const client = await server.nextClient();
      await client.receivedCount(3);
      expect(client.received.map((m) => m.data.toString())).toEqual(['one', 'two', 'from open$']);
      expect(socket.bufferedAmount).toBe(0);
    });

    it('reports overflow of the bounded queue on error$ and keeps the queued messages', async () => {
      const socket = track(
        fromWebSocket(server.url, {
          sendQueue: { maxMessages: 2 },
          ...noRetry,
        }),
      );
      const errors = record(socket.error$);
      socket.connect();
      socket.send('a');
      socket.send('b');
      socket.send('c');
      expect(errors.values).toHaveLength(1);
      expect(errors.values[0]).toBeInstanceOf(SendQueueOverflowError);
      expect(errors.values[0]).toMatchObject({
        code: 'ERR_SEND_QUEUE_OVERFLOW',
        rejected: 'c',
      });
      const client = await server.nextClient();
      await client.receivedCount(2);
      expect(client.received.map((m) => m.data.toString())).toEqual(['a', 'b']);
    });

    it("throws on overflow when overflow is 'throw'", () => {
      const socket = track(
        fromWebSocket(server.url, {
          sendQueue: { maxBytes: 4, overflow: 'throw' },
          ...noRetry,
        }),
      );
      socket.send('abcd');
      expect(() => socket.send('e')).toThrow(SendQueueOverflowError);
      expect(() => socket.send$.next('e')).toThrow(SendQueueOverflowError);
    });

    it('throws the overflow when nobody listens on error$, so it is never silent', () => {
      const socket = track(
        fromWebSocket(server.url, {
          sendQueue: { maxMessages: 0 },
          ...noRetry,
        }),
      );
      expect(() => socket.send('x')).toThrow(SendQueueOverflowError);
    });

    it('reports an EncodeError when the serializer throws or returns a non-payload', () => {
      const socket = track(
        fromWebSocket<string, { bad?: boolean }>(server.url, {
          serializer: (v) => {
            if (v.bad) throw new Error('boom');
            return undefined as unknown as string;
          },
          ...noRetry,
        }),
      );
      const errors = record(socket.error$);
      socket.send({ bad: true });
      socket.send({});
      expect(errors.values.map((e) => (e as EncodeError).code)).toEqual(['ERR_ENCODE', 'ERR_ENCODE']);
      // The message names the cause's class only (a serializer's text may quote the value); the cause says the rest.
      expect((errors.values[0] as Error).message).toContain('an Error');
      expect((errors.values[0] as Error).message).not.toContain('boom');
      expect(((errors.values[0] as Error).cause as Error).message).toBe('boom');
      expect(((errors.values[1] as Error).cause as Error).message).toContain('undefined');
    });

    it('reports an object sent without a serializer', () => {
      const socket = track(fromWebSocket<unknown, unknown>(server.url, noRetry));
      let thrown: unknown;
      try {
        socket.send({ a: 1 });
      } catch (error) {
        thrown = error;
      }
      expect(thrown).toBeInstanceOf(EncodeError);
      expect(((thrown as Error).cause as Error).message).toMatch(/without a serializer.*an object \(Object\)/);
    });

    it('flushes and closes with 1000 when send$ completes', async () => {
      const socket = track(fromWebSocket(server.url, noRetry));
      const messages = record(socket.message$);
      socket.send$.next('last words');
      socket.send$.complete();
      const client = await server.nextClient();
      expect(await client.closed).toEqual({ code: 1000, reason: '' });
      expect(client.received.map((m) => m.data.toString())).toEqual(['last words']);
      await messages.ended;
      expect(messages.completed).toBe(true);
    });
  });

  describe('closing', () => {
    it('closes with the given code and reason, then completes the streams', async () => {
      const socket = track(fromWebSocket(server.url));
      const states: string[] = [];
      socket.state$.subscribe((s) => states.push(s.status));
      const messages = record(socket.message$);
      const closes = record(socket.close$);
      const client = await server.nextClient();
      await whenStatus(socket.state$, 'open');
      socket.close(4321, 'bye ✓');
      expect(await client.closed).toEqual({ code: 4321, reason: 'bye ✓' });
      await messages.ended;
      expect(messages.completed).toBe(true);
      expect(closes.values).toEqual([{ code: 4321, reason: 'bye ✓', wasClean: true }]);
      expect(states).toEqual(['idle', 'connecting', 'open', 'closing', 'closed']);
    });

    it('reports messages still queued at close() as not sent, and does not send them later', async () => {
      let release: () => void = () => {};
      const gate = new Promise<void>((resolve) => (release = resolve));
      const gated = await startServer({
        verifyClient: (_info, done) => void gate.then(() => done(true)),
      });
      try {
        const socket = track(fromWebSocket(gated.url, noRetry));
        const errors = record(socket.error$);
        socket.connect();
        socket.send('never');
        await whenStatus(socket.state$, 'connecting');
        socket.close();
        expect(errors.values[0]).toMatchObject({
          code: 'ERR_MESSAGE_NOT_SENT',
          messages: ['never'],
        });
        expect(await firstValueFrom(socket.state$)).toEqual({
          status: 'closed',
        });
        // error$ observes: it does not end with the connection, and reports nothing more for it.
        expect(errors.completed).toBe(false);
        expect(errors.values).toHaveLength(1);
        const again = socket.connect();
        socket.send('fresh');
        release();
        const client = await gated.nextClient();
        await client.receivedCount(1);
        expect(gated.clients.flatMap((c) => c.received.map((m) => m.data.toString()))).toEqual(['fresh']);
        again.unsubscribe();
      } finally {
        await gated.close();
      }
    });

    it('rejects codes and reasons a browser would reject, naming the rule', () => {
      const socket = track(fromWebSocket(server.url, noRetry));
      expect(() => socket.close(1001)).toThrow(InvalidCloseCodeError);
      expect(() => socket.close(2999)).toThrow(/1000 or an integer in 3000-4999/);
      expect(() => socket.close(3000.5)).toThrow(InvalidCloseCodeError);
      expect(() => socket.close(1000, 'x'.repeat(124))).toThrow(InvalidCloseReasonError);
      expect(() => socket.close(1000, 'é'.repeat(62))).toThrow(/124 UTF-8 bytes/);
      expect(() => socket.close(1000, 'x'.repeat(123))).not.toThrow();
    });

    it('errors message$ with a WebSocketCloseError when the server closes with a stop code', async () => {
      const socket = track(fromWebSocket(server.url));
      const messages = record(socket.message$);
      const client = await server.nextClient();
      await whenStatus(socket.state$, 'open');
      client.socket.close(4401, 'unauthorized');
      await messages.ended;
      expect(messages.error).toBeInstanceOf(WebSocketCloseError);
      expect(messages.error).toMatchObject({
        code: 'ERR_WEBSOCKET_CLOSED',
        closeCode: 4401,
        reason: 'unauthorized',
        wasClean: true,
      });
      const state = await firstValueFrom(socket.state$);
      expect(state).toMatchObject({
        status: 'closed',
        close: { code: 4401, reason: 'unauthorized', wasClean: true },
      });
    });

    it('completes the streams when the server closes with 1000', async () => {
      const socket = track(fromWebSocket(server.url));
      const messages = record(socket.message$);
      const client = await server.nextClient();
      await whenStatus(socket.state$, 'open');
      client.socket.close(1000);
      await messages.ended;
      expect(messages.completed).toBe(true);
    });
  });

  describe('sub-protocols', () => {
    it('offers protocols and exposes the one the server chose', async () => {
      const socket = track(fromWebSocket(server.url, ['v1.feed', 'v2.feed'], noRetry));
      const opening = firstValueFrom(socket.open$);
      socket.connect();
      const opened = await opening;
      expect(opened.protocol).toBe('v2.feed');
      expect(socket.protocol).toBe('v2.feed');
      expect((await server.nextClient()).protocol).toBe('v2.feed');
    });

    it('reports a server that accepts none of them as a ProtocolNegotiationError and does not retry', async () => {
      const socket = track(fromWebSocket(server.url, 'v9.unknown'));
      const messages = record(socket.message$);
      await messages.ended;
      expect(messages.error).toBeInstanceOf(ProtocolNegotiationError);
      expect(messages.error).toMatchObject({ offered: ['v9.unknown'] });
      expect((messages.error as Error).message).not.toContain('v9.unknown');
      expect(server.clients.length).toBeLessThanOrEqual(1);
    });
  });

  describe('bad URLs', () => {
    it.each([
      ['a relative URL', '/feed'],
      ['another scheme', 'ftp://127.0.0.1/feed'],
      ['garbage', 'not a url'],
    ])('reports %s as UnsupportedUrlError on error$ and errors message$', async (_name, url) => {
      const socket = track(fromWebSocket(url));
      const errors = record(socket.error$);
      const messages = record(socket.message$);
      await messages.ended;
      expect(messages.error).toBeInstanceOf(UnsupportedUrlError);
      // Both subscribed in the same turn, so they share the one failed attempt: one error, reported on both.
      expect(errors.values).toEqual([messages.error]);
      expect(errors.values[0]).toBe(messages.error);
      // error$ observes: it does not end with the connection.
      expect(errors.completed).toBe(false);
      expect(errors.error).toBeUndefined();
    });

    it('never prints the query string of a URL in an error', async () => {
      const socket = track(fromWebSocket('ftp://user:pw@example.test/x?token=hunter2'));
      const messages = record(socket.message$);
      await messages.ended;
      expect((messages.error as Error).message).not.toMatch(/hunter2|pw/);
      expect((messages.error as Error).message).toContain('ftp://example.test/x');
    });
  });

  it('queues what is sent after a close and delivers it on the next connection', async () => {
    const socket = track(fromWebSocket(server.url, noRetry));
    const held = socket.connect();
    const first = await server.nextClient();
    await whenStatus(socket.state$, 'open');
    socket.close();
    await first.closed;
    await whenStatus(socket.state$, 'closed');
    socket.send('after');
    held.unsubscribe();
    const again = socket.connect();
    const second = await server.nextClient();
    await second.receivedCount(1);
    expect(second.received.map((m) => m.data.toString())).toEqual(['after']);
    again.unsubscribe();
  });
});
