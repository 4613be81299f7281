/**
 * The live dashboard: one command starts the reference feed server (examples/feed-server) with the dashboard's
 * channels and serves a page that charts them with rx-websocket's resumable channels, plus fault controls to watch
 * the library reconnect and the feed replay what was missed (or the client stop, when the close code says so).
 *
 *   npm start                                   http://localhost:8080, history in memory
 *   npm start -- --port 9000                    or PORT=9000 npm start; port 0 picks a free one
 *   REDIS_URL=redis://127.0.0.1:6379 npm start  history in Redis Streams
 *
 * Endpoints: `/feed` speaks the reference wire protocol (docs/protocol.md); `/ws` the dashboard's own `dashboard.v1`
 * (no replay), for the Node and Angular examples. One publisher feeds both.
 *
 * Fault endpoints (POST; the page has a button for each), on the clients of both:
 *   /fault/drop                 cut every connection without a close frame: clients see 1006
 *   /fault/restart              close with 1012, stop listening for a few seconds, listen again on the same port;
 *                               publishing goes on meanwhile, and the history (in this process or in Redis) is kept
 *   /fault/forget               as restart, and the history published until the listener is back is forgotten:
 *                               clients resuming from before then are answered recovered: false
 *   /fault/close?code=4001      close with that code (1000-1003, 1007-1014, 3000-4999) and its usual reason
 *   /fault/silent?ms=5000       publish nothing for a while; add &stall=1 to stall the open connections as well
 *                               (nothing in or out, pings unanswered: half-open), and cut them when the time is up
 */
import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { basename, join, resolve } from 'node:path';
import type { Duplex } from 'node:stream';
import { build, type Metafile } from 'esbuild';
import { type RawData, WebSocket, WebSocketServer } from 'ws';
import { createMemoryHistory } from '../feed-server/history';
import { createRedisHistory } from '../feed-server/redis-history';
import { startFeedServer } from '../feed-server/server';
import { createModels } from './feed';
import { forgetting } from './history';
import {
  CHANNEL_NAMES,
  CHANNELS,
  closeReasonFor,
  FEED_PATH,
  isServerCloseCode,
  PONG_FRAME,
  PROTOCOL,
  SOCKET_PATH,
  type ClientMessage,
  type ServerMessage,
  type TickData,
} from './protocol';

/** Options of {@link startDashboard}. */
export interface DashboardOptions {
  /**
   * TCP port; 0 picks a free one.
   * @default 8080
   */
  readonly port?: number;
  /**
   * Interface to listen on. Loopback by default: the fault controls are open to anyone who can reach them.
   * @default '127.0.0.1'
   */
  readonly host?: string;
  /**
   * How long the listener stays down on a restart fault.
   * @default 4000
   */
  readonly restartDowntimeMs?: number;
  /**
   * How long the feed goes quiet on a silent fault without `?ms=` (with `&stall=1`, pings go unanswered too).
   * @default 5000
   */
  readonly silentMs?: number;
  /**
   * Keep the feed's history in Redis at this URL (`redis://host:port[/db]`) instead of in this process's memory.
   * `npm start` takes it from `REDIS_URL`.
   * @default undefined (memory)
   */
  readonly redisUrl?: string;
  /**
   * Messages kept per channel for replay (in Redis approximately). At 50 messages a second, the default reaches back
   * two minutes.
   * @default 6000
   */
  readonly historyLength?: number;
  /**
   * Where to print what happens; `false` prints nothing.
   * @default console.log
   */
  readonly log?: ((line: string) => void) | false;
}

/** The compiled page: what the server serves, and what went into it. */
export interface ClientBundle {
  /** Output files by their served path: `/app.js`, `/app.css`, their source maps. */
  readonly files: ReadonlyMap<string, { readonly contentType: string; readonly body: Uint8Array }>;
  /** esbuild's account of every input file, keyed by path relative to the repository root. */
  readonly metafile: Metafile;
}

/** A running dashboard. */
export interface Dashboard {
  /** The page's address, e.g. `http://localhost:8080/`. */
  readonly url: string;
  readonly host: string;
  readonly port: number;
  readonly bundle: ClientBundle;
  /** Where the feed's history is kept. */
  readonly history: 'memory' | 'redis';
  /** Closes every client (1001), the listener and the feed. Safe to call more than once. */
  stop(): Promise<void>;
}

const HERE = __dirname;
const ROOT = resolve(HERE, '..', '..');
/** Each tick of the feed; channels publish on every tick or every other one (see `rateHz`). */
const TICK_MS = 20;
/** A client this far behind stops getting ticks until it catches up, rather than the server buffering without end. */
const MAX_BUFFERED_BYTES = 1 << 20;
/** How long closing clients get to answer the close handshake before their connection is cut. */
const CLOSE_GRACE_MS = 1_000;
const MAX_SILENT_MS = 120_000;

/** Bundles the page for the browser: the library resolves to the native WebSocket through isomorphic-ws's `browser` field. */
export async function buildClient(): Promise<ClientBundle> {
  const result = await build({
    absWorkingDir: ROOT,
    entryPoints: [
      { in: join(HERE, 'client.ts'), out: 'app' },
      { in: join(HERE, 'styles.css'), out: 'app' },
    ],
    outdir: join(HERE, 'out'),
    write: false,
    bundle: true,
    platform: 'browser',
    format: 'iife',
    target: ['es2022'],
    minify: true,
    sourcemap: 'linked',
    metafile: true,
    logLevel: 'silent',
    // The page imports the library by its package name, as an application would; here that is the source.
    alias: { 'rx-websocket': './lib/index.ts' },
  });
  const files = new Map<string, { contentType: string; body: Uint8Array }>();
  for (const file of result.outputFiles) {
    const name = basename(file.path);
    files.set(`/${name}`, { contentType: contentTypeOf(name), body: file.contents });
  }
  return { files, metafile: result.metafile };
}

function contentTypeOf(name: string): string {
  if (name.endsWith('.js')) return 'text/javascript; charset=utf-8';
  if (name.endsWith('.css')) return 'text/css; charset=utf-8';
  if (name.endsWith('.map')) return 'application/json; charset=utf-8';
  return 'application/octet-stream';
}

/** Starts the feed, the WebSocket endpoint and the page. Resolves once listening. */
export async function startDashboard(options: DashboardOptions = {}): Promise<Dashboard> {
  const {
    port: requestedPort = 8080,
    host = '127.0.0.1',
    restartDowntimeMs = 4_000,
    silentMs = 5_000,
    redisUrl,
    historyLength = 6_000,
    log = console.log,
  } = options;
  const say = log === false ? () => {} : log;
  const bundle = await buildClient();
  const indexHtml = readFileSync(join(HERE, 'index.html'));
  const historyKind = redisUrl ? 'redis' : 'memory';
  const history = forgetting(
    redisUrl
      ? await createRedisHistory({
          url: redisUrl,
          historyLength,
          keyPrefix: 'dashboard:',
          pendingWaitMs: 2_000,
          onConnectionError: (error) => say(`redis: ${String(error)}`),
        })
      : createMemoryHistory({ historyLength, now: Date.now, pendingWaitMs: 2_000 }),
  );

  // ---- the feed ---------------------------------------------------------------------------------------------
  const subscriptions = new Map<WebSocket, Set<string>>();
  const models = createModels(CHANNELS);
  // With Redis, a restarted dashboard continues each channel's numbering from its history.
  const sequences = new Map<string, number>();
  for (const name of CHANNEL_NAMES) sequences.set(name, numberIn(await history.lastData(name)));
  let silentUntil = 0;
  /** Until then the server answers nothing, not even pings: to a client, the connection looks dead (half-open). */
  let stalledUntil = 0;
  let tick = 0;
  const ticker = setInterval(() => {
    tick++;
    const now = Date.now();
    const silent = now < silentUntil;
    for (const channel of CHANNELS) {
      if (silent || tick % Math.max(1, Math.round(1_000 / TICK_MS / channel.rateHz)) !== 0) continue;
      const model = models.get(channel.name);
      if (!model) continue;
      const value = model();
      const seq = (sequences.get(channel.name) ?? 0) + 1;
      sequences.set(channel.name, seq);
      // Appends go out in call order (one Redis connection), so cursors follow the numbering.
      history
        .append(channel.name, JSON.stringify({ n: seq, t: now, value } satisfies TickData))
        .catch((error: unknown) => say(`publishing failed: ${String(error)}`));
      const frame = JSON.stringify({ type: 'tick', channel: channel.name, seq, t: now, value } satisfies ServerMessage);
      for (const [client, channels] of subscriptions) {
        if (
          channels.has(channel.name) &&
          client.readyState === WebSocket.OPEN &&
          client.bufferedAmount < MAX_BUFFERED_BYTES
        ) {
          client.send(frame);
        }
      }
    }
  }, TICK_MS);

  // ---- the WebSocket endpoint -------------------------------------------------------------------------------
  let instance = 1;
  const wss = new WebSocketServer({
    noServer: true,
    handleProtocols: (offered) => (offered.has(PROTOCOL) ? PROTOCOL : false),
  });
  const sendTo = (client: WebSocket, message: ServerMessage | string): void => {
    if (client.readyState !== WebSocket.OPEN || Date.now() < stalledUntil) return;
    client.send(typeof message === 'string' ? message : JSON.stringify(message));
  };
  wss.on('connection', (client: WebSocket, request: IncomingMessage) => {
    const query = new URL(request.url ?? '/', 'http://localhost').searchParams.get('channels');
    const initial = (query ?? '').split(',').filter((name) => CHANNEL_NAMES.includes(name));
    const channels = new Set(initial);
    subscriptions.set(client, channels);
    client.on('close', () => subscriptions.delete(client));
    client.on('error', () => subscriptions.delete(client));
    client.on('message', (data, isBinary) => {
      const message = isBinary ? undefined : parseClientMessage(textOf(data));
      if (!message) {
        sendTo(client, {
          type: 'error',
          message: 'expected {"type":"subscribe"|"unsubscribe","channel":"<name>"} or {"type":"ping"}',
        });
        return;
      }
      if (message.type === 'ping') {
        sendTo(client, PONG_FRAME);
        return;
      }
      if (!CHANNEL_NAMES.includes(message.channel)) {
        sendTo(client, {
          type: 'error',
          message: `unknown channel "${message.channel}"; channels: ${CHANNEL_NAMES.join(', ')}`,
        });
        return;
      }
      if (message.type === 'subscribe') channels.add(message.channel);
      else channels.delete(message.channel);
      sendTo(client, { type: message.type === 'subscribe' ? 'subscribed' : 'unsubscribed', channel: message.channel });
    });
    sendTo(client, { type: 'hello', instance, channels: CHANNELS, subscribed: [...channels] });
  });

  /** Closes every `dashboard.v1` client with `code`, and cuts those that do not finish the handshake in time. */
  const closeClients = (code: number, reason: string): number => {
    const clients = [...wss.clients];
    for (const client of clients) client.close(code, reason);
    if (clients.length > 0) {
      setTimeout(() => {
        for (const client of clients) if (client.readyState !== WebSocket.CLOSED) client.terminate();
      }, CLOSE_GRACE_MS).unref();
    }
    return clients.length;
  };

  // ---- the reference feed, on the same port -----------------------------------------------------------------
  const server = createServer((req, res) => handleRequest(req, res));
  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => handleUpgrade(req, socket, head));
  const feed = await startFeedServer({
    server,
    path: FEED_PATH,
    history,
    publish: false,
    channels: CHANNEL_NAMES,
    operations: {
      /**
       * `{"op":"status"}`: which server the page reached, where it keeps history, and how many connections the feed
       * has (one per tab, or one for all of a browser's tabs when they share it).
       */
      status: () => ({ instance, history: historyKind, connections: feed.stats().connections }),
    },
    // Its errors (a Redis connection failing, a replay failing); not its start-up line, which the banner says better.
    log: (line) => {
      if (!line.startsWith('feed server on ')) say(line);
    },
  });
  /** The TCP connections of the feed's clients, to stall them (a half-open connection) on the silent fault. */
  const feedSockets = new Set<Duplex>();
  let stalled: { readonly sockets: Duplex[]; readonly timer: NodeJS.Timeout } | undefined;
  /** Every client of both endpoints: closed with `code`, or cut without a close frame when there is none. */
  const disconnectAll = (code?: number, reason = ''): number => {
    let count = feed.disconnect(code, reason);
    if (code === undefined) {
      count += wss.clients.size;
      for (const client of wss.clients) client.terminate();
    } else count += closeClients(code, reason);
    return count;
  };
  const endStall = (): void => {
    if (!stalled) return;
    clearTimeout(stalled.timer);
    // The peers gave up on these long ago (or will, on the cut): nothing held back is worth sending now.
    for (const socket of stalled.sockets) socket.destroy();
    stalled = undefined;
  };

  // ---- HTTP: the page and the fault controls ----------------------------------------------------------------
  let restarting: NodeJS.Timeout | undefined;
  let stopped = false;
  let port = requestedPort;

  const faults: Record<string, (query: URLSearchParams, res: ServerResponse) => void> = {
    drop(_query, res) {
      const clients = disconnectAll();
      say(`fault: dropped ${clients} connection(s) without a close frame (clients see 1006)`);
      sendJson(res, 200, { fault: 'drop', clients });
    },
    restart(_query, res) {
      restart(res, false);
    },
    forget(_query, res) {
      restart(res, true);
    },
    close(query, res) {
      const code = Number(query.get('code') ?? '1001');
      if (!isServerCloseCode(code)) {
        sendJson(res, 400, {
          error: `a server cannot close with ${query.get('code')}: use 1000-1003, 1007-1014 or 3000-4999`,
        });
        return;
      }
      const reason = query.get('reason') ?? closeReasonFor(code);
      if (Buffer.byteLength(reason) > 123) {
        sendJson(res, 400, { error: 'the reason must be at most 123 UTF-8 bytes' });
        return;
      }
      const clients = disconnectAll(code, reason);
      say(`fault: closed ${clients} connection(s) with ${code} "${reason}"`);
      sendJson(res, 200, { fault: 'close', clients, code, reason });
    },
    silent(query, res) {
      const ms = Number(query.get('ms') ?? silentMs);
      if (!Number.isFinite(ms) || ms <= 0 || ms > MAX_SILENT_MS) {
        sendJson(res, 400, { error: `ms must be a number of milliseconds in (0, ${MAX_SILENT_MS}]` });
        return;
      }
      const stall = query.get('stall') === '1';
      if (stall) {
        // Stalled, the feed goes on publishing: what the stalled clients miss, they resume from their cursor.
        endStall();
        const sockets = [...feedSockets];
        for (const socket of sockets) {
          socket.pause();
          socket.cork();
        }
        stalled = { sockets, timer: setTimeout(endStall, ms) };
        stalledUntil = Date.now() + ms;
      } else {
        silentUntil = Date.now() + ms;
        stalledUntil = 0;
      }
      say(`fault: ${stall ? `connections stalled for ${ms} ms, pings unanswered` : `feed silent for ${ms} ms`}`);
      sendJson(res, 200, { fault: 'silent', clients: wss.clients.size + feedSockets.size, ms, stall });
    },
  };

  const handleRequest = (req: IncomingMessage, res: ServerResponse): void => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    res.setHeader('X-Content-Type-Options', 'nosniff');
    res.setHeader('Cache-Control', 'no-store');
    if (url.pathname.startsWith('/fault/')) {
      const fault = faults[url.pathname.slice('/fault/'.length)];
      if (!fault)
        return sendJson(res, 404, {
          error: `no such fault; try ${Object.keys(faults)
            .map((name) => `/fault/${name}`)
            .join(', ')}`,
        });
      if (req.method !== 'POST') {
        res.setHeader('Allow', 'POST');
        return sendJson(res, 405, { error: 'faults are triggered with POST' });
      }
      return fault(url.searchParams, res);
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.setHeader('Allow', 'GET, HEAD');
      return sendJson(res, 405, { error: 'method not allowed' });
    }
    if (url.pathname === '/' || url.pathname === '/index.html')
      return send(res, 200, 'text/html; charset=utf-8', indexHtml);
    if (url.pathname === '/api/status') {
      return sendJson(res, 200, {
        instance,
        history: historyKind,
        clients: wss.clients.size + feed.stats().connections,
        feedConnections: feed.stats().connections,
        silentForMs: Math.max(0, silentUntil - Date.now()),
        channels: CHANNELS,
      });
    }
    const file = bundle.files.get(url.pathname);
    if (file) return send(res, 200, file.contentType, file.body);
    sendJson(res, 404, { error: 'not found' });
  };

  const handleUpgrade = (req: IncomingMessage, socket: Duplex, head: Buffer): void => {
    const path = new URL(req.url ?? '/', 'http://localhost').pathname;
    if (path === FEED_PATH) {
      // The feed server takes it (it listens on this server too); kept here only to be stalled on a fault.
      feedSockets.add(socket);
      socket.once('close', () => feedSockets.delete(socket));
      return;
    }
    if (path !== SOCKET_PATH) {
      socket.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
      return;
    }
    wss.handleUpgrade(req, socket, head, (client) => wss.emit('connection', client, req));
  };

  let listening = false;
  const listen = (): Promise<void> =>
    new Promise((resolveListen, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => {
        server.off('error', reject);
        listening = true;
        port = (server.address() as AddressInfo).port;
        resolveListen();
      });
    });
  server.on('error', (error) => {
    if (listening) say(`server error: ${error.message}`);
  });

  /** The restart faults: 1012 to every client, stop listening, come back on the same port (the feed keeps publishing). */
  const restart = (res: ServerResponse, forget: boolean): void => {
    if (restarting) {
      sendJson(res, 409, { error: 'already restarting' });
      return;
    }
    const clients = wss.clients.size + feed.stats().connections;
    res.setHeader('Connection', 'close');
    sendJson(res, 202, { fault: forget ? 'forget' : 'restart', clients, downtimeMs: restartDowntimeMs });
    res.on('finish', () => takeDown(clients, forget));
  };

  const takeDown = (clients: number, forget: boolean): void => {
    if (stopped || restarting) return;
    say(
      `fault: restarting${forget ? ' and forgetting history' : ''}; ${clients} client(s) told 1012, listener down for ${restartDowntimeMs} ms`,
    );
    disconnectAll(1012, closeReasonFor(1012));
    listening = false;
    server.close();
    server.closeIdleConnections();
    let tries = 0;
    const comeBack = (): void => {
      restarting = undefined;
      if (stopped) return;
      // Everything published while the listener was down is forgotten: no client can resume from before now.
      if (forget) history.forget();
      listen().then(
        () => {
          instance++;
          say(`listener back on port ${port} (instance ${instance})`);
        },
        (error: Error) => {
          // The port can be briefly taken by someone else; try a few times, then give up loudly.
          if (++tries >= 10) return say(`could not listen on port ${port} again: ${error.message}`);
          restarting = setTimeout(comeBack, 500);
        },
      );
    };
    restarting = setTimeout(comeBack, restartDowntimeMs);
  };

  await listen().catch(async (error: unknown) => {
    clearInterval(ticker);
    await feed.close();
    await history.close();
    throw error;
  });
  const displayHost =
    host === '127.0.0.1' || host === '::1' || host === '0.0.0.0' || host === '::' ? 'localhost' : host;
  const url = `http://${displayHost}:${port}/`;

  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> =>
    (stopping ??= (async () => {
      stopped = true;
      clearInterval(ticker);
      if (restarting) clearTimeout(restarting);
      restarting = undefined;
      endStall();
      for (const client of wss.clients) client.close(1001, 'server shutting down');
      // Closes the feed's clients with 1001 and waits for them; leaves the HTTP server and the history to us.
      await feed.close();
      await new Promise<void>((resolveStop) => {
        const finish = (): void => {
          for (const client of wss.clients) client.terminate();
          wss.close();
          for (const socket of feedSockets) socket.destroy();
          if (!listening) return resolveStop();
          listening = false;
          server.close(() => resolveStop());
          server.closeAllConnections();
        };
        if (wss.clients.size === 0) return finish();
        // Give clients a moment to answer the close handshake, so they see a clean 1001 rather than a drop.
        const deadline = setTimeout(finish, CLOSE_GRACE_MS);
        const check = setInterval(() => {
          if ([...wss.clients].every((client) => client.readyState === WebSocket.CLOSED)) {
            clearInterval(check);
            clearTimeout(deadline);
            finish();
          }
        }, 20);
        deadline.unref();
        setTimeout(() => clearInterval(check), CLOSE_GRACE_MS + 50).unref();
      });
      await history.close();
    })());

  return {
    url,
    host,
    get port() {
      return port;
    },
    bundle,
    history: historyKind,
    stop,
  };
}

/** The `n` of a channel's newest message (its `TickData`), or 0. */
function numberIn(dataJson: string | undefined): number {
  if (dataJson === undefined) return 0;
  try {
    const n: unknown = (JSON.parse(dataJson) as Partial<TickData> | null)?.n;
    return typeof n === 'number' && Number.isSafeInteger(n) ? n : 0;
  } catch {
    return 0;
  }
}

function textOf(data: RawData): string {
  if (Array.isArray(data)) return Buffer.concat(data).toString('utf8');
  return Buffer.from(data instanceof ArrayBuffer ? new Uint8Array(data) : data).toString('utf8');
}

function parseClientMessage(text: string): ClientMessage | undefined {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null) return undefined;
  const { type, channel } = value as { type?: unknown; channel?: unknown };
  if (type === 'ping') return { type };
  if ((type === 'subscribe' || type === 'unsubscribe') && typeof channel === 'string') return { type, channel };
  return undefined;
}

function send(res: ServerResponse, status: number, contentType: string, body: Uint8Array): void {
  res.writeHead(status, { 'Content-Type': contentType, 'Content-Length': body.byteLength });
  res.end(res.req.method === 'HEAD' ? undefined : body);
}

function sendJson(res: ServerResponse, status: number, body: object): void {
  send(res, status, 'application/json; charset=utf-8', Buffer.from(`${JSON.stringify(body)}\n`));
}

/** `--port 9000`, `--port=9000`, then `PORT`, then 8080. */
function parseArgs(argv: readonly string[], env: NodeJS.ProcessEnv): { port: number; host: string } {
  const valueOf = (name: string): string | undefined => {
    const index = argv.findIndex((arg) => arg === `--${name}` || arg.startsWith(`--${name}=`));
    if (index === -1) return undefined;
    const arg = argv[index] as string;
    return arg.includes('=') ? arg.slice(arg.indexOf('=') + 1) : argv[index + 1];
  };
  const portText = valueOf('port') ?? env.PORT ?? '8080';
  const port = Number(portText);
  if (!/^\d+$/.test(portText) || port > 65_535)
    throw new Error(`invalid port "${portText}": expected an integer from 0 to 65535`);
  return { port, host: valueOf('host') ?? '127.0.0.1' };
}

async function main(): Promise<void> {
  let args: { port: number; host: string };
  try {
    args = parseArgs(process.argv.slice(2), process.env);
  } catch (error) {
    console.error((error as Error).message);
    console.error('usage: npm start -- [--port <port>] [--host <address>]   (or PORT=<port> npm start)');
    process.exit(2);
  }
  const redisUrl = process.env.REDIS_URL || undefined;
  const dashboard = await startDashboard({ ...args, redisUrl }).catch((error: NodeJS.ErrnoException) => {
    if (error.code !== 'EADDRINUSE') throw error;
    console.error(
      `port ${args.port} is already in use on ${args.host}: pick another with --port <port> (0 for any free one)`,
    );
    process.exit(1);
  });
  console.log(`rx-websocket dashboard: ${dashboard.url}`);
  const wsHost = new URL(dashboard.url).host;
  console.log(
    `  feed:   ws://${wsHost}${FEED_PATH} (the reference protocol, docs/protocol.md), ${CHANNELS.length} channels, history in ${dashboard.history}`,
  );
  console.log(
    `          ws://${wsHost}${SOCKET_PATH} (sub-protocol ${PROTOCOL}, no replay) for the Node and Angular examples`,
  );
  console.log(
    `  faults: curl -X POST ${dashboard.url}fault/drop | fault/restart | fault/forget | fault/close?code=1011 | fault/silent?ms=5000[&stall=1]`,
  );
  console.log('  Ctrl-C to stop');
  let signalled = false;
  const shutdown = (signal: NodeJS.Signals): void => {
    if (signalled) {
      console.log(`${signal} again: exiting now`);
      process.exit(130);
    }
    signalled = true;
    console.log(`${signal}: closing clients and the listener...`);
    dashboard.stop().then(
      () => process.exit(0),
      (error: unknown) => {
        console.error(error);
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', shutdown);
  process.on('SIGTERM', shutdown);
}

if (require.main === module) {
  main().catch((error: unknown) => {
    console.error(error instanceof Error ? error.message : error);
    process.exit(1);
  });
}
