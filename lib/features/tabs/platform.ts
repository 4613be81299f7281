/** What tab sharing needs of `navigator.locks` (the Web Locks API). */
export interface LockManagerLike {
  /**
   * Asks for the exclusive lock `name`: `callback` runs once it is granted, and the lock is held until the promise it
   * returns settles (at once when it returns anything else), or until the tab goes.
   */
  request(name: string, callback: (lock: unknown) => unknown): Promise<unknown>;
}

/** What tab sharing needs of a `BroadcastChannel`. */
export interface BroadcastChannelLike {
  /** Called with each message another tab posted on a channel of the same name (never with this one's own). */
  onmessage: ((event: { readonly data: unknown }) => void) | null;
  /** Posts a structured clone of `message` to every other channel of the same name. */
  postMessage(message: unknown): void;
}

/** What tab sharing needs of the `BroadcastChannel` constructor: a channel of the given name. */
export type BroadcastChannelConstructor = new (name: string) => BroadcastChannelLike;
