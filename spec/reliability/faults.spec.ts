import fc from 'fast-check';
import { firstValueFrom, take, toArray, timeout } from 'rxjs';
import {
  constantBackoff,
  DecodeError,
  exponentialBackoff,
  fromWebSocket,
  HandshakeError,
  json,
  RxWebSocketError,
  TransportError,
  WebSocketCloseError,
  type CloseInfo,
  type ConnectionState,
} from '../../lib/index';
import { closeAfterEach } from '../helpers/cleanup';
import { runRandomCuts, runServerRestarts } from '../helpers/fault-workloads';
import { keepFigures } from '../helpers/figures';
import { startNginx, type Nginx } from '../helpers/nginx';
import { requireSystem } from '../helpers/system';
import { record, whenStatus } from '../helpers/observe';
import { closeFrame, startRawServer } from '../helpers/raw-ws-server';
import { Changes, within } from '../helpers/wait';
import { startServer, type TestServer } from '../helpers/ws-server';

const track = closeAfterEach();

describe('fromWebSocket under faults, against real servers on loopback', () => {
  describe('when the server restarts 5 times on the same port while the client sends a numbered stream', () => {
    it('after graceful closes (1001, and 1012 once), delivers every message once and in order, or reports it; none is lost', async () => {
      const figures = await runServerRestarts({
        mode: 'graceful',
        rounds: 5,
        closeCodes: [1001, 1001, 1012, 1001, 1001],
      });
      keepFigures('restarts-graceful', figures);
      const { accounting: a, outages } = figures;
      expect(a.duplicates).toEqual([]);
      expect(a.outOfOrder).toEqual([]);
      expect(a.deliveredAndReported).toEqual([]);
      expect(a.lost).toEqual([]);
      expect(a.delivered + a.reported).toBe(a.sent);
      // Each outage outlasted the small queue, so the overflow path was taken too, and reported.
      expect(a.reported).toBeGreaterThan(0);
      expect(a.delivered).toBeGreaterThanOrEqual(6 * 60);
      expect(outages.map((o) => o.close?.code)).toEqual([1001, 1001, 1012, 1001, 1001]);
      for (const outage of outages) expect(outage.refusedAttempts).toBeGreaterThanOrEqual(1);
      // 1012 (Service Restart) waits at least 2 s whatever the backoff says; the others take the 25 ms backoff.
      expect(outages[2]?.firstDelayMs).toBe(2_000);
      expect(outages[2]?.downMs).toBeGreaterThanOrEqual(2_000);
      expect(outages[0]?.firstDelayMs).toBe(25);
      expect(figures.unexpectedErrors).toEqual([]);
      expect(figures.unhandled).toEqual([]);
    }, 30_000);

    it('after abrupt kills (sockets destroyed, no close frame), loses at most what was in flight on the killed connection, and measures it', async () => {
      const figures = await runServerRestarts({ mode: 'abrupt', rounds: 5 });
      keepFigures('restarts-abrupt', figures);
      const { accounting: a, outages } = figures;
      expect(a.duplicates).toEqual([]);
      expect(a.outOfOrder).toEqual([]);
      expect(a.deliveredAndReported).toEqual([]);
      expect(a.delivered + a.reported + a.lost.length).toBe(a.sent);
      expect(a.reported).toBeGreaterThan(0);
      // Without acknowledgements a WebSocket cannot know what the peer read before the TCP connection died: what
      // was handed to the open socket just before the kill can be lost. Only that: the tail of a killed connection,
      // handed to send before the client could know (before close$), never anything from the queue afterwards.
      expect(a.lostNotTail).toEqual([]);
      for (const outage of outages) {
        expect(outage.close).toMatchObject({ code: 1006, wasClean: false });
        if (outage.lost === 0) continue;
        expect(outage.lostSentFromMs).toBeGreaterThanOrEqual(-100);
        expect(outage.lostSentToMs).toBeLessThanOrEqual(outage.detectMs);
      }
      expect(outages.reduce((sum, o) => sum + o.lost, 0)).toBe(a.lost.length);
      expect(figures.unexpectedErrors).toEqual([]);
      expect(figures.unhandled).toEqual([]);
    }, 30_000);
  });

  describe('through a TCP proxy that cuts connections at random moments (mid-frame included) for 5 s', () => {
    it('brings every one of 5 clients back; each stream adds up, losing only tails in flight; no unexpected error', async () => {
      const figures = await runRandomCuts({ clients: 5, durationMs: 5_000, maxCuts: 250, seed: 9 });
      keepFigures('random-cuts', figures);
      expect(figures.cuts.one + figures.cuts.all + figures.cuts.midChunkArmed).toBeGreaterThan(20);
      expect(figures.cuts.midChunkCut).toBeGreaterThan(0);
      for (const [i, client] of figures.perClient.entries()) {
        const { up, down } = client;
        const label = `client ${i}`;
        expect({ label, duplicates: up.duplicates, outOfOrder: up.outOfOrder }).toEqual({
          label,
          duplicates: [],
          outOfOrder: [],
        });
        expect({ label, both: up.deliveredAndReported, notTail: up.lostNotTail }).toEqual({
          label,
          both: [],
          notTail: [],
        });
        expect(up.delivered + up.reported + up.lost.length).toBe(up.sent);
        expect({ label, duplicates: down.duplicates, outOfOrder: down.outOfOrder }).toEqual({
          label,
          duplicates: 0,
          outOfOrder: 0,
        });
        expect(client.opens).toBeGreaterThan(1);
      }
      expect(figures.streamErrors).toEqual([]);
      expect(figures.unexpectedErrors).toEqual([]);
      expect(figures.unhandled).toEqual([]);
    }, 40_000);
  });

  requireSystem('nginx').describe('behind nginx with two ws backends', (nginxPath) => {
    let backends: TestServer[] = [];
    let nginx: Nginx | undefined;

    beforeAll(async () => {
      backends = [await startServer(), await startServer()];
      backends.forEach((backend, i) => backend.wss.on('connection', (ws) => ws.send(`backend ${i}`)));
      nginx = await startNginx({ binary: nginxPath, upstreamPorts: backends.map((b) => b.port) });
    }, 20_000);

    afterAll(async () => {
      await nginx?.stop();
      await Promise.all(backends.map((b) => b.close().catch(() => undefined)));
    });

    it('moves the clients of a killed backend to the live one within the backoff bounds', async () => {
      const proxy = nginx as Nginx;
      const maxFirstDelayMs = 300;
      const marginMs = 100;
      const clients = Array.from({ length: 6 }, () => {
        const socket = track(
          fromWebSocket<string, string>(proxy.url, {
            reconnect: { backoff: exponentialBackoff({ initialDelayMs: maxFirstDelayMs, maxDelayMs: 600 }) },
          }),
        );
        const entry = {
          socket,
          backends: [] as string[],
          closes: [] as { close: CloseInfo; at: number }[],
          delays: [] as number[],
          opens: [] as number[],
        };
        socket.message$.subscribe((m) => {
          entry.backends.push(m);
          changes.notify();
        });
        socket.close$.subscribe((close) => entry.closes.push({ close, at: performance.now() }));
        socket.open$.subscribe(() => entry.opens.push(performance.now()));
        socket.state$.subscribe((s: ConnectionState) => {
          if (s.status === 'reconnecting') entry.delays.push(s.delayMs);
        });
        return entry;
      });
      const changes = new Changes();
      await changes.until(
        () => clients.every((c) => c.backends.length === 1),
        10_000,
        'every client to reach a backend',
      );
      const onFirst = clients.filter((c) => c.backends[0] === 'backend 0');
      const onSecond = clients.filter((c) => c.backends[0] === 'backend 1');
      // nginx balances round-robin, so both backends have clients.
      expect(onFirst.length).toBeGreaterThan(0);
      expect(onSecond.length).toBeGreaterThan(0);

      await (backends[0] as TestServer).close();
      await changes.until(
        () => onFirst.every((c) => c.backends.length === 2),
        maxFirstDelayMs + marginMs + 5_000,
        'the clients of the killed backend to come back',
      );
      const measured = onFirst.map((c) => {
        const close = c.closes[0] as { close: CloseInfo; at: number };
        const reopened = c.opens.find((o) => o > close.at) as number;
        return { close: close.close, delayMs: c.delays[0] as number, backMs: reopened - close.at, now: c.backends[1] };
      });
      keepFigures('nginx-failover', { measured, maxFirstDelayMs, marginMs, nginxLog: proxy.errorLog() });
      for (const m of measured) {
        expect(m.close).toMatchObject({ code: 1006, wasClean: false });
        expect(m.now).toBe('backend 1');
        expect(m.delayMs).toBeLessThan(maxFirstDelayMs);
        // Never sooner than the announced delay, never much later: nginx found the live backend on the first attempt.
        expect(m.backMs).toBeGreaterThanOrEqual(m.delayMs - 1);
        expect(m.backMs).toBeLessThanOrEqual(m.delayMs + marginMs);
      }
      // The other backend's clients did not notice.
      for (const c of onSecond) expect(c.closes).toEqual([]);
    });
  });

  describe('with a URL provider rotating over endpoints', () => {
    it('skips a dead endpoint and lands on the next live one', async () => {
      const live = [await startServer(), await startServer()];
      const dead = await startServer();
      const deadUrl = dead.url;
      await dead.close();
      try {
        const endpoints = [live[0]?.url, deadUrl, live[1]?.url] as string[];
        const asked: string[] = [];
        let next = 0;
        const socket = track(
          fromWebSocket<string, string>(
            () => {
              const url = endpoints[next++ % endpoints.length] as string;
              asked.push(url);
              return url;
            },
            { reconnect: { backoff: constantBackoff({ delayMs: 50 }) } },
          ),
        );
        const errors = record(socket.error$);
        const opens = firstValueFrom(socket.open$.pipe(take(2), toArray(), timeout(10_000)));
        socket.connect();
        await within((live[0] as TestServer).nextClient(), 5_000, 'the first endpoint');
        await whenStatus(socket.state$, 'open');
        const killedAt = performance.now();
        await (live[0] as TestServer).close();
        const [first, second] = await opens;
        const tookMs = performance.now() - killedAt;
        keepFigures('url-provider-failover', { asked, tookMs, errors: errors.values });
        expect(first?.url).toBe(`${endpoints[0]}/`);
        expect(second?.url).toBe(`${endpoints[2]}/`);
        expect(asked).toEqual([endpoints[0], deadUrl, endpoints[2]]);
        // The dead endpoint's refusal was reported, typed, and did not stop the rotation.
        expect(errors.values.some((e) => e instanceof TransportError && /ECONNREFUSED/.test(e.message))).toBe(true);
        // Two waits of 50 ms and a refused attempt, with room for a loaded machine.
        expect(tookMs).toBeLessThan(100 + 1_000);
      } finally {
        await Promise.all(live.map((s) => s.close().catch(() => undefined)));
      }
    });
  });

  describe('garbage from the server', () => {
    it('reports every message the json() deserializer rejects as a DecodeError, and the stream goes on', async () => {
      const server = await startServer();
      try {
        // Strings JSON.parse rejects, drawn reproducibly.
        const garbage = fc
          .sample(
            fc.oneof(
              fc.string({ unit: 'grapheme-ascii', maxLength: 40 }),
              fc.string({ unit: 'grapheme', maxLength: 40 }),
            ),
            {
              numRuns: 400,
              seed: 7,
            },
          )
          .filter((s) => {
            try {
              JSON.parse(s);
              return false;
            } catch {
              return true;
            }
          })
          .slice(0, 150);
        const binaryGarbage = [Buffer.from([0xff, 0xfe, 0x00]), Buffer.from([0xc3, 0x28]), Buffer.alloc(0)];
        // A lone surrogate, which ws sends as U+FFFD.
        garbage.push('{"n":\ud800}');
        const socket = track(fromWebSocket<{ n: number }, never>(server.url, { ...json(), reconnect: false }));
        const errors = record(socket.error$);
        const closes = record(socket.close$);
        const total = garbage.length + binaryGarbage.length;
        const good = firstValueFrom(socket.message$.pipe(take(total + 1), toArray(), timeout(10_000)));
        const client = await server.nextClient();
        let n = 0;
        for (const g of garbage) {
          client.socket.send(g);
          client.socket.send(JSON.stringify({ n: n++ }));
        }
        for (const b of binaryGarbage) {
          client.socket.send(b);
          client.socket.send(JSON.stringify({ n: n++ }));
        }
        client.socket.send(JSON.stringify({ n: n++ }));
        expect((await good).map((m) => m.n)).toEqual(Array.from({ length: total + 1 }, (_, i) => i));
        expect(errors.values).toHaveLength(total);
        for (const e of errors.values) expect(e).toBeInstanceOf(DecodeError);
        // On the wire a lone surrogate becomes U+FFFD, as UTF-8 requires.
        const asSent = garbage.map((g) => Buffer.from(g).toString());
        expect((errors.values as DecodeError[]).slice(0, garbage.length).map((e) => e.data)).toEqual(asSent);
        expect(closes.values).toEqual([]);
      } finally {
        await server.close();
      }
    });

    it('closes with 1009 when a message exceeds maxPayload (50 MB against 1 MiB), reports it, and stops (1009 is a stop code)', async () => {
      const server = await startServer();
      try {
        server.wss.on('connection', (ws) => ws.send(Buffer.alloc(50 * 1024 * 1024)));
        const socket = track(
          fromWebSocket(server.url, {
            socketOptions: { maxPayload: 1024 * 1024 },
            // The default policy decides; a short backoff so that a wrong retry shows at once.
            reconnect: { backoff: constantBackoff({ delayMs: 20 }), maxAttempts: 2 },
          }),
        );
        const errors = record(socket.error$);
        const closes = record(socket.close$);
        const messages = record(socket.message$);
        const client = await server.nextClient();
        // What ws does: it fails the connection and tells the server why, with 1009.
        expect((await within(client.closed, 5_000, 'the client to close')).code).toBe(1009);
        await within(messages.ended, 5_000, 'message$ to end');
        expect(messages.values).toEqual([]);
        // Reported, typed, saying why.
        const reported = errors.values[0];
        expect(reported).toBeInstanceOf(RxWebSocketError);
        expect(String((reported as Error).message)).toMatch(/max payload/i);
        // The close is reported as the 1009 the client closed with, and the default policy stops on it.
        expect(closes.values.at(-1)).toMatchObject({ code: 1009, wasClean: false });
        expect(messages.error).toBeInstanceOf(WebSocketCloseError);
        expect((messages.error as WebSocketCloseError).closeCode).toBe(1009);
        expect(server.clients).toHaveLength(1);
      } finally {
        await server.close();
      }
    });

    // RFC 6455 §7.4: these codes may not appear in a close frame. ws fails the connection with 1002 (protocol
    // error). Decision: that is what close$ reports and what the policy decides on, so the stream stops with a
    // WebSocketCloseError carrying 1002, a stop code: a server that breaks the protocol is not hammered again.
    it.each([999, 1004, 1005, 1006, 1015, 2999, 5000])(
      'fails with 1002 and stops when the server closes with the illegal code %i',
      async (code) => {
        let clientClose: Promise<{ code: number | undefined }> | undefined;
        const rawWithClose = await startRawServer(() => ({
          accept: (connection) => {
            clientClose = connection.clientClose;
            connection.socket.write(closeFrame(code, 'bad'));
          },
        }));
        try {
          const socket = track(
            fromWebSocket(rawWithClose.url, {
              reconnect: { backoff: constantBackoff({ delayMs: 20 }), maxAttempts: 2 },
            }),
          );
          const errors = record(socket.error$);
          const closes = record(socket.close$);
          const messages = record(socket.message$);
          await within(messages.ended, 5_000, 'message$ to end');
          expect((await (clientClose as Promise<{ code: number | undefined }>)).code).toBe(1002);
          expect(errors.values[0]).toBeInstanceOf(TransportError);
          expect((errors.values[0] as Error).message).toMatch(/invalid status code/i);
          expect(closes.values.at(-1)).toMatchObject({ code: 1002, wasClean: false });
          expect(messages.error).toBeInstanceOf(WebSocketCloseError);
          expect((messages.error as WebSocketCloseError).closeCode).toBe(1002);
          expect(rawWithClose.requests).toBe(1);
        } finally {
          await rawWithClose.close();
        }
      },
    );

    describe.each([
      [401, false],
      [403, false],
      [404, false],
      [408, true],
      [429, true],
      [500, true],
      [502, true],
      [503, true],
    ])('when the server answers the upgrade with HTTP %i', (status, retried) => {
      it(`reports a HandshakeError with the status and ${retried ? 'retries' : 'stops'} (default policy)`, async () => {
        // Refuses twice, then accepts: a retried status ends up open.
        const raw = await startRawServer((_request, attempt) =>
          attempt <= 2 ? { status } : { accept: ({ socket }) => void socket.write(closeFrame(1000)) },
        );
        try {
          const socket = track(
            fromWebSocket(`${raw.url}/feed?token=s3cret`, {
              reconnect: { backoff: constantBackoff({ delayMs: 20 }) },
            }),
          );
          const errors = record(socket.error$);
          const messages = record(socket.message$);
          await within(messages.ended, 5_000, 'message$ to end');
          const handshakes = errors.values.filter((e): e is HandshakeError => e instanceof HandshakeError);
          expect(handshakes[0]?.status).toBe(status);
          expect(handshakes[0]?.code).toBe('ERR_HANDSHAKE');
          for (const e of errors.values) expect(String((e as Error).message)).not.toContain('s3cret');
          if (retried) {
            // Two refusals, then an open that the server ends with 1000: the stream completes.
            expect(handshakes).toHaveLength(2);
            expect(raw.requests).toBe(3);
            expect(messages.completed).toBe(true);
          } else {
            expect(handshakes).toHaveLength(1);
            expect(raw.requests).toBe(1);
            expect(messages.error).toBeInstanceOf(HandshakeError);
          }
        } finally {
          await raw.close();
        }
      });
    });
  });
});
