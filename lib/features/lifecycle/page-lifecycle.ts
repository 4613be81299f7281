import { asyncScheduler, Subscription } from 'rxjs';
import { InvalidOptionError } from '../../core/errors';
import type { PageLifecycle } from '../../core/lifecycle-contract';
import { assertDelayMs } from '../../core/validate-options';
import { controlSession, type LifecycleControl } from './session-control';

/** The page events the lifecycle listens to. */
export type PageEventType = 'visibilitychange' | 'resume' | 'pagehide' | 'pageshow' | 'online';

/** What a page event carries that the lifecycle reads: `persisted` on `pagehide` and `pageshow`. */
export interface PageEventLike {
  /** On `pagehide`: the page goes into the back/forward cache; on `pageshow`: it comes back from it. */
  readonly persisted?: boolean;
}

/**
 * Where the lifecycle hears the page: in a browser, `document` (`visibilitychange`, `resume`) and `window`
 * (`pagehide`, `pageshow`, `online`) together. Specs give their own, to drive it in virtual time.
 */
export interface PageEventSource {
  /** `'hidden'` while the page is hidden, as `document.visibilityState`. */
  readonly visibilityState: string;
  /** Adds a listener, as `EventTarget.addEventListener`. */
  addEventListener(type: PageEventType, listener: (event: PageEventLike) => void): void;
  /** Removes a listener, as `EventTarget.removeEventListener`. */
  removeEventListener(type: PageEventType, listener: (event: PageEventLike) => void): void;
}

/** Options of {@link pageLifecycle}. */
export interface PageLifecycleOptions {
  /**
   * Close the connection once the page has been hidden this long, in milliseconds (from 0 to 2147483647), and
   * reconnect when it is visible again; `Infinity` keeps it open while hidden. The close is a normal one (1000,
   * reason `'page hidden'`): browsers let a script send no other standard code.
   * @default Infinity
   */
  readonly hiddenCloseAfterMs?: number;
  /**
   * Where the page's events come from.
   * @default the browser's `document` and `window`; outside a browser, nothing (the lifecycle does nothing)
   */
  readonly events?: PageEventSource;
}

/** The default {@link PageLifecycleOptions} values. */
export const DEFAULT_PAGE_LIFECYCLE = {
  /** {@link PageLifecycleOptions.hiddenCloseAfterMs}: never. */
  hiddenCloseAfterMs: Infinity,
} as const;

/**
 * Follows the page's lifecycle, for `fromWebSocket`'s `lifecycle` option: `fromWebSocket(url, { lifecycle:
 * pageLifecycle() })`. An opt-in import, so that an app without it carries none of its code.
 *
 * - The page is back (visible again, resumed after being frozen, restored from the back/forward cache, or online): the
 *   connection is checked at once. An open one is pinged where a heartbeat is configured; one whose socket is closing
 *   already (the server's close frame read) is left to its close event, which is reported and weighed by the policy;
 *   one whose socket says it is closed with no close event heard is replaced; one waiting out a backoff reconnects
 *   now, the attempt count starting again. After `resume`, the check is the next task: the events a frozen page
 *   queued (a close among them) are delivered after `resume`, and a dead socket would still look open. A page still
 *   hidden (back online, or resumed in the background) is checked too, but a connection held closed for it stays
 *   closed, and `hiddenCloseAfterMs` keeps counting.
 * - The page goes into the back/forward cache (`pagehide` with `persisted`): the connection is let go and held closed
 *   until the page comes back. The browser closes the socket with 1001 (Going Away) as it caches the page (Chromium,
 *   WebKit) or discards it (where an open socket keeps a page out of the cache); a socket that takes 1001 from the
 *   application (Node's `ws`) is closed with it.
 * - With `hiddenCloseAfterMs`, a page hidden that long closes its connection (1000) and reconnects when visible.
 *
 * While the page closes a connection, or holds one whose socket is closing already, the heartbeat stops and
 * `closeTimeoutMs` bounds the wait for the close event (then reported as a 1006 close).
 *
 * Nothing here undoes a `close()` the application made, and a socket nobody holds stays closed. Every listener is
 * removed when the connection ends. Throws `InvalidOptionError` for a bad option (left to development builds in the
 * production browser build).
 */
export function pageLifecycle(options: PageLifecycleOptions = {}): PageLifecycle {
  if (typeof __RXWS_DEV__ == 'undefined' || __RXWS_DEV__) validatePageLifecycle(options);
  const { hiddenCloseAfterMs = DEFAULT_PAGE_LIFECYCLE.hiddenCloseAfterMs } = options;
  return {
    watch: (session) => watchPage(controlSession(session), options.events ?? browserPage(), hiddenCloseAfterMs),
  };
}

function validatePageLifecycle(options: PageLifecycleOptions): void {
  if (typeof options !== 'object' || options === null) throw new InvalidOptionError('lifecycle', options, 'an object');
  const { hiddenCloseAfterMs, events } = options;
  if (hiddenCloseAfterMs !== undefined)
    assertDelayMs('lifecycle.hiddenCloseAfterMs', hiddenCloseAfterMs, { never: true });
  if (
    events !== undefined &&
    (typeof events?.addEventListener !== 'function' || typeof events.removeEventListener !== 'function')
  )
    throw new InvalidOptionError('lifecycle.events', events, 'an object with addEventListener and removeEventListener');
}

/** Listens to `page` for one session, until unsubscribed. */
function watchPage(
  control: LifecycleControl,
  page: PageEventSource | undefined,
  hiddenCloseAfterMs: number,
): Subscription {
  const watching = new Subscription();
  if (!page) return watching;
  let hiddenFor: Subscription | undefined;
  const stopHiddenTimer = (): void => {
    hiddenFor?.unsubscribe();
    hiddenFor = undefined;
  };
  const hidden = (): void => {
    if (hiddenCloseAfterMs === Infinity || hiddenFor) return;
    hiddenFor = asyncScheduler.schedule(() => {
      hiddenFor = undefined;
      control.suspend(1000, 'page hidden');
    }, hiddenCloseAfterMs);
  };
  // A page still hidden (back online, or resumed in the background) is checked, but neither released from its hold
  // nor spared the close that `hiddenCloseAfterMs` counts down to.
  const back = (): void => {
    const shown = page.visibilityState !== 'hidden';
    if (shown) stopHiddenTimer();
    control.check(shown);
  };
  let recheck: Subscription | undefined;
  const resumed = (): void => {
    // What the socket heard while the page was frozen (its close among it) is delivered after `resume`: a dead
    // connection may still look open now. The check is the next task, once those events are in.
    recheck?.unsubscribe();
    recheck = asyncScheduler.schedule(() => {
      recheck = undefined;
      back();
    });
  };
  const listeners: Readonly<Record<PageEventType, (event: PageEventLike) => void>> = {
    visibilitychange: () => (page.visibilityState === 'hidden' ? hidden() : back()),
    resume: resumed,
    pagehide: (event) => {
      if (!event.persisted) return;
      // A check the page's `resume` queued comes too late: the page is going into the cache.
      recheck?.unsubscribe();
      control.suspend(1001, 'page cached');
    },
    pageshow: (event) => {
      if (event.persisted) back();
    },
    online: back,
  };
  for (const type of EVENT_TYPES) page.addEventListener(type, listeners[type]);
  watching.add(() => {
    stopHiddenTimer();
    recheck?.unsubscribe();
    for (const type of EVENT_TYPES) page.removeEventListener(type, listeners[type]);
  });
  if (page.visibilityState === 'hidden') hidden();
  return watching;
}

const EVENT_TYPES: readonly PageEventType[] = ['visibilitychange', 'resume', 'pagehide', 'pageshow', 'online'];

interface BrowserGlobals {
  document?: { visibilityState?: string } & Partial<Pick<PageEventSource, 'addEventListener' | 'removeEventListener'>>;
  addEventListener?: PageEventSource['addEventListener'];
  removeEventListener?: PageEventSource['removeEventListener'];
}

/** `document` and `window` as one {@link PageEventSource}, or undefined outside a browser page. */
function browserPage(): PageEventSource | undefined {
  const global = globalThis as unknown as BrowserGlobals;
  const { document } = global;
  if (
    typeof document?.addEventListener !== 'function' ||
    typeof document.removeEventListener !== 'function' ||
    typeof global.addEventListener !== 'function' ||
    typeof global.removeEventListener !== 'function'
  )
    return undefined;
  const target = (type: PageEventType): 'document' | 'window' => (ON_DOCUMENT.includes(type) ? 'document' : 'window');
  const on = { document, window: global } as const;
  return {
    get visibilityState() {
      return document.visibilityState ?? 'visible';
    },
    addEventListener: (type, listener) => on[target(type)].addEventListener?.(type, listener),
    removeEventListener: (type, listener) => on[target(type)].removeEventListener?.(type, listener),
  };
}

const ON_DOCUMENT: readonly PageEventType[] = ['visibilitychange', 'resume'];
