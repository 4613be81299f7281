import { inspect } from 'node:util';
import { asyncScheduler } from 'rxjs';
import type {
  BroadcastChannelConstructor,
  BroadcastChannelLike,
  LockManagerLike,
  PageEventLike,
  TabPageEvents,
  TabPageEventType,
} from '../../../lib/index';

/** One tab of a {@link FakeBrowser}: its `navigator.locks` and `BroadcastChannel`, and a way to kill it. */
export interface FakeTab {
  readonly name: string;
  readonly locks: LockManagerLike;
  readonly BroadcastChannel: BroadcastChannelConstructor;
  /** The tab goes with no goodbye (closed, crashed, navigated away): its locks are released, its channels go deaf. */
  crash(): void;
  readonly alive: boolean;
}

/** Several tabs of one origin in one process: exclusive Web Locks granted in order, and BroadcastChannels. */
export interface FakeBrowser {
  tab(name: string): FakeTab;
  /** Who holds each lock now, by tab name. */
  holders(): Record<string, string>;
  /** Every message posted on the channels, in order, with the posting tab's name. */
  readonly posted: { readonly tab: string; readonly message: unknown }[];
  /**
   * Releases now every lock whose callback's promise has settled. A browser does it in a microtask, which virtual
   * time cannot wait for: a spec calls this after what settles one.
   */
  settle(): void;
}

interface Request {
  readonly tab: TabState;
  readonly callback: (lock: unknown) => unknown;
}

interface TabState {
  readonly name: string;
  alive: boolean;
}

/**
 * Messages reach the other channels of the same name `latencyMs` after they are posted (through the async scheduler,
 * so that `TestScheduler.run` controls it), as structured clones; a tab never hears its own posts. A lock is granted
 * `lockLatencyMs` after it is free and asked for.
 */
export function createFakeBrowser({ latencyMs = 1, lockLatencyMs = 0 } = {}): FakeBrowser {
  const held = new Map<string, TabState>();
  const queues = new Map<string, Request[]>();
  const channels: { readonly tab: TabState; readonly name: string; readonly channel: BroadcastChannelLike }[] = [];
  const posted: { tab: string; message: unknown }[] = [];
  const pending = new Map<Promise<unknown>, () => void>();

  const grant = (name: string): void => {
    if (held.has(name)) return;
    const queue = queues.get(name) ?? [];
    const next = queue.shift();
    if (!next) return;
    held.set(name, next.tab);
    // Granted in a task of its own, as a browser does.
    asyncScheduler.schedule(() => {
      if (!next.tab.alive) return;
      const result = next.callback({ name });
      const release = (): void => {
        if (held.get(name) !== next.tab) return;
        held.delete(name);
        grant(name);
      };
      if (result instanceof Promise) {
        pending.set(result, release);
        void result.then(release);
      } else release();
    }, lockLatencyMs);
  };

  return {
    posted,
    settle() {
      for (const [promise, release] of [...pending]) {
        if (inspect(promise).includes('<pending>')) continue;
        pending.delete(promise);
        release();
      }
    },
    holders: () => Object.fromEntries([...held].map(([lock, tab]) => [lock, tab.name])),
    tab(tabName) {
      const state: TabState = { name: tabName, alive: true };
      const locks: LockManagerLike = {
        request(name, callback) {
          if (state.alive) {
            const queue = queues.get(name) ?? [];
            queues.set(name, [...queue, { tab: state, callback }]);
            grant(name);
          }
          return new Promise(() => undefined);
        },
      };
      class FakeChannel implements BroadcastChannelLike {
        onmessage: ((event: { readonly data: unknown }) => void) | null = null;
        constructor(readonly name: string) {
          channels.push({ tab: state, name, channel: this });
        }
        postMessage(message: unknown): void {
          if (!state.alive) return;
          posted.push({ tab: tabName, message });
          for (const other of channels) {
            if (other.channel === this || other.name !== this.name) continue;
            const copy = structuredClone(message);
            asyncScheduler.schedule(() => {
              if (other.tab.alive) other.channel.onmessage?.({ data: copy });
            }, latencyMs);
          }
        }
      }
      return {
        name: tabName,
        locks,
        BroadcastChannel: FakeChannel,
        get alive() {
          return state.alive;
        },
        crash() {
          state.alive = false;
          for (const [name, queue] of queues)
            queues.set(
              name,
              queue.filter((request) => request.tab !== state),
            );
          for (const [name, holder] of [...held]) {
            if (holder !== state) continue;
            held.delete(name);
            grant(name);
          }
        },
      };
    },
  };
}

/** A tab's page events, dispatched by the spec: `freeze`, `resume`, `pagehide`, `pageshow`. */
export interface FakePage extends TabPageEvents {
  dispatch(type: TabPageEventType, event?: PageEventLike): void;
  /** How many listeners are added now. */
  listeners(): number;
}

export function createFakePage(): FakePage {
  const added: { readonly type: TabPageEventType; readonly listener: (event: PageEventLike) => void }[] = [];
  return {
    addEventListener: (type, listener) => void added.push({ type, listener }),
    removeEventListener(type, listener) {
      const at = added.findIndex((entry) => entry.type === type && entry.listener === listener);
      if (at >= 0) added.splice(at, 1);
    },
    dispatch(type, event = {}) {
      for (const entry of added.filter((entry) => entry.type === type)) entry.listener(event);
    },
    listeners: () => added.length,
  };
}
