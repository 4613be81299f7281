import type { Observable } from 'rxjs';
import type { RxWebSocketError } from './errors';
import type { BoundedQueue } from './send-queue';

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
  /**
   * Sends (or queues, when not open), or reports on `error$` what it cannot send and returns that error. Throws it
   * instead when nobody listens there; throws as `send` does when the socket throws or a full queue is set to throw.
   */
  send(value: Out): RxWebSocketError | undefined;
  /** Emits `error` on `error$`; false when nobody listens there. */
  report(error: RxWebSocketError): boolean;
  /** The send queue, once something waited in it. */
  queue(): BoundedQueue<Out> | undefined;
}

/** @internal A socket made by `fromWebSocket`, as the features see it. */
export interface WithInternals<In, Out> {
  [INTERNALS](): SocketInternals<In, Out>;
}

/**
 * @internal The key of an optional method of a WebSocket-like: `multiplex` calls it with what the frame it is about to
 * send is (a channel's subscribe or unsubscribe), `request` with a frame it sends again on every open, and either with
 * `undefined` once sent. A socket shared across tabs counts a channel's subscribers with it, and hands back no data of
 * such a frame when the connection is closing (its sender makes it again on the next open); every other socket lacks
 * it.
 */
export const CHANNEL_FRAME: unique symbol = Symbol('rx-websocket.channel-frame');

/** @internal What `multiplex` (or `request`) says of the frame it sends next. */
export interface ChannelFrame {
  /** The channel's key, as `multiplex` keys its channels; `''` for a request. */
  readonly key: string;
  /** A channel's subscribe or unsubscribe, or a request that is sent again on every open (`resend: 'on-reconnect'`). */
  readonly op: 'subscribe' | 'unsubscribe' | 'resend';
  /** A subscribe made with a cursor (a resumable channel resubscribing). */
  readonly resumes: boolean;
}

/** @internal A WebSocket-like that is told of channel frames. */
export interface ChannelFrameAware {
  [CHANNEL_FRAME](frame: ChannelFrame | undefined): void;
}
