import { Observable, type Subscriber, type Subscription } from 'rxjs';

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
  const channels = new Map<string, Channel<In>>();
  return (
    subscribeMsg: () => Out,
    unsubscribeMsg: () => Out,
    filter: (message: In) => boolean,
    options?: MultiplexOptions,
  ) =>
    new Observable<In>((subscriber) => {
      const key = options?.key ?? JSON.stringify(subscribeMsg());
      const channel = channels.get(key) ?? open(key, subscribeMsg, unsubscribeMsg, filter);
      channel.members = [...channel.members, subscriber];
      return () => {
        channel.members = channel.members.filter((member) => member !== subscriber);
        if (channel.members.length === 0) channel.stop();
      };
    });

  /** A new channel: subscribed now (when open) and after every open, its messages handed to its members. */
  function open(
    key: string,
    subscribeMsg: () => Out,
    unsubscribeMsg: () => Out,
    filter: (message: In) => boolean,
  ): Channel<In> {
    const channel: Channel<In> = { members: [], stop: () => undefined };
    let opens: Subscription | undefined;
    let messages: Subscription | undefined;
    const forget = (): void => {
      if (channels.get(key) === channel) channels.delete(key);
      opens?.unsubscribe();
    };
    /** The socket's streams ended: so does the channel, for every member. */
    const end = (notify: (member: Subscriber<In>) => void): void => {
      forget();
      const { members } = channel;
      channel.members = [];
      members.forEach(notify);
    };
    channel.stop = () => {
      forget();
      // Unsubscribing from a channel whose socket has ended, or is not open, would be a stale message.
      if (host.isOpen() && messages && !messages.closed) host.send(unsubscribeMsg());
      messages?.unsubscribe();
    };
    try {
      opens = host.open$.subscribe(() => host.send(subscribeMsg()));
      messages = host.message$.subscribe({
        next: (message) => {
          let accepted: boolean;
          try {
            accepted = filter(message);
          } catch (error) {
            // As RxJS's filter does: the channel errors (its members' teardown unsubscribes it); the socket goes on.
            for (const member of channel.members) member.error(error);
            return;
          }
          if (accepted) for (const member of channel.members) member.next(message);
        },
        error: (error: unknown) => end((member) => member.error(error)),
        complete: () => end((member) => member.complete()),
      });
      if (host.isOpen()) host.send(subscribeMsg());
    } catch (error) {
      // The subscribe message could not be sent (and nobody listens on error$): no channel, nothing held open.
      forget();
      messages?.unsubscribe();
      throw error;
    }
    channels.set(key, channel);
    return channel;
  }
}

/** One channel: its subscribers, and how to stop it once the last has left. */
interface Channel<In> {
  members: readonly Subscriber<In>[];
  stop: () => void;
}
