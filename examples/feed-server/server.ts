/**
 * The reference feed server: speaks the wire protocol of docs/protocol.md over `ws`. History in memory by default,
 * in Redis Streams with `redisUrl` (several servers then serve one history). Runs on its own port or attached to an
 * existing HTTP server.
 *
 * How a replay meets the live stream without a gap or a duplicate: a subscription with `since` is registered with
 * the live fan-out first, in a buffering state; then the history is read (everything strictly after `since`, up to
 * now). Entries published meanwhile reach the buffer. Once the replay is sent, the buffer is flushed, skipping every
 * entry not after the last cursor sent, and the subscription turns live. Each entry is thus either in the replay, in
 * the buffer, or live, and one that is in both the replay and the buffer is sent once.
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { type RawData, WebSocket, WebSocketServer } from 'ws';
import { createMemoryHistory, type Entry, type History } from './history';
import { BUILT_IN_OPERATIONS, RequestError, type Operation } from './operations';
import { CLOSE, frameText, parseClientFrame, type ErrorBody, type RequestId, type ServerFrame } from './protocol';
import { channelDefinitions, startPublisher, type ChannelSpec, type Publisher } from './publisher';
import { createRedisHistory } from './redis-history';

/** Options of {@link startFeedServer}. */
export interface FeedServerOptions {
  /**
   * TCP port when the server listens on its own; 0 picks a free one. Ignored with `server`.
   * @default 0
   */
  readonly port?: number;
  /**
   * Interface to listen on. Ignored with `server`.
   * @default '127.0.0.1'
   */
  readonly host?: string;
  /** An HTTP server to attach to (its `upgrade` requests to `path`) instead of listening on a port of its own. */
  readonly server?: Server;
  /**
   * Only WebSocket upgrades to this path are taken (others get 404 on the server's own port, and are left to other
   * listeners on an attached server). `undefined` takes every path.
   * @default undefined
   */
  readonly path?: string;
  /**
   * Keep history and request replies in Redis at this URL (`redis://host:port[/db]`) instead of in memory, so that
   * several servers share them. Falls back to the `REDIS_URL` environment variable in the CLI only.
   * @default undefined (memory)
   */
  readonly redisUrl?: string;
  /**
   * A history to serve instead of making one (then `redisUrl`, `historyLength`, `keyPrefix`, `now` and
   * `pendingWaitMs` are the history's business). The server follows it and does not close it: its owner does, after
   * `close()`. Lets one history outlive a server, or be shared with a publisher the application runs itself.
   * @default undefined (the server makes its own, in memory or in Redis)
   */
  readonly history?: History;
  /**
   * The channels, by name or with their own rate and data. Subscribing to any other channel is answered with an
   * `unknown_channel` error frame.
   * @default ['ticks']
   */
  readonly channels?: readonly ChannelSpec[];
  /**
   * Messages per second on each channel that does not set its own rate.
   * @default 10
   */
  readonly rateHz?: number;
  /**
   * Whether this process publishes. With Redis, exactly one process should (this one, or a separate
   * `startFeedPublisher`); the others only serve.
   * @default true
   */
  readonly publish?: boolean;
  /**
   * Entries kept per channel (in Redis approximately, `MAXLEN ~`). A `since` older than that is answered
   * `recovered: false`.
   * @default 1000
   */
  readonly historyLength?: number;
  /**
   * How long a reply stays stored for its request id, from when it was made. A repeated id within this time gets the
   * stored reply and is not run again; after it, the id is new. Clients must not resend an id later than this.
   * @default 300_000 (5 minutes)
   */
  readonly requestTtlMs?: number;
  /**
   * How long a repeated request id waits for the reply of the same id still running elsewhere before it is answered
   * with an `in_progress` error.
   * @default 2000
   */
  readonly pendingWaitMs?: number;
  /**
   * A client whose unsent backlog passes this many bytes is closed with 1013 (it reconnects and resumes from its
   * cursor) rather than buffered without end or skipped.
   * @default 4_194_304 (4 MiB)
   */
  readonly maxBufferedBytes?: number;
  /**
   * Largest frame accepted from a client; bigger ones close the connection with 1009.
   * @default 65_536
   */
  readonly maxPayloadBytes?: number;
  /** Operations for requests, merged over the built-in `echo`, `add` and `incr`. */
  readonly operations?: Readonly<Record<string, Operation>>;
  /**
   * Prefix of every Redis key.
   * @default 'feed:'
   */
  readonly keyPrefix?: string;
  /**
   * The clock of the in-memory request store, in milliseconds (specs move it to expire replies). Redis keeps its own.
   * @default Date.now
   */
  readonly now?: () => number;
  /**
   * Where to print what happens; `false` prints nothing.
   * @default false
   */
  readonly log?: ((line: string) => void) | false;
}

/** Figures of a running server. */
export interface FeedServerStats {
  /** Open client connections. */
  readonly connections: number;
  /** Requests run (not those answered from the store). */
  readonly executions: number;
  /** Requests answered with a stored reply. */
  readonly repeats: number;
  /** Messages published by this process. */
  readonly published: number;
}

/** A running feed server. */
export interface FeedServer {
  /** `ws://host:port/path` when on its own port; on an attached server, the path only. */
  readonly url: string;
  /** The port, or the attached server's. */
  readonly port: number;
  /** Appends one message to `channel` (any JSON-serializable data); resolves with its cursor. */
  publish(channel: string, data: unknown): Promise<string>;
  stats(): FeedServerStats;
  /**
   * Ends every client connection now, keeping the server up: with `code` (and `reason`) in a close frame, or
   * without one (no `code`: the connections are cut, and clients see 1006). Returns how many there were.
   */
  disconnect(code?: number, reason?: string): number;
  /**
   * Closes every client with 1001 (Going Away), stops publishing, lets the requests already running store their
   * replies (up to 2 s), closes the history (unless it was given) and the listener.
   */
  close(): Promise<void>;
  /**
   * Stops as a crash would: connections cut without a close frame (clients see 1006), then everything else. The
   * requests already running still store their replies (up to 2 s), as on `close()`; a process that really dies
   * leaves them claimed (`in_progress` until the TTL, see docs/protocol.md).
   */
  kill(): Promise<void>;
}

interface Client {
  readonly socket: WebSocket;
  readonly subscriptions: Map<string, Subscription>;
  closing: boolean;
}

interface Subscription {
  readonly client: Client;
  /** Live entries held while the replay is read; `undefined` once live. */
  buffer: Entry[] | undefined;
  /**
   * The last cursor the replay sent, until live delivery passes it: a server's live feed can lag behind what a
   * replay read from the history, and what it delivers up to there was sent already.
   */
  after: string | undefined;
}

const CLOSE_GRACE_MS = 1_000;
/**
 * How long a stop waits for the requests it already runs to finish and store their replies before it closes the store.
 * Without it, a request claimed but not stored would be answered `in_progress` everywhere for the whole reply TTL.
 */
const DRAIN_MS = 2_000;

/** Starts a feed server. Resolves once it takes connections (and, with Redis, follows the streams). */
export async function startFeedServer(options: FeedServerOptions = {}): Promise<FeedServer> {
  const {
    port: requestedPort = 0,
    host = '127.0.0.1',
    server: attachedTo,
    path,
    redisUrl,
    rateHz = 10,
    publish = true,
    historyLength = 1_000,
    requestTtlMs = 300_000,
    pendingWaitMs = 2_000,
    maxBufferedBytes = 4 * 1024 * 1024,
    maxPayloadBytes = 64 * 1024,
    keyPrefix = 'feed:',
    now = Date.now,
    log,
  } = options;
  const say = log ? log : () => {};
  const channels = channelDefinitions(options.channels ?? ['ticks']);
  const channelNames = new Set(channels.map((channel) => channel.name));
  const operations: Readonly<Record<string, Operation>> = { ...BUILT_IN_OPERATIONS, ...options.operations };

  const history: History = options.history
    ? options.history
    : redisUrl
      ? await createRedisHistory({
          url: redisUrl,
          historyLength,
          keyPrefix,
          pendingWaitMs,
          onConnectionError: (error) => say(`redis: ${String(error)}`),
        })
      : createMemoryHistory({ historyLength, now, pendingWaitMs });

  const clients = new Set<Client>();
  const subscribers = new Map<string, Set<Subscription>>(channels.map((channel) => [channel.name, new Set()]));
  let executions = 0;
  let repeats = 0;

  const send = (client: Client, text: string): void => {
    if (client.closing || client.socket.readyState !== WebSocket.OPEN) return;
    client.socket.send(text);
    if (client.socket.bufferedAmount > maxBufferedBytes) {
      closeClient(client, CLOSE.tryAgainLater, 'too far behind; resume from your cursor');
    }
  };
  const sendFrame = (client: Client, frame: ServerFrame): void => send(client, frameText(frame));
  const closeClient = (client: Client, code: number, reason: string): void => {
    if (client.closing) return;
    client.closing = true;
    dropSubscriptions(client);
    client.socket.close(code, reason);
    setTimeout(() => client.socket.terminate(), CLOSE_GRACE_MS).unref();
  };
  const dropSubscriptions = (client: Client): void => {
    for (const [channel, subscription] of client.subscriptions) subscribers.get(channel)?.delete(subscription);
    client.subscriptions.clear();
  };

  const onEntry = (channel: string, entry: Entry): void => {
    const subscriptions = subscribers.get(channel);
    if (!subscriptions) return;
    for (const subscription of subscriptions) {
      if (subscription.buffer) {
        subscription.buffer.push(entry);
        continue;
      }
      if (subscription.after !== undefined) {
        if (history.compare(entry.cursor, subscription.after) <= 0) continue;
        // Entries come in cursor order: every later one is past it too.
        subscription.after = undefined;
      }
      send(subscription.client, entry.frame);
    }
  };
  await history.follow([...channelNames], onEntry, (error) => say(`following the history failed: ${String(error)}`));

  const subscribe = (client: Client, channel: string, since: string | undefined): void => {
    const subscriptions = subscribers.get(channel);
    if (!subscriptions) {
      sendFrame(client, { type: 'error', channel, code: 'unknown_channel', message: 'no such channel' });
      return;
    }
    // Subscribing again restarts the subscription (from the new `since`).
    const previous = client.subscriptions.get(channel);
    if (previous) subscriptions.delete(previous);
    if (since === undefined) {
      // Live only: the answer goes first, then whatever is published from now on.
      const subscription: Subscription = { client, buffer: undefined, after: undefined };
      client.subscriptions.set(channel, subscription);
      subscriptions.add(subscription);
      sendFrame(client, { type: 'subscribed', channel });
      return;
    }
    const subscription: Subscription = { client, buffer: [], after: undefined };
    client.subscriptions.set(channel, subscription);
    subscriptions.add(subscription);
    history.replay(channel, since).then(
      (replay) => {
        // Unsubscribed, subscribed again or disconnected meanwhile: that subscription answers for itself.
        if (client.subscriptions.get(channel) !== subscription) return;
        const buffered = subscription.buffer ?? [];
        subscription.buffer = undefined;
        sendFrame(client, { type: 'subscribed', channel, recovered: replay.recovered });
        if (!replay.recovered) {
          // Nothing to replay: what was published during the check is live, and follows.
          for (const entry of buffered) send(client, entry.frame);
          return;
        }
        let last = since;
        for (const entry of replay.entries) {
          send(client, entry.frame);
          last = entry.cursor;
        }
        for (const entry of buffered) {
          if (history.compare(entry.cursor, last) <= 0) continue;
          send(client, entry.frame);
          last = entry.cursor;
        }
        subscription.after = last;
      },
      (error: unknown) => {
        say(`replay of ${channel} failed: ${String(error)}`);
        // The client reconnects and resumes, on this server or another.
        closeClient(client, CLOSE.internalError, 'history unavailable');
      },
    );
  };

  const unsubscribe = (client: Client, channel: string): void => {
    const subscription = client.subscriptions.get(channel);
    if (subscription) {
      client.subscriptions.delete(channel);
      subscribers.get(channel)?.delete(subscription);
    }
    sendFrame(client, { type: 'unsubscribed', channel });
  };

  const replyError = (id: RequestId, error: ErrorBody): string => frameText({ type: 'reply', id, error });

  const request = async (client: Client, id: RequestId, data: unknown): Promise<void> => {
    // The id's JSON text is its key, so "1" and 1 are two ids.
    const key = JSON.stringify(id);
    let claim;
    try {
      claim = await history.claim(key, requestTtlMs);
    } catch (error) {
      say(`request store failed: ${String(error)}`);
      send(client, replyError(id, { code: 'unavailable', message: 'the request store is unavailable; retry' }));
      return;
    }
    if (!claim.run) {
      repeats++;
      send(
        client,
        claim.reply ?? replyError(id, { code: 'in_progress', message: 'this id is still running; retry later' }),
      );
      return;
    }
    executions++;
    let reply: string;
    try {
      const args = typeof data === 'object' && data !== null && !Array.isArray(data) ? data : {};
      const op = (args as { op?: unknown }).op;
      const operation = typeof op === 'string' && Object.hasOwn(operations, op) ? operations[op] : undefined;
      if (!operation) throw new RequestError('unknown_op', 'data.op names no operation of this server');
      const result = await operation(args as Record<string, unknown>, { increment: (c) => history.increment(c) });
      reply = frameText({ type: 'reply', id, data: result ?? null });
    } catch (error) {
      reply =
        error instanceof RequestError
          ? replyError(id, { code: error.code, message: error.message })
          : replyError(id, { code: 'internal', message: 'the operation failed' });
      if (!(error instanceof RequestError)) say(`operation failed: ${String(error)}`);
    }
    try {
      await history.complete(key, reply, requestTtlMs);
    } catch (error) {
      say(`storing a reply failed: ${String(error)}`);
    }
    send(client, reply);
  };

  /** Requests running now: a stop lets them store their replies before it closes the store. */
  const running = new Set<Promise<void>>();
  let stopping = false;

  const onMessage = (client: Client, data: RawData, isBinary: boolean): void => {
    // A connection being closed, or a server stopping, takes nothing more: the client sends it again after reconnecting.
    if (client.closing || stopping) return;
    if (isBinary) {
      closeClient(client, CLOSE.unsupportedData, 'text frames only');
      return;
    }
    const text = Buffer.isBuffer(data) ? data.toString('utf8') : Buffer.concat(data as Buffer[]).toString('utf8');
    const frame = parseClientFrame(text);
    if (!frame) {
      closeClient(client, CLOSE.malformed, 'malformed frame');
      return;
    }
    if (frame.type === 'subscribe') subscribe(client, frame.channel, frame.since);
    else if (frame.type === 'unsubscribe') unsubscribe(client, frame.channel);
    else {
      const work = request(client, frame.id, frame.data);
      running.add(work);
      void work.finally(() => running.delete(work));
    }
  };

  const wss = new WebSocketServer({ noServer: true, maxPayload: maxPayloadBytes });
  wss.on('connection', (socket: WebSocket) => {
    const client: Client = { socket, subscriptions: new Map(), closing: false };
    clients.add(client);
    socket.on('message', (data, isBinary) => onMessage(client, data, isBinary));
    socket.on('close', () => {
      clients.delete(client);
      dropSubscriptions(client);
    });
    socket.on('error', (error) => say(`client error: ${String(error)}`));
  });

  const onUpgrade = (request: IncomingMessage, socket: Duplex, head: Buffer): void => {
    if (path !== undefined && new URL(request.url ?? '/', 'http://localhost').pathname !== path) {
      if (!attachedTo) socket.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\n\r\n');
      return;
    }
    wss.handleUpgrade(request, socket, head, (ws) => wss.emit('connection', ws, request));
  };

  let httpServer: Server;
  let port: number;
  if (attachedTo) {
    httpServer = attachedTo;
    httpServer.on('upgrade', onUpgrade);
    port = (httpServer.address() as AddressInfo | null)?.port ?? 0;
  } else {
    httpServer = createServer((req, res) => {
      if (req.url === '/health') {
        res.writeHead(200, { 'Content-Type': 'application/json' });
        res.end(JSON.stringify(stats()));
        return;
      }
      res.writeHead(426, { 'Content-Type': 'text/plain', Upgrade: 'websocket' });
      res.end('This is a WebSocket endpoint (docs/protocol.md).\n');
    });
    httpServer.on('upgrade', onUpgrade);
    httpServer.listen(requestedPort, host);
    await new Promise<void>((resolve, reject) => {
      httpServer.once('listening', resolve);
      httpServer.once('error', reject);
    });
    port = (httpServer.address() as AddressInfo).port;
  }

  let publisher: Publisher | undefined;
  if (publish) {
    publisher = await startPublisher(history, channels, rateHz, (error) => say(`publish failed: ${String(error)}`));
  }

  const stats = (): FeedServerStats => ({
    connections: clients.size,
    executions,
    repeats,
    published: publisher?.published ?? 0,
  });

  /** Resolves once the running requests are done, or after {@link DRAIN_MS}. */
  const drain = async (): Promise<void> => {
    if (running.size === 0) return;
    let timer: NodeJS.Timeout | undefined;
    const bound = new Promise<void>((resolve) => (timer = setTimeout(resolve, DRAIN_MS)));
    await Promise.race([Promise.allSettled([...running]), bound]);
    clearTimeout(timer);
  };

  let stopped: Promise<void> | undefined;
  const stop = (abrupt: boolean): Promise<void> =>
    (stopped ??= (async () => {
      stopping = true;
      await publisher?.stop();
      for (const client of clients) {
        if (abrupt) client.socket.terminate();
        else closeClient(client, CLOSE.goingAway, 'server shutting down');
      }
      httpServer.off('upgrade', onUpgrade);
      if (!attachedTo) {
        const closed = new Promise<void>((resolve) => httpServer.close(() => resolve()));
        if (abrupt) httpServer.closeAllConnections();
        await closed;
      }
      await drain();
      if (!options.history) await history.close();
      wss.close();
    })());

  say(
    `feed server on ${attachedTo ? 'an attached server' : `ws://${host}:${port}`}, history in ${options.history ? 'the one given' : redisUrl ? 'redis' : 'memory'}`,
  );
  return {
    url: attachedTo ? (path ?? '/') : `ws://${host}:${port}${path ?? ''}`,
    port,
    publish: (channel, data) => {
      if (!channelNames.has(channel)) return Promise.reject(new Error('no such channel'));
      return publisher ? publisher.publish(channel, data) : history.append(channel, JSON.stringify(data));
    },
    stats,
    disconnect: (code, reason = '') => {
      const count = clients.size;
      for (const client of [...clients]) {
        if (code === undefined) client.socket.terminate();
        else closeClient(client, code, reason);
      }
      return count;
    },
    close: () => stop(false),
    kill: () => stop(true),
  };
}
