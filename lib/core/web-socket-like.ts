import type { WebSocketPayload } from './events';

/**
 * What this library needs of a WebSocket: the browser's `WebSocket` and Node's `ws` both fit,
 * and so does any object with the same members (a test double, for instance).
 */
export interface WebSocketLike {
  /** The absolute URL connected to. */
  readonly url: string;
  /** The sub-protocol the server selected ('' when none). */
  readonly protocol: string;
  /** The extensions the server selected ('' when none). */
  readonly extensions: string;
  /** {@link CONNECTING}, {@link OPEN}, {@link CLOSING} or {@link CLOSED}. */
  readonly readyState: number;
  /** Bytes handed to `send` and not yet put on the wire. */
  readonly bufferedAmount: number;
  /** How binary messages arrive: `'arraybuffer'` or `'blob'` (Node's `ws` also knows others). */
  binaryType: string;
  /** Sends one message. */
  send(data: WebSocketPayload): void;
  /** Starts the closing handshake. */
  close(code?: number, reason?: string): void;
}

/** A WebSocket constructor: the browser's `WebSocket`, `ws`, or a double. */
export type WebSocketConstructor = new (url: string, protocols?: string | string[], options?: never) => WebSocketLike;

// Ready states, as on the browser's `WebSocket`.
/** `readyState`: the socket is connecting. */
export const CONNECTING = 0;
/** `readyState`: the socket is open. */
export const OPEN = 1;
/** `readyState`: the closing handshake is under way. */
export const CLOSING = 2;
/** `readyState`: the socket is closed, or never opened. */
export const CLOSED = 3;
