import type { Unsubscribable } from 'rxjs';
import type { Session } from './session';

/**
 * The page lifecycle for the `lifecycle` option of `fromWebSocket`, made by `pageLifecycle()` (an opt-in import: an
 * app that does not use it carries none of its code).
 */
export interface PageLifecycle {
  /**
   * Listens to the page for one connection's session, checking it when the page is back and holding it closed while
   * the page is away; unsubscribing removes every listener. All of that is the feature's code: the session only starts
   * it and stops it.
   * @internal
   */
  watch(session: Session<unknown>): Unsubscribable;
}
