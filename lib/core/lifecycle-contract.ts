import type { Unsubscribable } from 'rxjs';

/**
 * What the page lifecycle may ask of a running connection. A session implements it; every call is ignored once the
 * application has called `close()`, and a socket nobody holds has no session to call.
 * @internal
 */
export interface LifecycleControl {
  /**
   * The page is back (visible, resumed, restored, or online): check the connection now. An open one is pinged where
   * a heartbeat is configured, and dropped at once if the platform already says it is not open; one waiting out a
   * backoff, or held closed by {@link suspend}, reconnects now with the attempt count reset.
   */
  check(): void;
  /**
   * Closes the connection for the page (hidden too long, or entering the back/forward cache) and holds it closed,
   * without reconnecting, until {@link check}. Closes with `code` where the socket takes it; a browser takes only 1000
   * and 3000–4999 from a script, and the socket is then let go unclosed, for the browser to close with 1001 as it
   * caches or unloads the page.
   */
  suspend(code: number, reason: string): void;
}

/**
 * The page lifecycle for the `lifecycle` option of `fromWebSocket`, made by `pageLifecycle()` (an opt-in import: an
 * app that does not use it carries none of its code).
 */
export interface PageLifecycle {
  /**
   * Listens to the page for one connection's session, driving `control`; unsubscribing removes every listener.
   * @internal
   */
  watch(control: LifecycleControl): Unsubscribable;
}
