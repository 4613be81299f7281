import type { WebSocketConstructor } from './web-socket-like';

/**
 * One connection shared by every tab of an origin, for the `tabs` option of `fromWebSocket`, made by
 * `shareAcrossTabs()` (an opt-in import: an app that does not use it carries none of its code).
 */
export interface TabSharing {
  /** The name shared by the tabs: one connection per origin and name. */
  readonly name: string;
  /**
   * The constructor the socket's sessions use, given the one configured (`undefined`: the platform's): one whose
   * sockets go through the tab holding the shared connection, or `base` itself where tabs cannot share.
   * @internal
   */
  wrap(base: WebSocketConstructor | undefined): WebSocketConstructor | undefined;
}
