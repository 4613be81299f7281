/**
 * What the dashboard's server publishes, and the two ways it is served, every message one JSON text frame:
 *
 * - `/feed`: the reference wire protocol (docs/protocol.md, `examples/feed-server`), which the page speaks: channels
 *   resumed from a cursor after a reconnection, requests answered once per id. The data of each `message` frame is a
 *   {@link TickData}.
 * - `/ws`: the dashboard's own protocol, `dashboard.v1` below (no cursors, no replay), which the Node and Angular
 *   examples speak.
 *
 * Keeping the shapes here means both ends are type-checked against the same contract.
 */

/** The path of the reference feed (docs/protocol.md), on the same origin as the page. */
export const FEED_PATH = '/feed';

/**
 * The data of one message of a channel on the reference feed.
 */
export interface TickData {
  /** Counts the channel's messages from 1, with no gap: a jump means messages were missed. */
  readonly n: number;
  /** Server time when published, milliseconds since the epoch. */
  readonly t: number;
  readonly value: number;
}

/** The sub-protocol of the `/ws` endpoint; clients offer it and show what was negotiated. */
export const PROTOCOL = 'dashboard.v1';

/** The path of the `dashboard.v1` endpoint, on the same origin as the page. */
export const SOCKET_PATH = '/ws';

export type ChannelKind = 'price' | 'metric';

/** One stream of values the server publishes. */
export interface ChannelInfo {
  readonly name: string;
  readonly label: string;
  readonly kind: ChannelKind;
  readonly unit: string;
  /** Digits after the decimal point when the value is displayed. */
  readonly decimals: number;
  /** Messages per second the server sends on this channel to each subscriber. */
  readonly rateHz: number;
}

/** What the server publishes. About 250 messages per second when a client takes every channel. */
export const CHANNELS: readonly ChannelInfo[] = [
  { name: 'BTC-USD', label: 'Bitcoin', kind: 'price', unit: 'USD', decimals: 2, rateHz: 50 },
  { name: 'ETH-USD', label: 'Ether', kind: 'price', unit: 'USD', decimals: 2, rateHz: 50 },
  { name: 'EUR-USD', label: 'Euro', kind: 'price', unit: 'USD', decimals: 5, rateHz: 50 },
  { name: 'cpu', label: 'CPU load', kind: 'metric', unit: '%', decimals: 1, rateHz: 25 },
  { name: 'memory', label: 'Memory in use', kind: 'metric', unit: 'GiB', decimals: 2, rateHz: 25 },
  { name: 'latency-p99', label: 'Latency p99', kind: 'metric', unit: 'ms', decimals: 0, rateHz: 25 },
  { name: 'requests', label: 'Requests', kind: 'metric', unit: 'req/s', decimals: 0, rateHz: 25 },
];

export const CHANNEL_NAMES: readonly string[] = CHANNELS.map((channel) => channel.name);

/** Sent once per connection, before anything else. */
export interface HelloMessage {
  readonly type: 'hello';
  /** Counts the server's (re)starts, so a client can tell that it reached a restarted server. */
  readonly instance: number;
  readonly channels: readonly ChannelInfo[];
  /** Channels this connection is already subscribed to (from the `channels` query parameter of the URL). */
  readonly subscribed: readonly string[];
}

/** One value on one channel. */
export interface TickMessage {
  readonly type: 'tick';
  readonly channel: string;
  /** Per channel, increasing across all clients; a gap means messages were missed. */
  readonly seq: number;
  /** Server time, milliseconds since the epoch. */
  readonly t: number;
  readonly value: number;
}

export interface SubscribedMessage {
  readonly type: 'subscribed';
  readonly channel: string;
}

export interface UnsubscribedMessage {
  readonly type: 'unsubscribed';
  readonly channel: string;
}

/** The server could not act on a client message; the connection stays open. */
export interface ServerErrorMessage {
  readonly type: 'error';
  readonly message: string;
}

/** The answer to a {@link PingMessage}, sent as exactly {@link PONG_FRAME}. */
export interface PongMessage {
  readonly type: 'pong';
}

export type ServerMessage =
  HelloMessage | TickMessage | SubscribedMessage | UnsubscribedMessage | PongMessage | ServerErrorMessage;

export interface SubscribeMessage {
  readonly type: 'subscribe';
  readonly channel: string;
}

export interface UnsubscribeMessage {
  readonly type: 'unsubscribe';
  readonly channel: string;
}

/** The page's heartbeat: sent after a quiet spell; the server answers with a pong unless it is stalled. */
export interface PingMessage {
  readonly type: 'ping';
}

export type ClientMessage = SubscribeMessage | UnsubscribeMessage | PingMessage;

/** The heartbeat frames, as they travel: fixed strings, so that a pong is recognised without parsing. */
export const PING_FRAME = JSON.stringify({ type: 'ping' } satisfies PingMessage);
export const PONG_FRAME = JSON.stringify({ type: 'pong' } satisfies PongMessage);

/** Close codes the fault endpoint accepts: what a server may put in a close frame (RFC 6455 §7.4). */
export function isServerCloseCode(code: number): boolean {
  if (!Number.isInteger(code)) return false;
  if (code >= 3000 && code <= 4999) return true;
  return code >= 1000 && code <= 1014 && code !== 1004 && code !== 1005 && code !== 1006;
}

/** The reason the server gives with each close code it is asked to send. */
export function closeReasonFor(code: number): string {
  switch (code) {
    case 1000:
      return 'session over';
    case 1001:
      return 'server going away';
    case 1008:
      return 'policy violation';
    case 1011:
      return 'internal server error';
    case 1012:
      return 'service restart';
    case 1013:
      return 'try again later';
    case 4001:
      return 'unauthorized';
    case 4003:
      return 'forbidden';
    default:
      return `closed with ${code} on request`;
  }
}
