import { filter, firstValueFrom, timeout } from 'rxjs';
import { constantBackoff, fromWebSocket, heartbeat, HeartbeatTimeoutError } from '../../lib/index';
import { closeAfterEach } from '../helpers/cleanup';
import { record, whenStatus } from '../helpers/observe';
import { startTcpProxy, type TcpProxy } from '../helpers/tcp-proxy';
import { startServer, type TestServer } from '../helpers/ws-server';

const track = closeAfterEach();
let server: TestServer;
let proxy: TcpProxy;
beforeEach(async () => {
  server = await startServer();
  proxy = await startTcpProxy(server.port);
});
afterEach(async () => {
  await proxy.close();
  await server.close();
});

describe('heartbeat against a real server behind a TCP proxy', () => {
  it('notices a half-open connection within interval + timeout and reconnects once the network forwards again', async () => {
    const intervalMs = 150;
    const timeoutMs = 100;
    const socket = track(
      fromWebSocket(proxy.url, {
        heartbeat: heartbeat({ intervalMs, timeoutMs }),
        reconnect: { backoff: constantBackoff({ delayMs: 50 }), connectTimeoutMs: 200 },
      }),
    );
    const errors = record(socket.error$);
    const closes = record(socket.close$);
    const messages = record(socket.message$);
    const first = await server.nextClient();
    await whenStatus(socket.state$, 'open');
    first.socket.send('before');
    await firstValueFrom(
      socket.message$.pipe(
        filter((m) => m === 'before'),
        timeout(5_000),
      ),
    );

    // The silent failure: nothing gets through, nothing is closed.
    proxy.blackhole();
    const silentSince = performance.now();
    await firstValueFrom(
      socket.state$.pipe(
        filter((s) => s.status === 'reconnecting'),
        timeout(5_000),
      ),
    );
    const noticedAfterMs = performance.now() - silentSince;
    expect(errors.values.find((e) => e instanceof HeartbeatTimeoutError)).toBeDefined();
    expect(closes.values).toContainEqual({ code: 1006, reason: 'heartbeat timeout', wasClean: false });
    // Allow the event loop some slack over interval + timeout, but far less than a TCP timeout.
    expect(noticedAfterMs).toBeLessThan(intervalMs + timeoutMs + 250);

    proxy.forward();
    const second = await server.nextClient();
    await whenStatus(socket.state$, 'open');
    second.socket.send('after');
    await firstValueFrom(
      socket.message$.pipe(
        filter((m) => m === 'after'),
        timeout(5_000),
      ),
    );
    expect(messages.values).toEqual(['before', 'after']);
  });

  it('keeps a quiet but healthy connection open with protocol pings', async () => {
    const socket = track(fromWebSocket(server.url, { heartbeat: heartbeat({ intervalMs: 40, timeoutMs: 40 }) }));
    const closes = record(socket.close$);
    socket.connect();
    const client = await server.nextClient();
    let pings = 0;
    client.socket.on('ping', () => pings++);
    await whenStatus(socket.state$, 'open');
    // Wait for several pings to be answered (ws answers pings with pongs by itself).
    await new Promise<void>((resolve) => client.socket.on('ping', () => pings >= 4 && resolve()));
    expect(closes.values).toEqual([]);
    expect(socket.readyState).toBe(1);
  });

  it('uses an application ping where given, and hides pongs from message$', async () => {
    const socket = track(
      fromWebSocket(server.url, {
        heartbeat: heartbeat({
          intervalMs: 30,
          timeoutMs: 200,
          ping: '{"type":"ping"}',
          isPong: (d) => d === '{"type":"pong"}',
        }),
      }),
    );
    const messages = record(socket.message$);
    const client = await server.nextClient();
    client.socket.on('message', (data) => {
      if ((data as Buffer).toString() === '{"type":"ping"}') client.socket.send('{"type":"pong"}');
    });
    await client.receivedCount(3);
    client.socket.send('real');
    await firstValueFrom(
      socket.message$.pipe(
        filter((m) => m === 'real'),
        timeout(5_000),
      ),
    );
    expect(messages.values).toEqual(['real']);
    expect(client.received.slice(0, 3).map((m) => m.data.toString())).toEqual(Array(3).fill('{"type":"ping"}'));
  });
});
