import { InvalidOptionError } from '../../core/errors';
import type { WebSocketPayload } from '../../core/events';
import { MAX_TIMER_DELAY_MS } from '../../reconnect/backoff';
import type { TabSharing } from '../../core/tabs-contract';
import type { WebSocketConstructor } from '../../core/web-socket-like';
import { hubFor } from './hub';
import { RelaySocket } from './relay-socket';
import type { BroadcastChannelConstructor, LockManagerLike } from './platform';
import { browserTabPage, type TabPageEvents } from './page-events';

/** Options of {@link shareAcrossTabs}. */
export interface ShareAcrossTabsOptions {
  /**
   * The connection's name: every socket of the origin given a sharing with this name uses one connection, opened with
   * the URL and protocols of the socket that asked first. Give each endpoint a name of its own.
   */
  readonly name: string;
  /**
   * The Web Locks API the tabs elect their leader with (a test can give a double).
   * @default `navigator.locks`, outside Node
   */
  readonly locks?: LockManagerLike;
  /**
   * The `BroadcastChannel` constructor the tabs talk over (a test can give a double).
   * @default `globalThis.BroadcastChannel`, outside Node
   */
  readonly BroadcastChannel?: BroadcastChannelConstructor;
  /**
   * How long a new connection keeps every message it brings, in milliseconds, so that a tab joining it within that
   * time (after a leader change or a drop, each tab reconnects after its own backoff delay) gets them first, in order,
   * as if it had joined at its start: a resumable channel then misses nothing of the replay that another tab's
   * resubscription started, and its own resubscription is not sent again. A tab that joins later gets what comes
   * next; its resumable channels resubscribe from their cursors (the server replays again, the other tabs drop what
   * they have delivered already), and the replay may then come after live messages it already delivered. A channel
   * that a tab starts within that time may be handed messages from before it subscribed, when another tab had it.
   * 0 keeps nothing.
   * @default 5000
   */
  readonly catchUpMs?: number;
  /**
   * The most messages a new connection keeps for the tabs that join it late (see `catchUpMs`); past that it keeps
   * none.
   * @default 1024
   */
  readonly catchUpMessages?: number;
  /**
   * Where the tab hears that its page is frozen (`freeze`, `resume`) or goes into the back/forward cache (`pagehide`
   * and `pageshow` with `persisted`): a leader tab steps down then, and rejoins when the page is back (a test can give
   * a double).
   * @default the browser's `document` and `window`; outside a browser, nothing
   */
  readonly events?: TabPageEvents;
}

/** The default {@link ShareAcrossTabsOptions} values. */
export const DEFAULT_SHARE_ACROSS_TABS = {
  /** {@link ShareAcrossTabsOptions.catchUpMs}: 5 s. */
  catchUpMs: 5_000,
  /** {@link ShareAcrossTabsOptions.catchUpMessages}: 1024. */
  catchUpMessages: 1_024,
} as const;

/**
 * One connection shared by every tab of the origin, for the `tabs` option of `fromWebSocket` (an opt-in import):
 * `fromWebSocket(url, { tabs: shareAcrossTabs({ name: 'feed' }) })`.
 *
 * The tab holding the Web Lock named after `name` (the leader) holds the one real socket; the others talk to it over
 * a `BroadcastChannel`. Every tab keeps the whole surface of its socket object: its messages (every message reaches
 * every tab), states, open and close events, its sends (in order per tab; what cannot be sent is reported in the tab
 * that sent it; what reaches the leader as its connection closes goes first on the next one) and its channels. A
 * `multiplex` channel is counted across tabs: one subscribe while any tab wants it, one unsubscribe when the last lets
 * go. When the leader tab closes, crashes or navigates away, the browser passes
 * the lock on; when its page is frozen or goes into the back/forward cache, it closes the socket (1000) and lets go of
 * the lock itself, and rejoins as an ordinary tab when the page is back. Every tab sees a drop (1006), the next leader opens
 * the socket, and each tab reconnects through it by its own reconnect settings; resumable channels resubscribe from their cursors, and what was sent meanwhile
 * waits in the sending tab's queue. Where Web Locks or `BroadcastChannel` are missing, and in Node, each socket
 * object has its own connection, with the same API.
 *
 * @throws InvalidOptionError when `name` is not a non-empty string.
 */
export function shareAcrossTabs(options: ShareAcrossTabsOptions): TabSharing {
  const name = options?.name;
  if (typeof name !== 'string' || name === '') throw new InvalidOptionError('tabs.name', name, 'a non-empty string');
  const {
    catchUpMs = DEFAULT_SHARE_ACROSS_TABS.catchUpMs,
    catchUpMessages = DEFAULT_SHARE_ACROSS_TABS.catchUpMessages,
  } = options;
  if (!(catchUpMs >= 0 && catchUpMs <= MAX_TIMER_DELAY_MS)) {
    throw new InvalidOptionError('tabs.catchUpMs', catchUpMs, `from 0 to ${MAX_TIMER_DELAY_MS}`);
  }
  if (!(Number.isSafeInteger(catchUpMessages) && catchUpMessages >= 0)) {
    throw new InvalidOptionError('tabs.catchUpMessages', catchUpMessages, 'an integer ≥ 0');
  }
  const catchUp = { ms: catchUpMs, messages: catchUpMessages };
  const platform = !isNode();
  const locks: LockManagerLike | undefined = options.locks ?? (platform ? globalThis.navigator?.locks : undefined);
  const BroadcastChannelCtor =
    options.BroadcastChannel ??
    (platform && typeof BroadcastChannel == 'function'
      ? (BroadcastChannel as unknown as BroadcastChannelConstructor)
      : undefined);
  const page = options.events ?? (platform ? browserTabPage() : undefined);
  return {
    name,
    wrap(base: WebSocketConstructor | undefined): WebSocketConstructor | undefined {
      const real = base ?? (typeof WebSocket == 'function' ? WebSocket : undefined);
      if (!locks || !BroadcastChannelCtor || !real) return base;
      const hub = () => hubFor(locks, BroadcastChannelCtor, name, real, catchUp, page);
      // One socket object's sockets, one after the other: what the leader hands back to one goes on the next.
      const carried: WebSocketPayload[] = [];
      return class SharedSocket extends RelaySocket {
        constructor(url: string, protocols?: string | string[]) {
          super(hub(), url, protocols, carried);
        }
      };
    },
  };
}

function isNode(): boolean {
  return typeof process == 'object' && typeof process.versions?.node == 'string';
}
