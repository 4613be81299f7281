import {
  asapScheduler,
  asyncScheduler,
  fromEvent,
  NEVER,
  Observable,
  race,
  switchMap,
  take,
  timer,
  type Subscription,
} from 'rxjs';
import type { BackoffStrategy } from './backoff';
import { type ReconnectPolicy } from './close-codes';
import { connection, type ConnectionEvent, type NativeMessageEvent } from './connection';
import { DecodeError, HeartbeatTimeoutError, MessageNotSentError, WebSocketCloseError } from './errors';
import { heartbeat, type ResolvedHeartbeat } from './heartbeat';
import type { CloseInfo, OpenInfo, WebSocketMessageEvent } from './events';
import { planRetry, type RetryPlan } from './retry-with-backoff';
import { resolveSource, type Source } from './source';
import type { ConnectionState } from './state';
import { normalizeUrl, type UrlInput } from './url';
import { validateProtocols } from './protocols';
import { OPEN, type WebSocketConstructor, type WebSocketLike } from './web-socket-like';

/** What a session reports to the shared streams. Messages do not go this way: they go to `SessionHost.message`. */
export type SessionEvent =
  | { readonly type: 'open'; readonly info: OpenInfo }
  | { readonly type: 'close'; readonly close: CloseInfo }
  | { readonly type: 'error'; readonly error: unknown };

/** Reconnection settings with every default applied. */
export interface ResolvedReconnect {
  readonly backoff: BackoffStrategy;
  readonly shouldReconnect: ReconnectPolicy;
  readonly maxAttempts: number;
  readonly resetAfterMs: number;
}

export interface SessionConfig<In> {
  readonly url: Source<UrlInput>;
  readonly protocols: Source<string | readonly string[] | undefined>;
  readonly WebSocketCtor: WebSocketConstructor;
  readonly socketOptions: object | undefined;
  readonly deserializer: (event: WebSocketMessageEvent<never>) => In;
  readonly decodeErrors: 'report' | 'fatal';
  /** `undefined` when reconnection is off. */
  readonly reconnect: ResolvedReconnect | undefined;
  readonly connectTimeoutMs: number;
  /** `undefined` when there is no heartbeat. */
  readonly heartbeat: ResolvedHeartbeat | undefined;
}

/** What the session needs of the socket object that owns it. */
export interface SessionHost {
  binaryType(): string;
  setState(state: ConnectionState): void;
  setSocket(socket: WebSocketLike): void;
  /** Called when a socket opens, before `open$` emits: flushes the send queue. */
  opened(socket: WebSocketLike): void;
  /** Empties the send queue and returns what was in it. */
  takeUnsent(): unknown[];
  /** Errors raised outside the session (the send path) to report on `error$`. */
  readonly report$: Observable<unknown>;
  /** Each decoded message, handed straight to message$ and messageEvent$ (not through the shared event stream). */
  message(value: unknown, event: NativeMessageEvent): void;
}

/** How the owner steers a running session. */
export interface SessionControl {
  close(code: number | undefined, reason: string | undefined): void;
  reconnect(): void;
}

/**
 * A connection kept alive across closes as one Observable: connects, reconnects by policy and backoff,
 * and ends by completing (a normal end) or erroring with the reason it stopped.
 */
export function session<In>(
  config: SessionConfig<In>,
  host: SessionHost,
  register: (control: SessionControl | undefined) => void,
): Observable<SessionEvent> {
  return new Observable<SessionEvent>((subscriber) => {
    const { reconnect, deserializer, decodeErrors, heartbeat: beat } = config;
    // Failed attempts in a row; 0 while connected for the first time or after a stable uptime.
    let retries = 0;
    let phase: Subscription | undefined;
    let stable: Subscription | undefined;
    let alive: Subscription | undefined;
    let lastTrafficAt = 0;
    const markTraffic = (): void => {
      lastTrafficAt = asyncScheduler.now();
    };
    let socket: WebSocketLike | undefined;
    let opened = false;
    let attemptError: unknown;
    let closeRequested = false;
    let ended = false;

    const reports = host.report$.subscribe((error) => subscriber.next({ type: 'error', error }));

    const end = (state: ConnectionState, error?: unknown): void => {
      if (ended) return;
      ended = true;
      phase?.unsubscribe();
      stable?.unsubscribe();
      alive?.unsubscribe();
      host.setState(state);
      if (error === undefined) subscriber.complete();
      else subscriber.error(error);
    };

    const retryOrStop = (reason: unknown, lastClose: CloseInfo | undefined): void => {
      const attempt = retries + 1;
      let plan: RetryPlan = { retry: false };
      try {
        if (reconnect)
          plan = planRetry(reason, attempt, {
            backoff: reconnect.backoff,
            maxAttempts: reconnect.maxAttempts,
            shouldRetry: reconnect.shouldReconnect,
          });
      } catch (error) {
        // A backoff or policy that throws (or returns a bad delay) stops the connection with that error.
        end({ status: 'closed', ...(lastClose && { close: lastClose }), error }, error);
        return;
      }
      if (!plan.retry) {
        const normal = lastClose?.code === 1000;
        end(
          {
            status: 'closed',
            ...(lastClose && { close: lastClose }),
            ...(!normal && { error: reason }),
          },
          normal ? undefined : reason,
        );
        return;
      }
      retries = attempt;
      host.setState({
        status: 'reconnecting',
        attempt,
        delayMs: plan.delayMs,
        ...(lastClose ? { lastClose } : { lastError: reason }),
      });
      phase = race(timer(plan.delayMs), onlineEvents()).pipe(take(1)).subscribe(connect);
    };

    /** Each message, straight from the socket: decoded here and handed to the message streams, no operator between. */
    const onMessage = (event: NativeMessageEvent): void => {
      if (beat) {
        markTraffic();
        if (beat.isPong?.(event.data) && !beat.emitPongs) return;
      }
      let value: In;
      try {
        value = deserializer(event as unknown as WebSocketMessageEvent<never>);
      } catch (cause) {
        const error = new DecodeError(event.data, cause);
        if (decodeErrors === 'fatal') {
          end({ status: 'closed', error }, error);
          return;
        }
        subscriber.next({ type: 'error', error });
        return;
      }
      host.message(value, event);
    };

    const onEvent = (event: ConnectionEvent): void => {
      switch (event.type) {
        case 'socket':
          socket = event.socket;
          host.setSocket(socket);
          return;
        case 'open': {
          const current = socket as WebSocketLike;
          opened = true;
          host.setState({
            status: 'open',
            protocol: current.protocol,
            extensions: current.extensions,
          });
          if (reconnect && retries > 0) {
            stable = timer(reconnect.resetAfterMs).subscribe(() => (retries = 0));
          }
          if (beat) {
            markTraffic();
            alive = heartbeat(current, beat, () => lastTrafficAt, markTraffic).subscribe(() => dead(current, beat));
          }
          host.opened(current);
          subscriber.next({
            type: 'open',
            info: {
              url: current.url,
              protocol: current.protocol,
              extensions: current.extensions,
              attempt: retries,
            },
          });
          return;
        }
        case 'error':
          attemptError = event.error;
          subscriber.next({ type: 'error', error: event.error });
          return;
        case 'close': {
          stable?.unsubscribe();
          alive?.unsubscribe();
          const close = event.close;
          subscriber.next({ type: 'close', close });
          if (closeRequested) {
            end({ status: 'closed', close });
            return;
          }
          // Before an open, the error event says more than the 1006 that follows it (HTTP status, sub-protocol).
          const reason =
            !opened && isTyped(attemptError) && attemptError.code !== 'ERR_TRANSPORT'
              ? attemptError
              : new WebSocketCloseError(close);
          retryOrStop(reason, close);
          return;
        }
      }
    };

    /** A heartbeat found the connection silent: drop it without waiting for a closing handshake that cannot come. */
    function dead(current: WebSocketLike, options: ResolvedHeartbeat): void {
      alive?.unsubscribe();
      stable?.unsubscribe();
      (current as { terminate?: () => void }).terminate?.();
      phase?.unsubscribe();
      const error = new HeartbeatTimeoutError(options.intervalMs, options.timeoutMs);
      const close: CloseInfo = { code: 1006, reason: 'heartbeat timeout', wasClean: false };
      subscriber.next({ type: 'error', error });
      subscriber.next({ type: 'close', close });
      if (closeRequested) end({ status: 'closed', close });
      else retryOrStop(error, close);
    }

    function connect(): void {
      const attempt = retries;
      opened = false;
      attemptError = undefined;
      host.setState({ status: 'connecting', attempt });
      const open = (url: UrlInput, protocols: string | readonly string[] | undefined): Observable<ConnectionEvent> =>
        connection({
          url: normalizeUrl(url),
          protocols: validateProtocols(protocols),
          WebSocketCtor: config.WebSocketCtor,
          socketOptions: config.socketOptions,
          binaryType: host.binaryType(),
          connectTimeoutMs: config.connectTimeoutMs,
          onMessage,
        });
      // Messages skip this chain (they go to onMessage), so resolving the sources costs nothing per message.
      phase = whenOnline()
        .pipe(
          switchMap(() => resolveSource(config.url, 'url')),
          switchMap((resolved) =>
            resolveSource(config.protocols, 'protocols').pipe(switchMap((offered) => open(resolved, offered))),
          ),
        )
        .subscribe({
          next: onEvent,
          error: (error: unknown) => {
            subscriber.next({ type: 'error', error });
            retryOrStop(error, undefined);
          },
        });
    }

    register({
      close(code, reason) {
        closeRequested = true;
        const unsent = host.takeUnsent();
        if (unsent.length > 0)
          subscriber.next({
            type: 'error',
            error: new MessageNotSentError(unsent),
          });
        if (socket?.readyState === OPEN && opened) {
          host.setState({ status: 'closing' });
          socket.close(code, reason);
        } else {
          // Connecting or waiting to reconnect: there is no handshake to wait for.
          end({ status: 'closed' });
        }
      },
      reconnect() {
        if (ended) return;
        phase?.unsubscribe();
        stable?.unsubscribe();
        alive?.unsubscribe();
        retries = 0;
        connect();
      },
    });
    connect();

    return () => {
      register(undefined);
      reports.unsubscribe();
      phase?.unsubscribe();
      stable?.unsubscribe();
      alive?.unsubscribe();
      if (!ended) host.setState({ status: 'closed' });
    };
  });
}

function isTyped(error: unknown): error is Error & { code: string } {
  return error instanceof Error && typeof (error as { code?: unknown }).code === 'string';
}

interface OnlineTarget {
  navigator?: { onLine?: boolean };
  addEventListener?: unknown;
}

/** Emits when a browser page comes back online; never elsewhere. */
function onlineEvents(): Observable<unknown> {
  const target = globalThis as unknown as OnlineTarget;
  return typeof target.addEventListener === 'function' && typeof target.navigator?.onLine === 'boolean'
    ? fromEvent(globalThis as unknown as EventTarget, 'online')
    : NEVER;
}

/**
 * Emits on the next microtask, unless a browser says it is offline: then when it is back online.
 * Never synchronously: every subscriber that joins in the same turn shares the attempt, even one that fails at once
 * (a bad URL), instead of each starting and failing its own.
 */
function whenOnline(): Observable<unknown> {
  const target = globalThis as unknown as OnlineTarget;
  return target.navigator?.onLine === false ? onlineEvents().pipe(take(1)) : timer(0, asapScheduler);
}
