/**
 * The dashboard feed as an Angular service: one rx-websocket connection for the whole application, its state as a
 * signal, each channel as an Observable multiplexed over the shared socket, and typed sends.
 */
import {
  DestroyRef,
  type EnvironmentProviders,
  inject,
  Injectable,
  InjectionToken,
  makeEnvironmentProviders,
  type Signal,
  signal,
} from '@angular/core';
import { takeUntilDestroyed, toSignal } from '@angular/core/rxjs-interop';
import { filter, type MonoTypeOperatorFunction, type Observable, repeat, retry, Subject } from 'rxjs';
import {
  type ConnectionState,
  fromWebSocket,
  json,
  multiplex,
  type Source,
  type UrlInput,
  type WebSocketOptions,
} from 'rx-websocket';
import {
  type ClientMessage,
  type HelloMessage,
  PROTOCOL,
  type ServerMessage,
  type TickMessage,
} from '../dashboard/protocol';

/**
 * Where the feed is: a URL (relative ones resolve against the page), or a function giving one before every attempt,
 * e.g. to put a fresh token in it. Provide it in the application config, or in a test.
 */
export const FEED_URL = new InjectionToken<Source<UrlInput>>('rx-websocket feed URL');

/**
 * Options for the feed's socket beyond the JSON encoding, such as `reconnect` or `heartbeat`.
 * Optional: the library's defaults apply without it.
 */
export const FEED_OPTIONS = new InjectionToken<WebSocketOptions<ServerMessage, ClientMessage>>(
  'rx-websocket feed options',
  { providedIn: 'root', factory: () => ({}) },
);

/**
 * Configures the feed for an application: `bootstrapApplication(App, { providers: [provideFeed('/ws')] })`.
 * The same as providing {@link FEED_URL} and {@link FEED_OPTIONS} yourself.
 */
export function provideFeed(
  url: Source<UrlInput>,
  options: WebSocketOptions<ServerMessage, ClientMessage> = {},
): EnvironmentProviders {
  return makeEnvironmentProviders([
    { provide: FEED_URL, useValue: url },
    { provide: FEED_OPTIONS, useValue: options },
  ]);
}

/**
 * The feed, for the whole application. It connects when first injected and stays connected (reconnecting as the
 * close codes allow) until the application is destroyed; components take its signals and channels.
 */
@Injectable({ providedIn: 'root' })
export class FeedService {
  private readonly socket = fromWebSocket<ServerMessage, ClientMessage>(inject(FEED_URL), [PROTOCOL], {
    ...json<ServerMessage, ClientMessage>(),
    ...inject(FEED_OPTIONS),
  });
  private readonly destroyRef = inject(DestroyRef);
  /** Emits when the user asks to connect again after the connection ended for good. */
  private readonly restart$ = new Subject<void>();
  private readonly lastErrorSignal = signal<string | undefined>(undefined);

  /**
   * The connection's state: connecting, open, reconnecting (with the attempt and the delay), closed (with the
   * close)... `state$` starts with the current state, so the signal has a value at once.
   */
  readonly status: Signal<ConnectionState> = toSignal(this.socket.state$, { requireSync: true });

  /** The server's greeting on the latest connection: its instance number and channel catalog. */
  readonly hello: Signal<HelloMessage | undefined> = toSignal(
    this.socket.message$.pipe(
      filter((message): message is HelloMessage => message.type === 'hello'),
      this.resumable(),
    ),
  );

  /** The latest error the socket reported (transport, decoding, an overflowing send queue), for display. */
  readonly lastError: Signal<string | undefined> = this.lastErrorSignal.asReadonly();

  constructor() {
    // Listening on error$ also holds the connection open for as long as the application lives; the root
    // injector's DestroyRef ends this subscription, and with the last subscriber gone the socket closes with 1000.
    this.socket.error$.pipe(this.resumable(), takeUntilDestroyed(this.destroyRef)).subscribe((error) => {
      this.lastErrorSignal.set(error instanceof Error ? `${error.name}: ${error.message}` : String(error));
    });
    this.destroyRef.onDestroy(() => this.restart$.complete());
  }

  /**
   * The ticks of one channel. The server is told to subscribe when the first subscriber arrives and after every
   * reconnection, and to unsubscribe when the last one leaves; subscribers of the same channel share all that.
   */
  ticks(channel: string): Observable<TickMessage> {
    return multiplex(
      this.socket,
      () => ({ type: 'subscribe', channel }),
      () => ({ type: 'unsubscribe', channel }),
      (message): message is TickMessage => message.type === 'tick' && message.channel === channel,
    ).pipe(this.resumable());
  }

  /** Sends now when open, or queues until the next open. */
  send(message: ClientMessage): void {
    this.socket.send(message);
  }

  /**
   * Connects again now: drops the current socket (or skips the wait before the next attempt) with the backoff
   * reset; after a close that was not retried (a stop code, or a 1000), starts a new connection.
   */
  reconnect(): void {
    if (this.status().status === 'closed') {
      this.lastErrorSignal.set(undefined);
      this.restart$.next();
    } else {
      this.socket.reconnect();
    }
  }

  /**
   * When the connection stops for good, the library ends its streams: `message$` errors with the close (or
   * completes, on a 1000), `error$` completes. This keeps a subscriber in place across such a stop, subscribing
   * again when {@link reconnect} starts a new connection, so that components need not handle the end themselves;
   * the stop itself shows in {@link status}.
   */
  private resumable<T>(): MonoTypeOperatorFunction<T> {
    return (source) => source.pipe(retry({ delay: () => this.restart$ }), repeat({ delay: () => this.restart$ }));
  }
}
