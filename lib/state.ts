import type { CloseInfo } from './events';

/** No subscriber has connected yet. */
export interface IdleState {
  readonly status: 'idle';
}
/** An attempt is under way. `attempt` is 0 for the first connection, then the reconnection attempt's number. */
export interface ConnectingState {
  readonly status: 'connecting';
  readonly attempt: number;
}
/** The socket is open. */
export interface OpenState {
  readonly status: 'open';
  readonly protocol: string;
  readonly extensions: string;
}
/** The client asked to close and waits for the closing handshake. */
export interface ClosingState {
  readonly status: 'closing';
}
/** Waiting `delayMs` before reconnection attempt number `attempt`. */
export interface ReconnectingState {
  readonly status: 'reconnecting';
  readonly attempt: number;
  readonly delayMs: number;
  /** The close that caused this wait, when it was a close. */
  readonly lastClose?: CloseInfo;
  /** The error that caused this wait, when the attempt failed without a close (timeout, URL provider...). */
  readonly lastError?: unknown;
}
/** The connection ended and will not be retried. Subscribing again starts a new one. */
export interface ClosedState {
  readonly status: 'closed';
  /** The last close, when the connection ended with one. */
  readonly close?: CloseInfo;
  /** Why it stopped, when it stopped on an error (a close that was not retried included). */
  readonly error?: unknown;
}

/** The connection's state, discriminated by `status`. */
export type ConnectionState = IdleState | ConnectingState | OpenState | ClosingState | ReconnectingState | ClosedState;

/** Every `status` a {@link ConnectionState} can have. */
export type ConnectionStatus = ConnectionState['status'];
