import { InvalidOptionError } from '../core/errors';
import type { ConnectionDouble } from './connection-double';
import type { FrameData } from './socket-double';
import type { WebSocketServerDouble } from './web-socket-double';

/** A request id of the feed protocol: a string or an integer (`"7"` and `7` are two ids). */
export type FeedRequestId = string | number;

/** What a client of the feed protocol (docs/protocol.md) sends. */
export type FeedClientFrame = FeedSubscribe | FeedUnsubscribe | FeedRequest;

/** Subscribes to a channel: live only, or resuming after the cursor `since`. */
export interface FeedSubscribe {
  /** `'subscribe'`. */
  readonly type: 'subscribe';
  /** The channel's name. */
  readonly channel: string;
  /** The cursor of the last message the client got; the server replays what follows it. */
  readonly since?: string;
}

/** Ends the connection's subscription to a channel. */
export interface FeedUnsubscribe {
  /** `'unsubscribe'`. */
  readonly type: 'unsubscribe';
  /** The channel's name. */
  readonly channel: string;
}

/** A request, answered once per id. */
export interface FeedRequest {
  /** `'request'`. */
  readonly type: 'request';
  /** Unique per request; a repeat gets the stored reply. */
  readonly id: FeedRequestId;
  /** What to run. */
  readonly data: unknown;
}

/** One message of a channel, as the feed sends it and keeps it in its history. */
export interface FeedMessage<D = unknown> {
  /** `'message'`. */
  readonly type: 'message';
  /** The channel's name. */
  readonly channel: string;
  /** Opaque to clients; the double's are the message's number in its channel, as a string: `'1'`, `'2'`... */
  readonly cursor: string;
  /** What was published. */
  readonly data: D;
}

/** What the feed protocol's server sends. */
export type FeedServerFrame<D = unknown> = FeedSubscribed | FeedUnsubscribed | FeedMessage<D> | FeedReply | FeedError;

/** The answer to a subscribe. */
export interface FeedSubscribed {
  /** `'subscribed'`. */
  readonly type: 'subscribed';
  /** The channel's name. */
  readonly channel: string;
  /** Only with `since`: whether every message after it follows (`false`: the history no longer reaches it). */
  readonly recovered?: boolean;
}

/** The answer to an unsubscribe. */
export interface FeedUnsubscribed {
  /** `'unsubscribed'`. */
  readonly type: 'unsubscribed';
  /** The channel's name. */
  readonly channel: string;
}

/** The answer to a request: `data`, or an `error`. */
export interface FeedReply {
  /** `'reply'`. */
  readonly type: 'reply';
  /** The request's id. */
  readonly id: FeedRequestId;
  /** What the request returned, when it succeeded. */
  readonly data?: unknown;
  /** Why it failed, when it did. */
  readonly error?: {
    /** A stable code. */
    readonly code: string;
    /** For people. */
    readonly message: string;
  };
}

/** A subscribe the server cannot take (`unknown_channel`). */
export interface FeedError {
  /** `'error'`. */
  readonly type: 'error';
  /** The channel's name. */
  readonly channel: string;
  /** A stable code. */
  readonly code: string;
  /** For people. */
  readonly message: string;
}

/** Options of {@link createFeedServerDouble}. */
export interface FeedServerDoubleOptions {
  /**
   * The channels the feed has; a subscribe to any other is answered with an `unknown_channel` error frame.
   * @default undefined: every channel exists
   */
  readonly channels?: readonly string[];
  /**
   * Messages kept per channel; older ones are dropped, and a `since` older than what is kept is answered
   * `recovered: false`, as by {@link FeedServerDouble.trim}.
   * @default 1000
   */
  readonly historyLength?: number;
  /**
   * Answers a request: what it returns is the reply's `data`; what it throws is replied as the error
   * `{ code: 'internal' }`. A repeated id gets the stored reply and is not answered again. Without it, request frames
   * are left alone (for another double to answer).
   * @default undefined
   */
  readonly answer?: (data: unknown, id: FeedRequestId) => unknown;
}

/**
 * A resumable feed played by a {@link WebSocketServerDouble}, in virtual time: it speaks the feed protocol
 * (docs/protocol.md, JSON text frames) on every connection of the double, keeps each channel's history, answers a
 * subscribe with `subscribed`, then (with `since`) the messages after `since`, then the live ones. The connections
 * still open, close and drop as the double is scripted (or with `autoOpen`); frames the feed does not know are left
 * alone, and a frame to a connection the server is ending is lost, as on a real server.
 */
export interface FeedServerDouble {
  /** Appends a message to `channel` and sends it to every connection subscribed to it; returns its cursor. */
  publish<D>(channel: string, data: D): string;
  /**
   * Drops all but the newest `keep` messages of `channel`, as a server whose history no longer reaches back: a client
   * that resumes from a cursor older than the message just before the oldest kept is answered `recovered: false`.
   */
  trim(channel: string, keep?: number): void;
  /** Drops every connection still open (no close frame: 1006), as a network failure or a crash would. */
  dropConnections(): void;
  /** The messages of `channel` kept now, oldest first. */
  history(channel: string): readonly FeedMessage[];
  /** How many connections are subscribed to `channel` now. */
  subscribers(channel: string): number;
  /** Requests answered by running `answer` (not those answered from the stored replies). */
  readonly executions: number;
}

interface ChannelState {
  readonly kept: FeedMessage[];
  /** Number of the newest message (0 before the first). */
  last: number;
  readonly subscribed: Set<ConnectionDouble<unknown, unknown>>;
}

/**
 * Makes `server` play a resumable feed (see {@link FeedServerDouble}) on its connections, those made already and
 * those to come.
 *
 * @example
 * testScheduler.run(({ flush }) => {
 *   const server = createWebSocketDouble<FeedServerFrame, FeedClientFrame>({ autoOpen: true });
 *   const feed = createFeedServerDouble(server);
 *   server.scheduler.schedule(() => feed.publish('BTC', 1), 5);
 *   server.scheduler.schedule(() => feed.dropConnections(), 6); // the channel resubscribes with since: '1'
 *   // ... multiplex(socket, (cursor) => ({ type: 'subscribe', channel: 'BTC', since: cursor }), ...)
 *   flush();
 * });
 */
export function createFeedServerDouble<In, Out>(
  server: WebSocketServerDouble<In, Out>,
  options: FeedServerDoubleOptions = {},
): FeedServerDouble {
  const { channels: known, historyLength = 1000, answer } = options;
  if (!(Number.isSafeInteger(historyLength) && historyLength >= 0)) {
    throw new InvalidOptionError('historyLength', historyLength, 'an integer ≥ 0');
  }
  const channels = new Map<string, ChannelState>();
  const replies = new Map<string, unknown>();
  let executions = 0;

  const channelOf = (name: string): ChannelState => {
    let channel = channels.get(name);
    if (!channel) {
      channel = { kept: [], last: 0, subscribed: new Set() };
      channels.set(name, channel);
    }
    return channel;
  };

  const send = (connection: ConnectionDouble<unknown, unknown>, frame: FeedServerFrame): void => {
    try {
      connection.message(JSON.stringify(frame));
    } catch {
      // The server already ended this connection (a script closed or dropped it): the frame is lost.
    }
  };

  const onFrame = (connection: ConnectionDouble<unknown, unknown>, data: FrameData): void => {
    const frame = parse(data);
    if (!frame) return;
    if (frame.type === 'subscribe') {
      const { channel: name, since } = frame;
      if (known && !known.includes(name)) {
        send(connection, { type: 'error', channel: name, code: 'unknown_channel', message: 'no such channel' });
        return;
      }
      const channel = channelOf(name);
      channel.subscribed.add(connection);
      if (since === undefined) {
        send(connection, { type: 'subscribed', channel: name });
        return;
      }
      const seq = /^[1-9]\d{0,14}$/.test(since) ? Number(since) : undefined;
      const firstKept = channel.last - channel.kept.length + 1;
      const recovered = seq !== undefined && seq <= channel.last && seq >= firstKept - 1;
      send(connection, { type: 'subscribed', channel: name, recovered });
      if (recovered) for (const message of channel.kept.slice(seq - firstKept + 1)) send(connection, message);
    } else if (frame.type === 'unsubscribe') {
      channels.get(frame.channel)?.subscribed.delete(connection);
      send(connection, { type: 'unsubscribed', channel: frame.channel });
    } else if (answer) {
      const key = JSON.stringify(frame.id);
      let reply = replies.get(key) as FeedServerFrame | undefined;
      if (!reply) {
        executions++;
        try {
          reply = { type: 'reply', id: frame.id, data: answer(frame.data, frame.id) ?? null };
        } catch {
          reply = { type: 'reply', id: frame.id, error: { code: 'internal', message: 'the operation failed' } };
        }
        replies.set(key, reply);
      }
      send(connection, reply);
    }
  };

  const attach = (connection: ConnectionDouble<unknown, unknown>): void => {
    const { socket } = connection;
    const sendOriginal = socket.send.bind(socket);
    // Every frame the client sends reaches the feed as it is sent, after the double has recorded it.
    socket.send = (data) => {
      const before = connection.sent.length;
      sendOriginal(data);
      for (let i = before; i < connection.sent.length; i++) {
        const sent = connection.sent[i];
        if (sent) onFrame(connection, sent.data);
      }
    };
    socket.addEventListener('close', () => {
      for (const channel of channels.values()) channel.subscribed.delete(connection);
    });
  };
  const connections = server as unknown as WebSocketServerDouble<unknown, unknown>;
  connections.connections.forEach(attach);
  connections.connection$.subscribe(attach);

  return {
    publish(name, data) {
      const channel = channelOf(name);
      const message: FeedMessage = { type: 'message', channel: name, cursor: String(++channel.last), data };
      channel.kept.push(message);
      if (channel.kept.length > historyLength) channel.kept.shift();
      for (const connection of channel.subscribed) send(connection, message);
      return message.cursor;
    },
    trim(name, keep = 0) {
      const { kept } = channelOf(name);
      kept.splice(0, Math.max(0, kept.length - keep));
    },
    dropConnections() {
      for (const connection of connections.connections) {
        if (connection.readyState !== 1) continue;
        for (const channel of channels.values()) channel.subscribed.delete(connection);
        try {
          connection.drop();
        } catch {
          // Ended by the server already: it is going.
        }
      }
    },
    history: (name) => [...(channels.get(name)?.kept ?? [])],
    subscribers: (name) => channels.get(name)?.subscribed.size ?? 0,
    get executions() {
      return executions;
    },
  };
}

/** A client frame of the feed protocol, or `undefined` for anything else (left to other doubles). */
function parse(data: FrameData): FeedClientFrame | undefined {
  if (typeof data !== 'string') return undefined;
  let value: unknown;
  try {
    value = JSON.parse(data);
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null) return undefined;
  const frame = value as Record<string, unknown>;
  if ((frame.type === 'subscribe' || frame.type === 'unsubscribe') && typeof frame.channel === 'string') {
    if (frame.since !== undefined && typeof frame.since !== 'string') return undefined;
    return frame as unknown as FeedClientFrame;
  }
  if (frame.type === 'request' && (typeof frame.id === 'string' || Number.isSafeInteger(frame.id))) {
    return frame as unknown as FeedClientFrame;
  }
  return undefined;
}
