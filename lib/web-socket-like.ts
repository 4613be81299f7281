import type { WebSocketPayload } from './events';

/**
 * What this library needs of a WebSocket: the browser's `WebSocket` and Node's `ws` both fit,
 * and so does any object with the same members (a test double, for instance).
 */
export interface WebSocketLike {
  readonly url: string;
  readonly protocol: string;
  readonly extensions: string;
  readonly readyState: number;
  readonly bufferedAmount: number;
  binaryType: string;
  send(data: WebSocketPayload): void;
  close(code?: number, reason?: string): void;
}

/** A WebSocket constructor: the browser's `WebSocket`, `ws`, or a double. */
export type WebSocketConstructor = new (url: string, protocols?: string | string[], options?: never) => WebSocketLike;

/** Ready states, as on the browser's `WebSocket`. */
export const CONNECTING = 0;
export const OPEN = 1;
export const CLOSING = 2;
export const CLOSED = 3;
