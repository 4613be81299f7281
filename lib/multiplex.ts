import { Observable, share } from 'rxjs';

/** What a multiplexer needs of the socket it runs over. */
export interface MultiplexHost<In, Out> {
  readonly message$: Observable<In>;
  readonly open$: Observable<unknown>;
  isOpen(): boolean;
  send(value: Out): void;
}

/** Options of `multiplex`. */
export interface MultiplexOptions {
  /**
   * Identifies the channel: `multiplex` calls with the same key share one channel (one subscribe and
   * one unsubscribe message for all their subscribers).
   * @default the JSON of the subscribe message
   */
  readonly key?: string;
}

/**
 * `socket.multiplex(subscribeMsg, unsubscribeMsg, filter, options?)`: a channel over the shared socket, emitting the
 * messages `filter` accepts (narrowed to `T` when `filter` is a type guard). See {@link ReactiveWebSocket.multiplex} for when
 * the subscribe and unsubscribe messages are sent.
 */
export type Multiplex<In, Out> = {
  <T extends In>(
    subscribeMsg: () => Out,
    unsubscribeMsg: () => Out,
    filter: (message: In) => message is T,
    options?: MultiplexOptions,
  ): Observable<T>;
  (
    subscribeMsg: () => Out,
    unsubscribeMsg: () => Out,
    filter: (message: In) => boolean,
    options?: MultiplexOptions,
  ): Observable<In>;
};

/**
 * Channels over one shared socket. A channel sends its subscribe message when its first subscriber
 * arrives (at once if open, else on the next open) and again after every reconnection, and its
 * unsubscribe message when the last one leaves — only if the socket is open then: a socket that is
 * not open has no subscription to cancel, so nothing stale is replayed to the next connection.
 */
export function createMultiplex<In, Out>(host: MultiplexHost<In, Out>): Multiplex<In, Out> {
  const channels = new Map<string, Observable<In>>();
  return (
    subscribeMsg: () => Out,
    unsubscribeMsg: () => Out,
    filter: (message: In) => boolean,
    options?: MultiplexOptions,
  ) =>
    new Observable<In>((subscriber) => {
      const key = options?.key ?? JSON.stringify(subscribeMsg());
      let channel = channels.get(key);
      if (!channel) {
        const created = new Observable<In>((member) => {
          // Every open, reconnections included, needs the subscription made again; open$ emits after the send queue flushed.
          const opens = host.open$.subscribe(() => host.send(subscribeMsg()));
          if (host.isOpen()) host.send(subscribeMsg());
          const messages = host.message$.subscribe({
            next: (message) => {
              if (filter(message)) member.next(message);
            },
            error: (error: unknown) => member.error(error),
            complete: () => member.complete(),
          });
          return () => {
            opens.unsubscribe();
            if (host.isOpen() && !messages.closed) host.send(unsubscribeMsg());
            messages.unsubscribe();
            if (channels.get(key) === shared) channels.delete(key);
          };
        });
        const shared = created.pipe(share());
        channel = shared;
        channels.set(key, shared);
      }
      return channel.subscribe(subscriber);
    });
}
