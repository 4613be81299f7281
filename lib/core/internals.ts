import type { Observable } from 'rxjs';
import type { RxWebSocketError } from './errors';

/**
 * @internal The key of the method through which the opt-in features reach a socket's internals. A symbol, so that the
 * method is neither enumerable nor part of the public shape; a socket that lacks it was not made by `fromWebSocket`.
 */
export const INTERNALS: unique symbol = Symbol('rx-websocket.internals');

/** @internal What a socket gives the opt-in features (channels) that run over it. */
export interface SocketInternals<In, Out> {
  readonly message$: Observable<In>;
  readonly open$: Observable<unknown>;
  /** Whether `open$` has announced the current socket and it is still open. */
  isOpen(): boolean;
  /** The current socket, as an identity: a channel unsubscribes only on the socket it subscribed on. */
  current(): object | undefined;
  /** Sends, or reports on `error$` what it cannot send; throws it instead when nobody listens there. */
  send(value: Out): void;
  /** Emits `error` on `error$`; false when nobody listens there. */
  report(error: RxWebSocketError): boolean;
}

/** @internal A socket made by `fromWebSocket`, as the features see it. */
export interface WithInternals<In, Out> {
  [INTERNALS](): SocketInternals<In, Out>;
}
