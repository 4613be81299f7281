import { firstValueFrom, filter, take, toArray, timeout } from 'rxjs';
import {
  CallbackError,
  constantBackoff,
  fromWebSocket,
  WebSocketCloseError,
  WebSocketConstructorError,
  type ConnectionState,
} from '../../lib/index';
import { record, whenStatus } from '../helpers/observe';
import { startServer, type TestServer } from '../helpers/ws-server';
import { closeAfterEach } from '../helpers/cleanup';

const track = closeAfterEach();

let server: TestServer;
beforeEach(async () => {
  server = await startServer();
});
afterEach(() => server.close());

const fast = { backoff: constantBackoff({ delayMs: 20, jitter: 'none' }) };

describe('fromWebSocket reconnection against a real ws server', () => {
  describe.each([
    ['1001 (going away)', 1001],
    ['1011 (internal error)', 1011],
    ['1014 (bad gateway)', 1014],
  ])('when the server closes with %s', (_name, code) => {
    it('reconnects after the backoff and keeps message$ flowing', async () => {
      const socket = track(fromWebSocket(server.url, { reconnect: fast }));
      const messages = firstValueFrom(socket.message$.pipe(take(2), toArray(), timeout(5_000)));
      const closes = record(socket.close$);
      const first = await server.nextClient();
      first.socket.send('before');
      await whenStatus(socket.state$, 'open');
      first.socket.close(code, 'bye');
      const second = await server.nextClient();
      second.socket.send('after');
      expect(await messages).toEqual(['before', 'after']);
      expect(closes.values).toEqual([{ code, reason: 'bye', wasClean: true }]);
    });
  });

  it('reconnects when the connection drops without a close frame (1006)', async () => {
    const socket = track(fromWebSocket(server.url, { reconnect: fast }));
    const states: ConnectionState[] = [];
    socket.state$.subscribe((s) => states.push(s));
    const held = socket.connect();
    const opened = firstValueFrom(socket.open$.pipe(take(2), toArray(), timeout(5_000)));
    const first = await server.nextClient();
    await whenStatus(socket.state$, 'open');
    first.socket.terminate();
    await server.nextClient();
    const [a, b] = await opened;
    expect(a?.attempt).toBe(0);
    expect(b?.attempt).toBe(1);
    expect(states.map((s) => s.status)).toEqual(['idle', 'connecting', 'open', 'reconnecting', 'connecting', 'open']);
    expect(states[3]).toEqual({
      status: 'reconnecting',
      attempt: 1,
      delayMs: 20,
      lastClose: { code: 1006, reason: '', wasClean: false },
    });
    held.unsubscribe();
  });

  describe.each([
    ['1008 (policy violation)', 1008],
    ['1003 (unsupported data)', 1003],
    ['4000 (application)', 4000],
    ['3001 (library)', 3001],
  ])('when the server closes with %s', (_name, code) => {
    it('stops and errors message$ with the close', async () => {
      const socket = track(fromWebSocket(server.url, { reconnect: fast }));
      const messages = record(socket.message$);
      const client = await server.nextClient();
      await whenStatus(socket.state$, 'open');
      client.socket.close(code, 'no');
      await messages.ended;
      expect(messages.error).toBeInstanceOf(WebSocketCloseError);
      expect((messages.error as WebSocketCloseError).closeCode).toBe(code);
      expect(server.clients).toHaveLength(1);
    });
  });

  it('comes back after the server restarts and delivers what was queued, in order, exactly once', async () => {
    const socket = track(fromWebSocket(server.url, { reconnect: fast }));
    const held = socket.connect();
    const first = await server.nextClient();
    await whenStatus(socket.state$, 'open');
    socket.send('m1');
    await first.receivedCount(1);
    const port = server.port;
    await server.close();
    await whenStatus(socket.state$, 'reconnecting');
    for (let i = 2; i <= 6; i++) socket.send(`m${i}`);
    // Attempts while the server is down fail (connection refused) and are retried.
    await firstValueFrom(
      socket.state$.pipe(
        filter((s) => s.status === 'reconnecting' && s.attempt >= 2),
        timeout(5_000),
      ),
    );
    server = await startServer({}, port);
    const second = await server.nextClient();
    await second.receivedCount(5);
    await whenStatus(socket.state$, 'open');
    socket.send('m7');
    await second.receivedCount(6);
    expect(first.received.map((m) => m.data.toString())).toEqual(['m1']);
    expect(second.received.map((m) => m.data.toString())).toEqual(['m2', 'm3', 'm4', 'm5', 'm6', 'm7']);
    held.unsubscribe();
  });

  it('calls a URL provider before every attempt, so each attempt can carry a fresh token', async () => {
    let calls = 0;
    const socket = track(
      fromWebSocket(() => Promise.resolve(`${server.url}/feed?token=t${++calls}`), {
        reconnect: fast,
      }),
    );
    const held = socket.connect();
    const first = await server.nextClient();
    first.socket.terminate();
    const second = await server.nextClient();
    expect([first.requestUrl, second.requestUrl]).toEqual(['/feed?token=t1', '/feed?token=t2']);
    expect(socket.url).toBe(`${server.url}/feed?token=t2`);
    held.unsubscribe();
  });

  it('retries when a URL provider rejects, reporting the failure', async () => {
    let calls = 0;
    const socket = track(
      fromWebSocket(
        () => {
          calls++;
          if (calls === 1) return Promise.reject(new Error('token service down'));
          return server.url;
        },
        { reconnect: fast },
      ),
    );
    const errors = record(socket.error$);
    socket.connect();
    await server.nextClient();
    expect(errors.values[0]).toBeInstanceOf(CallbackError);
    expect(errors.values[0]).toMatchObject({ hook: 'url', cause: new Error('token service down') });
    expect(calls).toBe(2);
    socket.close();
  });

  it('retries when a URL provider rejects with an error coded like a Node or axios one (ERR_NETWORK)', async () => {
    let calls = 0;
    const socket = track(
      fromWebSocket(
        () => {
          calls++;
          if (calls === 1) return Promise.reject(Object.assign(new Error('Network Error'), { code: 'ERR_NETWORK' }));
          return server.url;
        },
        { reconnect: fast },
      ),
    );
    socket.connect();
    await server.nextClient();
    expect(calls).toBe(2);
    socket.close();
  });

  it('stops after one attempt when ws refuses socketOptions it can never take ({ protocolVersion: 7 })', async () => {
    const socket = track(fromWebSocket(server.url, { reconnect: fast, socketOptions: { protocolVersion: 7 } }));
    const states: ConnectionState[] = [];
    socket.state$.subscribe((s) => states.push(s));
    const errors = record(socket.error$);
    const messages = record(socket.message$);
    await messages.ended;
    expect(messages.error).toBeInstanceOf(WebSocketConstructorError);
    expect((messages.error as Error).message).toContain('Unsupported protocol version: 7');
    expect((messages.error as Error).cause).toBeInstanceOf(RangeError);
    expect(errors.values).toEqual([messages.error]);
    expect(states.map((s) => s.status)).toEqual(['idle', 'connecting', 'closed']);
  });

  it('reconnect() drops the socket and connects again at once', async () => {
    const socket = track(
      fromWebSocket(server.url, {
        reconnect: { backoff: constantBackoff({ delayMs: 60_000 }) },
      }),
    );
    const held = socket.connect();
    const first = await server.nextClient();
    await whenStatus(socket.state$, 'open');
    socket.reconnect();
    const second = await server.nextClient();
    expect((await first.closed).code).toBe(1000);
    expect(second).not.toBe(first);
    held.unsubscribe();
  });

  it('close() during a backoff wait cancels it at once', async () => {
    const socket = track(
      fromWebSocket(server.url, {
        reconnect: { backoff: constantBackoff({ delayMs: 60_000 }) },
      }),
    );
    const messages = record(socket.message$);
    const first = await server.nextClient();
    await whenStatus(socket.state$, 'open');
    first.socket.terminate();
    await whenStatus(socket.state$, 'reconnecting');
    socket.close();
    await messages.ended;
    expect(messages.completed).toBe(true);
    expect(await firstValueFrom(socket.state$)).toEqual({ status: 'closed' });
  });

  it('gives up after maxAttempts and reports the last reason', async () => {
    const port = server.port;
    await server.close();
    const socket = track(
      fromWebSocket(`ws://127.0.0.1:${port}`, {
        reconnect: { ...fast, maxAttempts: 2 },
      }),
    );
    const states: ConnectionState[] = [];
    socket.state$.subscribe((s) => states.push(s));
    const messages = record(socket.message$);
    await messages.ended;
    expect(messages.error).toBeInstanceOf(WebSocketCloseError);
    expect((messages.error as WebSocketCloseError).closeCode).toBe(1006);
    expect(states.map((s) => s.status)).toEqual([
      'idle',
      'connecting',
      'reconnecting',
      'connecting',
      'reconnecting',
      'connecting',
      'closed',
    ]);
    server = await startServer();
  });
});
