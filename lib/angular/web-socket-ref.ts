import { isPlatformBrowser } from '@angular/common';
import {
  afterNextRender,
  assertInInjectionContext,
  computed,
  DestroyRef,
  EnvironmentInjector,
  ErrorHandler,
  inject,
  type InjectionToken,
  Injector,
  NgZone,
  PLATFORM_ID,
  type Signal,
  signal,
} from '@angular/core';
import {
  animationFrameScheduler,
  asyncScheduler,
  ignoreElements,
  type Observable,
  repeat,
  retry,
  Subject,
  type Subscription,
} from 'rxjs';
import { InvalidOptionError, RxWebSocketError } from '../core/errors';
import type { CloseInfo } from '../core/events';
import { fromWebSocket, type ProtocolsInput, type ReactiveWebSocket } from '../core/from-web-socket';
import type { WebSocketOptions } from '../core/options';
import type { Source } from '../core/source';
import type { ConnectionState, ConnectionStatus } from '../core/state';
import type { UrlInput } from '../core/url';
import { multiplex } from '../features/multiplex/multiplex';
import { MAX_TIMER_DELAY_MS } from '../reconnect/backoff';

/** The default step of {@link WebSocketRef.countdownMs}, in milliseconds. */
export const DEFAULT_COUNTDOWN_STEP_MS = 1_000;

/**
 * How long a binding's latest value waits for an animation frame before it is written anyway, in milliseconds:
 * frames do not run in a hidden tab.
 */
const FRAME_FALLBACK_MS = 100;

/** How one socket is made: what `provideWebSocket` takes. */
export interface WebSocketConfig<In, Out> {
  /**
   * The token the socket is provided under, and injected with (`injectWebSocket(token)`). One token per socket: an
   * application with several sockets makes one token each with `createWebSocketToken`.
   * @default WEB_SOCKET
   */
  readonly token?: InjectionToken<WebSocketRef<In, Out>>;
  /**
   * Where to connect: a URL (a relative one resolves against the page), or a function giving one before every
   * attempt, e.g. to put a fresh token in it.
   */
  readonly url: Source<UrlInput>;
  /**
   * The sub-protocols to offer, or a function giving them before every attempt.
   * @default undefined (none)
   */
  readonly protocols?: ProtocolsInput;
  /**
   * The options of `fromWebSocket`: `json()`, `reconnect`, `heartbeat`, `WebSocketCtor` (a test double)...
   * @default {} (the library's defaults)
   */
  readonly options?: WebSocketOptions<In, Out>;
  /**
   * How often {@link WebSocketRef.countdownMs} is updated while waiting to reconnect, in milliseconds. The timer
   * runs only while the state is `reconnecting`, and never on the server.
   * @default 1000 (DEFAULT_COUNTDOWN_STEP_MS)
   */
  readonly countdownStepMs?: number;
}

/** Options of {@link WebSocketRef.toSignal}. */
export interface WebSocketSignalOptions<I> {
  /** The signal's value until the stream's first value: on the server, before the first render, and while empty. */
  readonly initialValue: I;
  /**
   * Whose lifetime the binding follows: it unsubscribes when this injector is destroyed. Without it, the call must
   * be made in an injection context (a field initializer or constructor), whose `DestroyRef` is used.
   * @default the current injection context's injector
   */
  readonly injector?: Injector;
}

/**
 * One socket of an Angular application, as `provideWebSocket` makes it and `injectWebSocket` returns it: the
 * connection's state as signals, streams bound to signals for the lifetime of a component, and the commands.
 *
 * - **Zones.** Every subscription it makes, and every command it runs, runs outside the Angular zone, so socket
 *   events and the library's timers (backoff, heartbeat, connect timeout, linger) never start change detection by
 *   themselves: values reach the application through signals. A binding writes its signal at most once per
 *   animation frame (or every 100 ms where frames do not run, in a hidden tab), with the latest value: a burst of
 *   messages, however many tasks it spans, makes one change detection.
 * - **Server rendering.** On the server it subscribes to nothing: no socket, no timer; every signal keeps its initial
 *   value, so the render completes and the application becomes stable.
 * - **Browser.** Bindings subscribe after the application's next render (after hydration, when it hydrates), and
 *   unsubscribe with the `DestroyRef` of the injection context that made them.
 * - **Stops.** When the connection stops for good (a close the policy does not retry, or {@link stop}), the bindings
 *   keep their last value and wait; {@link start} (or {@link reconnect}) subscribes them again.
 */
export class WebSocketRef<In, Out> {
  /** The underlying socket, for what the signals do not cover (`send$`, `binaryType`, `messageEvent$`...). */
  readonly socket: ReactiveWebSocket<In, Out>;
  /** The connection's state, as the library reports it: `idle` until a binding connects (always, on the server). */
  readonly state: Signal<ConnectionState>;
  /** The state's `status`: `idle`, `connecting`, `open`, `reconnecting`, `closing` or `closed`. */
  readonly status: Signal<ConnectionStatus>;
  /** Whether the socket is open. */
  readonly isOpen: Signal<boolean>;
  /** The attempt under way or waited for: 0 for the first connection, then the reconnection's number; 0 otherwise. */
  readonly attempt: Signal<number>;
  /** The latest close the connection saw (a retried one included), kept after it opens again; undefined before any. */
  readonly lastClose: Signal<CloseInfo | undefined>;
  /**
   * While `reconnecting`, the milliseconds left before the next attempt, updated every `countdownStepMs`;
   * undefined in every other state.
   */
  readonly countdownMs: Signal<number | undefined>;

  private readonly stateSignal = signal<ConnectionState>({ status: 'idle' });
  private readonly lastCloseSignal = signal<CloseInfo | undefined>(undefined);
  private readonly countdownSignal = signal<number | undefined>(undefined);
  private readonly zone = inject(NgZone, { optional: true });
  private readonly errorHandler = inject(ErrorHandler, { optional: true });
  private readonly browser = isPlatformBrowser(inject(PLATFORM_ID));
  private readonly stepMs: number;
  /** Emits on {@link start}: every binding that ended subscribes again. */
  private readonly restarts = new Subject<void>();
  /** Bindings waiting for the first render; undefined once it happened. */
  private waiting: (() => void)[] | undefined = [];
  private countdown: Subscription | undefined;
  private destroyed = false;

  /** Made by `provideWebSocket`, in an injection context; use `injectWebSocket` to get it. */
  constructor(config: WebSocketConfig<In, Out>) {
    this.socket = fromWebSocket<In, Out>(config.url, config.protocols, config.options ?? {});
    this.stepMs = config.countdownStepMs ?? DEFAULT_COUNTDOWN_STEP_MS;
    if (!(this.stepMs > 0 && this.stepMs <= MAX_TIMER_DELAY_MS))
      throw new InvalidOptionError('countdownStepMs', this.stepMs, 'a number of milliseconds above 0');
    this.state = this.stateSignal.asReadonly();
    this.status = computed(() => this.stateSignal().status);
    this.isOpen = computed(() => this.stateSignal().status === 'open');
    this.attempt = computed(() => {
      const state = this.stateSignal();
      return state.status === 'connecting' || state.status === 'reconnecting' ? state.attempt : 0;
    });
    this.lastClose = this.lastCloseSignal.asReadonly();
    this.countdownMs = this.countdownSignal.asReadonly();

    const injector = inject(EnvironmentInjector);
    injector.get(DestroyRef).onDestroy(() => this.destroy());
    if (!this.browser) return;
    // state$ neither connects nor holds the connection: following it from the start costs nothing.
    const states = this.outside(() => this.socket.state$.subscribe((state) => this.onState(state)));
    injector.get(DestroyRef).onDestroy(() => states.unsubscribe());
    afterNextRender(
      () => {
        const waiting = this.waiting;
        this.waiting = undefined;
        for (const subscribe of waiting ?? []) subscribe();
      },
      { injector },
    );
  }

  /**
   * A stream of this socket as a signal, for as long as the injection context (a component, a service) lives:
   * `feed.toSignal(feed.socket.message$.pipe(scan(...)), { initialValue: [] })`. It subscribes outside the Angular
   * zone after the next render (never on the server), writes the latest value once per animation frame, and
   * unsubscribes with the context's `DestroyRef`. When the
   * connection stops for good it keeps its last value and subscribes again on {@link start}. An error that is not the
   * library's (a throw in an operator of `source`) goes to Angular's `ErrorHandler` and waits for `start()` the same way.
   */
  toSignal<T, I = T>(source: Observable<T>, options: WebSocketSignalOptions<I>): Signal<T | I> {
    if (!options.injector) assertInInjectionContext(WebSocketRef);
    const injector = options.injector ?? inject(Injector);
    const value = signal<T | I>(options.initialValue);
    const release = this.bind(source, (next) => value.set(next));
    injector.get(DestroyRef).onDestroy(release);
    return value.asReadonly();
  }

  /** The latest message, as a signal: {@link toSignal} of `message$`. Holds the connection while it lives. */
  latest<I = undefined>(options: WebSocketSignalOptions<I>): Signal<In | I> {
    if (!options.injector) assertInInjectionContext(WebSocketRef);
    return this.toSignal(this.socket.message$, { ...options, injector: options.injector ?? inject(Injector) });
  }

  /**
   * A channel over this socket (the library's multiplex): sends `subscribeMsg()` when its first subscriber arrives
   * and after every reconnection, `unsubscribeMsg()` when the last one leaves, and emits the messages `filter`
   * accepts. Bind it with {@link toSignal}, alone or through operators.
   */
  channel<T extends In>(
    subscribeMsg: () => Out,
    unsubscribeMsg: () => Out,
    filter: (message: In) => message is T,
  ): Observable<T>;
  channel(subscribeMsg: () => Out, unsubscribeMsg: () => Out, filter: (message: In) => boolean): Observable<In>;
  channel(subscribeMsg: () => Out, unsubscribeMsg: () => Out, filter: (message: In) => boolean): Observable<In> {
    return multiplex(this.socket, subscribeMsg, unsubscribeMsg, filter);
  }

  /** Sends now when open, or queues until the next open (outside the Angular zone). */
  send(value: Out): void {
    this.outside(() => this.socket.send(value));
  }

  /**
   * Starts again after a stop: every binding that ended (on a close the policy does not retry, on {@link stop}, on
   * an error) subscribes again, and the first one connects. Live bindings are not touched, so it is harmless when
   * nothing stopped. Does nothing on the server.
   */
  start(): void {
    if (this.browser && !this.destroyed) this.outside(() => this.restarts.next());
  }

  /**
   * Connects again now: after a stop, as {@link start}; otherwise drops the current socket, or skips the wait
   * before the next attempt, with the backoff reset.
   */
  reconnect(): void {
    const { status } = this.stateSignal();
    if (status === 'closed' || status === 'idle') this.start();
    else this.outside(() => this.socket.reconnect());
  }

  /**
   * Closes with `code` (1000 or 3000–4999) and `reason`, and stops reconnecting: the state ends `closed`, and the
   * bindings keep their last value until {@link start}. Throws for an invalid code or reason, as the socket's
   * `close()` does.
   */
  stop(code?: number, reason?: string): void {
    this.outside(() => this.socket.close(code, reason));
  }

  /** @internal Holds the connection from the first render until the application is destroyed. */
  hold(): void {
    const release = this.bind(this.socket.message$.pipe(ignoreElements()), () => undefined);
    inject(EnvironmentInjector).get(DestroyRef).onDestroy(release);
  }

  /** Subscribes `source` once the first render happened (never on the server); returns what unsubscribes it. */
  private bind<T>(source: Observable<T>, next: (value: T) => void): () => void {
    if (!this.browser || this.destroyed) return () => undefined;
    const resumable = source.pipe(
      retry({
        delay: (error: unknown) => {
          // A stop shows in `state`; anything else is the application's to hear.
          if (!(error instanceof RxWebSocketError)) this.errorHandler?.handleError(error);
          return this.restarts;
        },
      }),
      repeat({ delay: () => this.restarts }),
    );
    let subscription: Subscription | undefined;
    let released = false;
    // Writes wait for the next animation frame (or FRAME_FALLBACK_MS, where frames do not run: a hidden tab), and
    // only the latest value is written: a burst of messages, however many tasks it spans, marks the views once.
    let latest: T;
    let due: Subscription | undefined;
    const write = (): void => {
      due?.unsubscribe();
      due = undefined;
      next(latest);
    };
    const onValue = (value: T): void => {
      latest = value;
      if (due) return;
      due = animationFrameScheduler.schedule(write);
      due.add(asyncScheduler.schedule(write, FRAME_FALLBACK_MS));
    };
    const subscribe = (): void => {
      if (!released) subscription = this.outside(() => resumable.subscribe(onValue));
    };
    if (this.waiting) this.waiting.push(subscribe);
    else subscribe();
    return () => {
      released = true;
      subscription?.unsubscribe();
      due?.unsubscribe();
      if (this.waiting) this.waiting = this.waiting.filter((waiting) => waiting !== subscribe);
    };
  }

  private onState(state: ConnectionState): void {
    this.stateSignal.set(state);
    if (state.status === 'reconnecting' && state.lastClose) this.lastCloseSignal.set(state.lastClose);
    if (state.status === 'closed' && state.close) this.lastCloseSignal.set(state.close);
    this.countdown?.unsubscribe();
    this.countdown = undefined;
    if (state.status !== 'reconnecting') {
      this.countdownSignal.set(undefined);
      return;
    }
    const deadline = asyncScheduler.now() + state.delayMs;
    this.countdownSignal.set(state.delayMs);
    // The scheduler's timers, so that virtual time drives the countdown in tests; outside the zone like the rest.
    this.outside(() => this.tick(deadline));
  }

  /** Counts down to `deadline` in steps of `stepMs`, the last one landing on it. */
  private tick(deadline: number): void {
    const step = (): void => {
      const left = Math.max(0, deadline - asyncScheduler.now());
      this.countdownSignal.set(left);
      this.countdown = left > 0 ? asyncScheduler.schedule(step, Math.min(this.stepMs, left)) : undefined;
    };
    const left = Math.max(0, deadline - asyncScheduler.now());
    this.countdown = asyncScheduler.schedule(step, Math.min(this.stepMs, left));
  }

  private outside<R>(work: () => R): R {
    return this.zone ? this.zone.runOutsideAngular(work) : work();
  }

  private destroy(): void {
    this.destroyed = true;
    this.waiting = undefined;
    this.countdown?.unsubscribe();
    this.countdown = undefined;
    this.restarts.complete();
  }
}
