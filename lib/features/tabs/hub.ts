import { asyncScheduler } from 'rxjs';
import type { PageEventLike } from '../../features/lifecycle/page-lifecycle';
import type { WebSocketPayload } from '../../core/events';
import type { WebSocketConstructor } from '../../core/web-socket-like';
import { Leader } from './leader';
import type { TabPageEvents, TabPageEventType } from './page-events';
import type { RelaySocket } from './relay-socket';
import type { BroadcastChannelConstructor, BroadcastChannelLike, LockManagerLike } from './platform';
import { forever, relayKey, type FromLeader, type TabMessage, type ToLeader } from './wire';

/** Where a tab's hubs are: one per lock manager (one per tab) and name. */
const hubs = /* @__PURE__ */ new WeakMap<LockManagerLike, Map<string, Hub>>();

/** The hub of `name` in the tab whose lock manager is `locks`, made on first use. */
export function hubFor(
  locks: LockManagerLike,
  BroadcastChannelCtor: BroadcastChannelConstructor,
  name: string,
  base: WebSocketConstructor,
  catchUp: CatchUp,
  page: TabPageEvents | undefined,
): Hub {
  let named = hubs.get(locks);
  if (!named) hubs.set(locks, (named = new Map<string, Hub>()));
  let hub = named.get(name);
  if (!hub) named.set(name, (hub = new Hub(locks, BroadcastChannelCtor, name, base, catchUp, page)));
  return hub;
}

let tabs = 0;

/** How long a new connection keeps what it brings for the tabs that join it late, and how much of it. */
export interface CatchUp {
  readonly ms: number;
  readonly messages: number;
}

/**
 * One tab's part in sharing the connection called `name`: its sockets ({@link RelaySocket}), the tab's lock that
 * tells the others when it has gone, its place in the queue for leadership, and, once it leads, the {@link Leader}.
 * Messages to the leader go over the `BroadcastChannel`, or straight to it when this tab leads.
 */
export class Hub {
  /** This tab's id: random, so that no two tabs share one. */
  readonly id = `${Math.random().toString(36).slice(2)}${(++tabs).toString(36)}`;
  private readonly relays = new Map<number, RelaySocket>();
  /**
   * Sockets closed under their sends, by number: where what the leader hands back of those sends goes (the socket's
   * object's next socket sends it first). The leader answers in order: kept until it answers the close this tab then
   * tells it of, or until the object's next socket opens.
   */
  private readonly ended = new Map<number, WebSocketPayload[]>();
  private sockets = 0;
  private readonly channel: BroadcastChannelLike;
  /** The leader's id, once known. */
  private leaderId: string | undefined;
  private lead: Leader | undefined;
  /** Whether this tab's own lock is held, so that a leader can tell when it goes (no message goes out before). */
  private alive = false;
  /** Lets go of the leadership lock, while this tab leads. */
  private release: (() => void) | undefined;
  /** Removes the page listeners added now: the leader's (frozen, cached), or a tab's that stepped down (back). */
  private unlisten = (): void => undefined;

  constructor(
    private readonly locks: LockManagerLike,
    BroadcastChannelCtor: BroadcastChannelConstructor,
    private readonly name: string,
    private readonly base: WebSocketConstructor,
    private readonly catchUp: CatchUp,
    private readonly page: TabPageEvents | undefined,
  ) {
    this.channel = new BroadcastChannelCtor(`rx-websocket:${name}`);
    this.channel.onmessage = (event) => this.receive(event.data as TabMessage);
    void locks.request(tabLock(name, this.id), () => {
      this.alive = true;
      this.post({ k: 'who' });
      this.queue();
      return forever();
    });
  }

  /** Queued for leadership: granted when no other tab holds the connection, held until the tab goes or steps down. */
  private queue(): void {
    void this.locks.request(`rx-websocket:${this.name}`, () => {
      this.becomeLeader();
      return new Promise<void>((resolve) => (this.release = resolve));
    });
  }

  /**
   * The leader's page is frozen or goes into the back/forward cache: it would keep the lock (and the other tabs
   * waiting) until it is thawed or discarded. It lets go of the real socket (every tab sees a drop and reconnects
   * through the next leader) and of the lock, and rejoins as an ordinary tab when the page is back.
   */
  private stepDown(): void {
    const { lead, release } = this;
    if (!lead || !release) return;
    this.lead = this.release = undefined;
    this.unlisten();
    lead.resign();
    this.leaderId = undefined;
    release();
    this.listen(['resume', 'pageshow'], () => {
      this.unlisten();
      this.post({ k: 'who' });
      this.queue();
    });
  }

  /** Listens for `types` on the page with `listener`, until {@link unlisten}. */
  private listen(types: readonly TabPageEventType[], listener: (event: PageEventLike) => void): void {
    const { page } = this;
    if (!page) return;
    for (const type of types) page.addEventListener(type, listener);
    this.unlisten = () => {
      for (const type of types) page.removeEventListener(type, listener);
      this.unlisten = () => undefined;
    };
  }

  /** A new socket of this tab: its number. */
  add(relay: RelaySocket): number {
    const sock = ++this.sockets;
    this.relays.set(sock, relay);
    // Asked later: its constructor has not returned yet.
    if (this.leaderId !== undefined) {
      const id = this.leaderId;
      queueRelay(() => {
        if (this.relays.get(sock) === relay) relay.leader(id);
      });
    }
    return sock;
  }

  /** `relay` closed; `sent`: under sends that may still be handed back. */
  remove(relay: RelaySocket, sent: boolean): void {
    if (this.relays.get(relay.sock) !== relay) return;
    this.relays.delete(relay.sock);
    if (!sent) return;
    this.ended.set(relay.sock, relay.carried);
    this.toLeader({ k: 'close', tab: this.id, sock: relay.sock, code: undefined, reason: undefined });
  }

  toLeader(message: ToLeader): void {
    if (this.lead) this.lead.handle(message);
    else if (this.leaderId !== undefined) this.post(message);
  }

  private post(message: TabMessage): void {
    if (this.alive) this.channel.postMessage(message);
  }

  private becomeLeader(): void {
    this.lead = new Leader(
      this.id,
      this.base,
      (message) => {
        this.post(message);
        this.deliver(message);
      },
      (tab, gone) => void this.locks.request(tabLock(this.name, tab), gone),
      this.catchUp.ms,
      this.catchUp.messages,
    );
    // `freeze` carries no `persisted`; a `pagehide` that does not cache the page is left to the tab's going.
    this.listen(['freeze', 'pagehide'], (event) => {
      if (event.persisted !== false) this.stepDown();
    });
    this.post({ k: 'leader', from: this.id });
    this.follow(this.id);
  }

  private receive(message: TabMessage): void {
    // Until its own lock is held, the tab asks nothing (a leader could not tell when it goes): it hears nothing either,
    // and asks who leads once it holds it.
    if (!this.alive) return;
    if (message.k === 'open' || message.k === 'send' || message.k === 'close' || message.k === 'who') {
      this.lead?.handle(message);
    } else if (!this.lead) this.deliver(message);
  }

  /** What the leader says, in this tab. */
  private deliver(message: FromLeader): void {
    if (message.from !== this.leaderId) this.follow(message.from);
    switch (message.k) {
      case 'opened': {
        const relay = message.tab === this.id ? this.relays.get(message.sock) : undefined;
        if (!relay) return;
        for (const [sock, carried] of this.ended) if (carried === relay.carried) this.ended.delete(sock);
        return relay.opened(message.protocol, message.extensions, message.backlog);
      }
      case 'message':
        for (const relay of [...this.relays.values()]) relay.message(message.data);
        return;
      case 'unsent': {
        if (message.tab !== this.id) return;
        const relay = this.relays.get(message.sock);
        if (relay) return relay.unsent(message.data);
        if (message.data !== undefined) this.ended.get(message.sock)?.push(message.data);
        return;
      }
      case 'error':
        for (const relay of this.named(message.socks)) relay.errored();
        return;
      case 'closed':
        for (const sock of this.ended.keys())
          if (message.socks.includes(relayKey(this.id, sock))) this.ended.delete(sock);
        for (const relay of this.named(message.socks)) relay.closed(message.code, message.reason, message.wasClean);
        return;
    }
  }

  private follow(id: string): void {
    this.leaderId = id;
    for (const relay of [...this.relays.values()]) relay.leader(id);
  }

  private named(socks: readonly string[]): RelaySocket[] {
    return [...this.relays.values()].filter((relay) => socks.includes(relayKey(this.id, relay.sock)));
  }
}

const tabLock = (name: string, tab: string): string => `rx-websocket:${name}:tab:${tab}`;

/** Runs `work` once the current task is done (through RxJS, so that virtual time controls it). */
const queueRelay = (work: () => void): void => void asyncScheduler.schedule(work);
