import type { PageEventLike } from '../../features/lifecycle/page-lifecycle';

/** The page events a leader tab steps down and rejoins on. */
export type TabPageEventType = 'freeze' | 'resume' | 'pagehide' | 'pageshow';

/**
 * Where a tab hears that its page is frozen or cached, and back: in a browser, `document` (`freeze`, `resume`) and
 * `window` (`pagehide`, `pageshow`) together. Specs give their own, to drive it in virtual time.
 */
export interface TabPageEvents {
  /** Adds a listener, as `EventTarget.addEventListener`. */
  addEventListener(type: TabPageEventType, listener: (event: PageEventLike) => void): void;
  /** Removes a listener, as `EventTarget.removeEventListener`. */
  removeEventListener(type: TabPageEventType, listener: (event: PageEventLike) => void): void;
}

interface Target {
  addEventListener: TabPageEvents['addEventListener'];
  removeEventListener: TabPageEvents['removeEventListener'];
}

/** `document` and `window` as one {@link TabPageEvents}, or undefined outside a browser page. */
export function browserTabPage(): TabPageEvents | undefined {
  const window = globalThis as unknown as Partial<Target> & { document?: Partial<Target> };
  const { document } = window;
  if (typeof document?.addEventListener != 'function' || typeof window.addEventListener != 'function') return undefined;
  const on = (type: TabPageEventType) => (type === 'freeze' || type === 'resume' ? document : window) as Target;
  return {
    addEventListener: (type, listener) => on(type).addEventListener(type, listener),
    removeEventListener: (type, listener) => on(type).removeEventListener(type, listener),
  };
}
