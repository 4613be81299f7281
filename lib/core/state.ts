import type { CloseInfo } from './events';

/** No subscriber has connected yet. */
export interface IdleState {
  /** The discriminant. */
  readonly status: 'idle';
}
/** An attempt is under way. `attempt` is 0 for the first connection, then the reconnection attempt's number. */
export interface ConnectingState {
  /** The discriminant. */
  readonly status: 'connecting';
  /** 0 for the first connection, then the number of the reconnection attempt. */
  readonly attempt: number;
}
/** The socket is open. */
export interface OpenState {
  /** The discriminant. */
  readonly status: 'open';
  /** The sub-protocol the server selected ('' when none). */
  readonly protocol: string;
  /** The extensions the server selected ('' when none). */
  readonly extensions: string;
}
/** The client asked to close and waits for the closing handshake. */
export interface ClosingState {
  /** The discriminant. */
  readonly status: 'closing';
}
/** Waiting `delayMs` before reconnection attempt number `attempt`. */
export interface ReconnectingState {
  /** The discriminant. */
  readonly status: 'reconnecting';
  /** The number of the reconnection attempt waited for, from 1. */
  readonly attempt: number;
  /** How long the wait is, in milliseconds. */
  readonly delayMs: number;
  /** The close that caused this wait, when it was a close. */
  readonly lastClose?: CloseInfo;
  /** The error that caused this wait, when the attempt failed without a close (timeout, URL provider...). */
  readonly lastError?: unknown;
}
/** The connection ended and will not be retried. Subscribing again starts a new one. */
export interface ClosedState {
  /** The discriminant. */
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
