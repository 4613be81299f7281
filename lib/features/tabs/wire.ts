import type { WebSocketPayload } from '../../core/events';
import type { ChannelFrame } from '../../core/internals';

/** A socket of a tab, as the leader knows it: the tab's id and the socket's number there, as `tab/number`. */
export type RelayKey = string;

/** What a tab's sockets ask of the leader. `tab` is the asking tab's id, `sock` the socket's number there. */
export type ToLeader =
  | { readonly k: 'who' }
  | {
      readonly k: 'open';
      readonly tab: string;
      readonly sock: number;
      readonly url: string;
      readonly protocols: string | readonly string[] | undefined;
    }
  | {
      readonly k: 'send';
      readonly tab: string;
      readonly sock: number;
      readonly data: WebSocketPayload;
      readonly frame: ChannelFrame | undefined;
    }
  | {
      readonly k: 'close';
      readonly tab: string;
      readonly sock: number;
      readonly code: number | undefined;
      readonly reason: string | undefined;
    };

/** What the leader (`from`) tells the tabs. `socks` names the sockets it is about, by {@link RelayKey}. */
export type FromLeader =
  | { readonly k: 'leader'; readonly from: string }
  | {
      readonly k: 'opened';
      readonly from: string;
      readonly tab: string;
      readonly sock: number;
      readonly protocol: string;
      readonly extensions: string;
      /** What the connection brought before: delivered first (a tab joining a young connection catches up). */
      readonly backlog: readonly unknown[];
    }
  | { readonly k: 'message'; readonly from: string; readonly data: unknown }
  | {
      /**
       * A tab's send that did not go: the connection is closing (the server's close frame is read) or is not this
       * socket's. `data` is handed back to go on the socket's next connection; a channel's frame is not (`multiplex`
       * makes its frames again there).
       */
      readonly k: 'unsent';
      readonly from: string;
      readonly tab: string;
      readonly sock: number;
      readonly data: WebSocketPayload | undefined;
    }
  | { readonly k: 'error'; readonly from: string; readonly socks: readonly RelayKey[] }
  | {
      readonly k: 'closed';
      readonly from: string;
      readonly socks: readonly RelayKey[];
      readonly code: number;
      readonly reason: string;
      readonly wasClean: boolean;
    };

export type TabMessage = ToLeader | FromLeader;

export const relayKey = (tab: string, sock: number): RelayKey => `${tab}/${sock}`;

/** A promise that never settles: a lock held with it is held until the tab goes. */
export const forever = (): Promise<never> => new Promise<never>(() => undefined);
