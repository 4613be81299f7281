import WebSocketImpl from 'isomorphic-ws';
import { asapScheduler, asyncScheduler, Subscription, type Unsubscribable } from 'rxjs';
import type { BackoffStrategy } from '../reconnect/backoff';
import { type ReconnectPolicy } from '../reconnect/close-codes';
import { Connection, type ConnectionListener, type NativeMessageEvent } from './connection';
import {
  CallbackError,
  ConnectionTimeoutError,
  DecodeError,
  kindOf,
  RxWebSocketError,
  TransportError,
  WebSocketCloseError,
} from './errors';
import { DECODE, guard, Threw } from './guard';
import type { Heartbeat, Traffic } from './heartbeat-contract';
import type { CloseInfo, OpenInfo, WebSocketMessageEvent } from './events';
import type { PageLifecycle } from './lifecycle-contract';
import { planRetry, type RetryPlan, type RetryPlanOptions } from '../reconnect/retry-with-backoff';
import { takeSource, type Source } from './source';
import type { ClosedState, ConnectionState } from './state';
import { normalizeUrl, type UrlInput } from './url';
import { validateProtocols } from './protocols';
import { CLOSING, OPEN, type WebSocketConstructor, type WebSocketLike } from './web-socket-like';

/** Reconnection settings with every default applied. */
export interface ResolvedReconnect {
  readonly backoff: BackoffStrategy;
  readonly shouldReconnect: ReconnectPolicy;
  readonly maxAttempts: number;
  readonly resetAfterMs: number;
}

/** The settings a session reads, with every default applied. */
export interface SessionOptions<In> {
  readonly deserializer: (event: WebSocketMessageEvent<never>) => In;
  readonly decodeErrors: 'report' | 'fatal';
  /** `undefined` when reconnection is off. */
  readonly reconnect: ResolvedReconnect | undefined;
  readonly connectTimeoutMs: number;
  /** How long a closing handshake the client started may take; Infinity for as long as the platform takes. */
  readonly closeTimeoutMs: number;
  /** `undefined` when there is no heartbeat. */
  readonly heartbeat: Heartbeat | undefined;
  /** `undefined` when the page lifecycle is not watched. */
  readonly lifecycle?: PageLifecycle | undefined;
  readonly WebSocketCtor: WebSocketConstructor | undefined;
  readonly socketOptions: object | undefined;
}

/** What a session needs of the socket object that owns it; the owner implements it with plain methods. @internal */
export interface SessionHost<In> {
  readonly options: SessionOptions<In>;
  readonly urlSource: Source<UrlInput>;
  readonly protocolsSource: Source<string | readonly string[] | undefined>;
  readonly binaryType: string;
  setState(state: ConnectionState): void;
  setSocket(socket: WebSocketLike): void;
  /** Called when a socket opens, before `open$` emits: flushes the send queue. */
  opened(socket: WebSocketLike): void;
  /** Emits `error` on `error$`; false when nobody listens there (the caller then throws it to its own caller). */
  reportError(error: RxWebSocketError): boolean;
  /**
   * Each message: `value` for `message$` and `event` for `messageEvent$`, or only `event` when `value` is the
   * {@link Threw} of a deserializer that failed (`decoded` false).
   */
  message(value: In | Threw, event: NativeMessageEvent, decoded: boolean): void;
  emitOpen(info: OpenInfo): void;
  emitClose(close: CloseInfo): void;
  emitError(error: RxWebSocketError): void;
  /**
   * The session is over, with its last state: a failure when that state has an `error` (whatever its value), else a
   * normal end. Called once, after that state.
   */
  ended(state: ClosedState): void;
}

/**
 * A connection kept alive across closes: connects (first on the next microtask, so that every subscriber of the same
 * turn shares the attempt), reconnects by policy and backoff, and ends by calling `host.ended` once. Plain callbacks
 * throughout: an idle connection holds this object, its `Connection` and the socket, and nothing per stream.
 */
export class Session<In> implements ConnectionListener {
  /** Failed attempts in a row; 0 while connected for the first time or after a stable uptime. */
  private retries = 0;
  /**
   * Whatever is being waited for before the next socket: the first turn, the network, a delay, a URL or protocols.
   * @internal
   */
  phase: Subscription | undefined;
  /** Resets the attempt count after `resetAfterMs` open. @internal */
  stable: Subscription | undefined;
  /** The heartbeat, while one watches the open socket. @internal */
  alive: Subscription | undefined;
  /** The bound on a closing handshake the client started (`closeTimeoutMs`). @internal */
  closeBound: Subscription | undefined;
  /** Incoming traffic, counted for the heartbeat: made when the first one starts, so none costs nothing. @internal */
  traffic: Traffic | undefined;
  /** The current socket's connection. @internal */
  conn: Connection | undefined;
  /** The current attempt's socket has opened. @internal */
  isUp = false;
  private attemptError: unknown;
  /** The application called `close()`: nothing reconnects any more. @internal */
  closeRequested = false;
  /** `connecting` is the last state this session set (a `reconnect()` then starts again without repeating it). @internal */
  dialing = false;
  /** The page lifecycle's listeners, for the session's life. */
  private page: Unsubscribable | undefined;
  /** The session has ended (`host.ended` was called). @internal */
  over = false;
  /**
   * Bumped whenever what runs is dropped (`reconnect()`, the end). The host's callbacks may call `close()` or
   * `reconnect()`; after each one, a step that finds the generation changed stops instead of going on.
   * @internal
   */
  generation = 0;
  /** The socket object that owns this session. @internal */
  readonly sessionHost: SessionHost<In>;

  constructor(host: SessionHost<In>) {
    this.sessionHost = host;
  }

  /** Starts connecting. Apart from the constructor, so that the host holds the session before its first callback. */
  start(): void {
    this.page = this.sessionHost.options.lifecycle?.watch(this);
    this.startAttempt();
  }

  /**
   * Closes with `code` and `reason` and stops: `closing`, then `closed` with the close event, which comes within
   * `closeTimeoutMs` (after that the socket is dropped and the close is reported as 1006, not clean). A socket closing
   * already (the server's close frame read, or a close the page lifecycle made) is not closed again: its close event
   * is waited for the same way, and its code reported. A socket that is not open yet is just dropped. What waits in
   * the send queue is the caller's (the host's) to report.
   */
  close(code: number, reason: string | undefined): void {
    // Already closing (or being closed by the call this one is nested in): the close event is on its way, as a
    // browser ignores a second close().
    if (this.over || this.closeRequested) return;
    this.closeRequested = true;
    const socket = this.conn?.socket;
    const state = socket?.readyState;
    if (!socket || !this.isUp || (state !== OPEN && state !== CLOSING)) {
      // Connecting or waiting to reconnect: there is no handshake to wait for.
      this.end({ status: 'closed' });
      return;
    }
    const { closeTimeoutMs } = this.sessionHost.options;
    // A bound on a close under way already (the page lifecycle's) is kept.
    if (!this.closeBound && closeTimeoutMs !== Infinity)
      this.closeBound = asyncScheduler.schedule(() => this.closeTimedOut(), closeTimeoutMs);
    if (this.notify(() => this.sessionHost.setState({ status: 'closing' }))) return;
    // A closing socket ignores it, as a browser's does.
    socket.close(code, reason);
  }

  /** Drops the current socket (without a close event) and connects again now, the attempt count reset. */
  reconnect(): void {
    // After close() there is nothing to reconnect: the close stops reconnection, this included.
    if (this.over || this.closeRequested) return;
    // A first attempt under way is started again, and state$ does not hear `connecting` twice.
    const quiet = this.dialing && this.retries === 0;
    this.dropAll();
    this.retries = 0;
    this.startAttempt(quiet);
  }

  /** Nobody holds the connection any more: closes it with 1000, as `close()` does. */
  dispose(): void {
    this.close(1000, undefined);
  }

  /** @internal */
  opened(): void {
    const { sessionHost: host } = this;
    const { reconnect, heartbeat: beat } = host.options;
    const socket = (this.conn as Connection).socket;
    this.isUp = true;
    this.dialing = false;
    // A state$ subscriber may close or reconnect at once, and the flush may close (send$ completed before the open):
    // either way this open is not announced on open$, and no timer starts for it.
    const open = { status: 'open', protocol: socket.protocol, extensions: socket.extensions } as const;
    if (this.notify(() => host.setState(open)) || this.closeRequested) return;
    if (this.notify(() => host.opened(socket)) || this.closeRequested) return;
    if (reconnect && this.retries > 0) {
      this.stable = asyncScheduler.schedule(() => (this.retries = 0), reconnect.resetAfterMs);
    }
    beat?.watch(this, socket, false);
    host.emitOpen({
      url: socket.url,
      protocol: socket.protocol,
      extensions: socket.extensions,
      attempt: this.retries,
    });
  }

  /**
   * @internal Each message, straight from the socket: checked for a pong, decoded here and handed to the host, nothing
   * between. `messageEvent$` hears every message; one the deserializer rejects skips `message$`.
   */
  message(event: NativeMessageEvent): void {
    const { options } = this.sessionHost;
    if (options.heartbeat?.heard(this, event)) return;
    // No closure in this function: one would cost a context per message.
    const value = guard(options.deserializer, event as unknown as WebSocketMessageEvent<never>, decodeThrew, DECODE);
    if (value instanceof Threw) this.undecoded(event, value);
    else this.sessionHost.message(value, event, true);
  }

  /** Reports an error that does not end anything; true when a subscriber ended or restarted the session meanwhile. */
  private reported(error: RxWebSocketError): boolean {
    return this.notify(() => this.sessionHost.emitError(error));
  }

  /** The deserializer threw: `messageEvent$` has the event all the same, then `error$` hears why `message$` did not. */
  private undecoded(event: NativeMessageEvent, threw: Threw): void {
    const { sessionHost: host } = this;
    if (this.notify(() => host.message(threw, event, false)) || this.reported(threw.error) || this.closeRequested)
      return;
    // 'fatal' ends the session with it, unless a subscriber has closed it meanwhile.
    if (host.options.decodeErrors === 'fatal') this.end({ status: 'closed', error: threw.error });
  }

  /** @internal */
  failed(error: RxWebSocketError): void {
    this.attemptError = error;
    this.sessionHost.emitError(error);
  }

  /** @internal */
  closed(close: CloseInfo): void {
    this.conn = undefined;
    this.stable?.unsubscribe();
    this.alive?.unsubscribe();
    if (this.notify(() => this.sessionHost.emitClose(close))) return;
    if (this.closeRequested) {
      this.end({ status: 'closed', close });
      return;
    }
    // Before an open, the error event says more than the 1006 that follows it (HTTP status, sub-protocol).
    const { attemptError } = this;
    const reason =
      !this.isUp && attemptError instanceof RxWebSocketError && attemptError.code !== 'ERR_TRANSPORT'
        ? attemptError
        : new WebSocketCloseError(close);
    this.retryOrStop(reason, close);
  }

  /** @internal */
  timedOut(error: ConnectionTimeoutError): void {
    this.conn = undefined;
    this.attemptFailed(error);
  }

  private startAttempt(quiet = false): void {
    this.isUp = false;
    this.attemptError = undefined;
    // The wait starts first, so that a close() or reconnect() from the state callback finds it to drop.
    this.phase = whenOnline(() => this.resolve());
    this.dialing = true;
    if (!quiet) this.sessionHost.setState({ status: 'connecting', attempt: this.retries });
  }

  /**
   * Takes the URL, then the protocols (each may be a provider), then opens the socket. The connect timeout counts from
   * here, so a provider that never answers fails the attempt with a `ConnectionTimeoutError` like a socket that never
   * opens; one that fails gives a `CallbackError`. Either way the policy decides what comes next.
   */
  private resolve(): void {
    const { sessionHost: host } = this;
    const { connectTimeoutMs } = host.options;
    const startedAt = asyncScheduler.now();
    const fail = (error: RxWebSocketError): void => this.attemptFailed(error);
    /** Waits for a provider (unless it answered at once), within what is left of the connect timeout. */
    const wait = (waiting: Subscription | undefined, provider: 'url' | 'protocols', url?: UrlInput): void => {
      if (!waiting) return;
      this.phase = waiting;
      if (connectTimeoutMs === Infinity) return;
      // Never below 0: a provider that answered at the deadline is already past this point.
      const leftMs = connectTimeoutMs - (asyncScheduler.now() - startedAt);
      waiting.add(
        asyncScheduler.schedule(() => {
          waiting.unsubscribe();
          const shown = typeof url === 'string' || url instanceof URL ? String(url) : undefined;
          fail(new ConnectionTimeoutError(connectTimeoutMs, shown, provider));
        }, leftMs),
      );
    };
    const waitingForUrl = takeSource(
      host.urlSource,
      'url',
      (url) => {
        const waitingForProtocols = takeSource(
          host.protocolsSource,
          'protocols',
          (offered) => this.dial(url, offered, asyncScheduler.now() - startedAt),
          fail,
        );
        wait(waitingForProtocols, 'protocols', url);
      },
      fail,
    );
    wait(waitingForUrl, 'url');
  }

  /** `spentMs`: how much of the connect timeout the providers took. */
  private dial(url: UrlInput, protocols: string | readonly string[] | undefined, spentMs: number): void {
    const { sessionHost: host } = this;
    const { options } = host;
    this.phase = undefined;
    let connection: Connection;
    try {
      connection = new Connection(
        {
          url: normalizeUrl(url),
          protocols: validateProtocols(protocols),
          WebSocketCtor: options.WebSocketCtor ?? WebSocketImpl,
          socketOptions: options.socketOptions,
          binaryType: host.binaryType,
          connectTimeoutMs: options.connectTimeoutMs,
          spentMs,
        },
        this,
      );
    } catch (error) {
      // What normalizeUrl, validateProtocols and Connection throw: UnsupportedUrlError, InvalidOptionError,
      // WebSocketConstructorError or TransportError; anything else (a WebSocket-like whose setup throws) is wrapped.
      this.attemptFailed(
        error instanceof RxWebSocketError
          ? error
          : new TransportError(
              typeof __RXWS_DEV__ == 'undefined' || __RXWS_DEV__
                ? `the socket's setup threw ${kindOf(error)}`
                : 'setup',
              error,
            ),
      );
      return;
    }
    this.conn = connection;
    host.setSocket(connection.socket);
  }

  /** An attempt failed before its socket could report anything (a bad URL, a provider's error, a timeout). */
  private attemptFailed(error: RxWebSocketError): void {
    if (this.notify(() => this.sessionHost.emitError(error))) return;
    this.retryOrStop(error, undefined);
  }

  /** @internal */
  retryOrStop(reason: RxWebSocketError, lastClose: CloseInfo | undefined): void {
    const { reconnect } = this.sessionHost.options;
    const attempt = this.retries + 1;
    let plan: RetryPlan = { retry: false };
    try {
      if (reconnect) plan = planRetry(reason, attempt, guarded(reconnect));
    } catch (error) {
      // A policy or backoff that throws (a CallbackError), or a backoff that returns a bad delay (an InvalidOptionError),
      // stops the connection with that error, reported first like every error that ends a session.
      const stop = error as RxWebSocketError;
      if (this.notify(() => this.sessionHost.emitError(stop))) return;
      this.end({ status: 'closed', ...(lastClose && { close: lastClose }), error: stop });
      return;
    }
    if (!plan.retry) {
      // A 1000 close is a normal end; anything else ends with the reason, whatever its value.
      this.end({
        status: 'closed',
        ...(lastClose && { close: lastClose }),
        ...(lastClose?.code !== 1000 && { error: reason }),
      });
      return;
    }
    this.retries = attempt;
    this.dialing = false;
    // The wait starts first, so that a close() or reconnect() from the state callback finds it to drop.
    this.phase = retryAfter(plan.delayMs, () => this.startAttempt());
    this.sessionHost.setState({
      status: 'reconnecting',
      attempt,
      delayMs: plan.delayMs,
      ...(lastClose ? { lastClose } : { lastError: reason }),
    });
  }

  /** The peer did not answer the client's close within `closeTimeoutMs`: drop the socket, and report a 1006 close. */
  private closeTimedOut(): void {
    const { conn: connection } = this;
    if (!connection) return;
    // ws can end the TCP connection now; a browser's socket closes in its own time, no longer heard.
    (connection.socket as { terminate?: () => void }).terminate?.();
    connection.dispose();
    this.closed({ code: 1006, reason: '', wasClean: false });
  }

  /** Stops whatever runs: the wait, the timers, the socket (closed with 1000 if it is connecting or open). @internal */
  dropAll(): void {
    this.generation++;
    this.phase?.unsubscribe();
    this.stable?.unsubscribe();
    this.alive?.unsubscribe();
    this.closeBound?.unsubscribe();
    this.conn?.dispose();
    this.phase = this.stable = this.alive = this.closeBound = this.conn = undefined;
  }

  /**
   * Calls back into the host; true when the callback ended or restarted the session, so the caller must stop.
   * @internal
   */
  notify(callback: () => void): boolean {
    const { generation } = this;
    callback();
    return this.over || this.generation !== generation;
  }

  /** @internal */
  end(state: ClosedState): void {
    if (this.over) return;
    this.over = true;
    this.page?.unsubscribe();
    this.dropAll();
    this.sessionHost.setState(state);
    this.sessionHost.ended(state);
  }
}

/**
 * The retry decision's inputs, the application's policy and backoff called through {@link guard}: what either throws
 * comes out of `planRetry` as a {@link CallbackError} naming it.
 */
function guarded({ shouldReconnect, backoff, maxAttempts }: ResolvedReconnect): RetryPlanOptions {
  return {
    maxAttempts,
    shouldRetry: (reason, attempt) => call('shouldReconnect', () => shouldReconnect(reason, attempt)),
    backoff: (attempt, reason) => call('backoff', () => backoff(attempt, reason)),
  };
}

/** Calls the application's `hook` through {@link guard}; what it throws comes out as a {@link CallbackError}. */
function call<R>(hook: 'shouldReconnect' | 'backoff', run: () => R): R {
  return orThrow(guard(run, undefined, (cause) => new CallbackError(hook, cause)));
}

function orThrow<R>(result: R | Threw): R {
  if (result instanceof Threw) throw result.error;
  return result;
}

const decodeThrew = (cause: unknown, event: WebSocketMessageEvent<never>): DecodeError =>
  new DecodeError(event.data, cause);

interface OnlineTarget {
  navigator?: { onLine?: boolean };
  addEventListener?(type: 'online', listener: () => void): void;
  removeEventListener?(type: 'online', listener: () => void): void;
}

/** A browser page (something with `navigator.onLine` and events), or nothing elsewhere. */
function browserPage():
  (OnlineTarget & Required<Pick<OnlineTarget, 'addEventListener' | 'removeEventListener'>>) | undefined {
  const target = globalThis as unknown as OnlineTarget;
  return typeof target.addEventListener === 'function' &&
    typeof target.removeEventListener === 'function' &&
    typeof target.navigator?.onLine === 'boolean'
    ? (target as OnlineTarget & Required<Pick<OnlineTarget, 'addEventListener' | 'removeEventListener'>>)
    : undefined;
}

/** Calls `then` once: when the page comes back online, or (unless `delayMs` is undefined) after `delayMs`. */
function retryAfter(delayMs: number | undefined, then: () => void): Subscription {
  const waiting = new Subscription();
  const go = (): void => {
    if (waiting.closed) return;
    waiting.unsubscribe();
    then();
  };
  if (delayMs !== undefined) waiting.add(asyncScheduler.schedule(go, delayMs));
  const page = browserPage();
  if (page) {
    page.addEventListener('online', go);
    waiting.add(() => page.removeEventListener('online', go));
  }
  return waiting;
}

/**
 * Calls `then` on the next microtask, unless a browser says it is offline: then when it is back online.
 * Never synchronously: every subscriber that joins in the same turn shares the attempt, even one that fails at once
 * (a bad URL), instead of each starting and failing its own.
 */
function whenOnline(then: () => void): Subscription {
  const page = browserPage();
  return page?.navigator?.onLine === false ? retryAfter(undefined, then) : asapScheduler.schedule(then);
}
