import { asyncScheduler, type Subscription } from 'rxjs';
import type { WebSocketPayload } from '../../core/events';
import type { ChannelFrame } from '../../core/internals';
import { OPEN, type WebSocketConstructor, type WebSocketLike } from '../../core/web-socket-like';
import { relayKey, type FromLeader, type RelayKey, type ToLeader } from './wire';

/** A tab's socket attached to the shared connection. */
interface Attached {
  readonly tab: string;
  readonly sock: number;
  /** How many messages the connection had fanned out when it was told it is open; undefined until then. */
  openedAt: number | undefined;
}

/** A channel subscribed on the shared connection, counted across tabs. */
interface SharedChannel {
  readonly members: Set<RelayKey>;
  /** How many messages the connection had fanned out when a subscribe made with a cursor last went for it. */
  resumedAt: number | undefined;
}

/** The handlers of a real socket, as the browser's `WebSocket` has them. */
interface RealSocket extends WebSocketLike {
  onopen: ((event: unknown) => void) | null;
  onmessage: ((event: { readonly data: unknown }) => void) | null;
  onerror: ((event: unknown) => void) | null;
  onclose: ((event: { readonly code: number; readonly reason: string; readonly wasClean: boolean }) => void) | null;
}

/**
 * The leader tab's part: the one real socket, opened while any tab's socket wants it and closed with 1000 when the
 * last lets go; every message fanned out to the tabs (one broadcast); each tab's frames sent in the order they came;
 * channels counted across tabs (one subscribe while any tab wants a channel, one unsubscribe when the last lets go).
 */
export class Leader {
  private real: RealSocket | undefined;
  private readonly attached = new Map<RelayKey, Attached>();
  private readonly channels = new Map<string, SharedChannel>();
  /** Messages fanned out on the current connection. */
  private received = 0;
  /** While the connection is young: every message it brought, for the tabs that join it late (see `catchUpMs`). */
  private backlog: unknown[] | undefined;
  private young: Subscription | undefined;
  /** The tabs whose going is watched. */
  private readonly watched = new Set<string>();

  constructor(
    private readonly id: string,
    private readonly base: WebSocketConstructor,
    /** Tells every tab, this one included. */
    private readonly broadcast: (message: FromLeader) => void,
    /** Called once per tab when it has gone (its lock released). */
    private readonly watch: (tab: string, gone: () => void) => void,
    private readonly catchUpMs: number,
    private readonly catchUpMessages: number,
  ) {}

  handle(message: ToLeader): void {
    switch (message.k) {
      case 'open':
        return this.open(message.tab, message.sock, message.url, message.protocols);
      case 'send':
        return this.send(message.tab, message.sock, message.data, message.frame);
      case 'close': {
        const key = relayKey(message.tab, message.sock);
        // A socket the connection no longer has (closed under its sends): every send it made before has been answered
        // by now; its tab may forget it.
        if (!this.detach(key, message.code, message.reason))
          this.broadcast({ k: 'closed', from: this.id, socks: [key], code: 1006, reason: '', wasClean: false });
        return;
      }
      case 'who':
        return this.broadcast({ k: 'leader', from: this.id });
    }
  }

  private open(tab: string, sock: number, url: string, protocols: string | readonly string[] | undefined): void {
    const key = relayKey(tab, sock);
    if (this.attached.has(key)) return;
    const entry: Attached = { tab, sock, openedAt: undefined };
    if (tab !== this.id && !this.watched.has(tab)) {
      this.watched.add(tab);
      this.watch(tab, () => {
        this.watched.delete(tab);
        for (const [other, { tab: owner }] of this.attached) if (owner === tab) this.detach(other);
      });
    }
    this.attached.set(key, entry);
    const { real } = this;
    if (!real) {
      this.connect(url, protocols);
      return;
    }
    // Told later, never from within the asking socket's constructor: its handlers are not set yet.
    if (real.readyState === OPEN) asyncScheduler.schedule(() => this.tellOpen(key, entry, real));
  }

  private tellOpen(key: RelayKey, entry: Attached, real: RealSocket): void {
    // Not onto a connection that is closing (the server's close frame read since the socket asked): it closes with it.
    if (
      this.real !== real ||
      real.readyState !== OPEN ||
      this.attached.get(key) !== entry ||
      entry.openedAt !== undefined
    )
      return;
    // A socket that catches up has had everything the connection brought: as if open from its start.
    const { backlog } = this;
    entry.openedAt = backlog ? 0 : this.received;
    const { tab, sock } = entry;
    this.broadcast({
      k: 'opened',
      from: this.id,
      tab,
      sock,
      protocol: real.protocol,
      extensions: real.extensions,
      backlog: backlog ? [...backlog] : [],
    });
  }

  private connect(url: string, protocols: string | readonly string[] | undefined): void {
    let real: RealSocket;
    try {
      real = new (this.base as unknown as new (u: string, p?: string | string[]) => RealSocket)(
        url,
        protocols === undefined || typeof protocols === 'string' ? protocols : [...protocols],
      );
      real.binaryType = 'arraybuffer';
    } catch {
      // The asking tabs fail their attempt as a socket that could not connect, and retry by their policy.
      asyncScheduler.schedule(() => this.closed(undefined, 1006, '', false));
      return;
    }
    this.real = real;
    real.onopen = () => {
      if (this.catchUpMs > 0 && this.catchUpMessages > 0) {
        this.backlog = [];
        this.young = asyncScheduler.schedule(() => (this.backlog = undefined), this.catchUpMs);
      }
      for (const [key, entry] of this.attached) this.tellOpen(key, entry, real);
    };
    real.onmessage = (event) => {
      this.received++;
      const { backlog } = this;
      if (backlog && backlog.push(event.data) > this.catchUpMessages) this.backlog = undefined;
      this.broadcast({ k: 'message', from: this.id, data: event.data });
    };
    real.onerror = () => this.broadcast({ k: 'error', from: this.id, socks: [...this.attached.keys()] });
    real.onclose = (event) => this.closed(real, event.code, event.reason, event.wasClean);
  }

  /** The real socket closed (or could not be made): every attached socket closes with it. */
  private closed(real: RealSocket | undefined, code: number, reason: string, wasClean: boolean): void {
    if (real !== this.real) return;
    const socks = [...this.attached.keys()];
    this.real = undefined;
    this.forget();
    this.attached.clear();
    this.channels.clear();
    this.broadcast({ k: 'closed', from: this.id, socks, code, reason, wasClean });
  }

  /**
   * The tab stops leading (its page is frozen or cached): the real socket is closed (1000) and every attached socket
   * sees a drop (1006), to reconnect through the next leader.
   */
  resign(): void {
    const { real } = this;
    if (real) real.onopen = real.onmessage = real.onerror = real.onclose = null;
    this.closed(real, 1006, '', false);
    real?.close(1000, 'leader tab frozen');
  }

  private send(tab: string, sock: number, data: WebSocketPayload, frame: ChannelFrame | undefined): void {
    const key = relayKey(tab, sock);
    const entry = this.attached.get(key);
    const { real } = this;
    // A browser's socket says CLOSING once the server's close frame is read, and a socket of one tab would keep what
    // is sent then for its next connection: so does the tab, with what is handed back.
    if (entry?.openedAt === undefined || real?.readyState !== OPEN) {
      return this.broadcast({ k: 'unsent', from: this.id, tab, sock, data: frame ? undefined : data });
    }
    if (frame && frame.op !== 'resend' && !this.counts(key, entry, frame)) return;
    real.send(data);
  }

  /**
   * Whether a channel frame goes to the server. A subscribe goes when no tab had the channel; and, made with a cursor
   * (a resumable channel resubscribing after a reconnection), unless the socket asking was open before any message
   * came after the last such subscribe (else it may have missed part of that replay: the server replays again, and
   * the channels that had it drop what they delivered already). An unsubscribe goes when the last tab lets go.
   */
  private counts(key: RelayKey, entry: Attached, frame: ChannelFrame): boolean {
    let channel = this.channels.get(frame.key);
    if (frame.op === 'unsubscribe') {
      if (!channel) return true;
      channel.members.delete(key);
      if (channel.members.size > 0) return false;
      this.channels.delete(frame.key);
      return true;
    }
    if (!channel) this.channels.set(frame.key, (channel = { members: new Set(), resumedAt: undefined }));
    const first = channel.members.size === 0;
    channel.members.add(key);
    const missed = frame.resumes && (channel.resumedAt === undefined || (entry.openedAt ?? 0) > channel.resumedAt);
    if (frame.resumes && (first || missed)) channel.resumedAt = this.received;
    return first || missed;
  }

  /**
   * A tab's socket let go (or its tab went): the last one closes the real socket, with the code and reason it closed
   * with (1000 when its tab went).
   */
  private detach(key: RelayKey, code = 1000, reason?: string): boolean {
    if (!this.attached.delete(key)) return false;
    for (const [name, channel] of this.channels) {
      channel.members.delete(key);
      if (channel.members.size === 0) this.channels.delete(name);
    }
    const { real } = this;
    if (this.attached.size > 0 || !real) return true;
    this.real = undefined;
    this.forget();
    real.onopen = real.onmessage = real.onerror = real.onclose = null;
    real.close(code, reason);
    return true;
  }

  private forget(): void {
    this.received = 0;
    this.backlog = undefined;
    this.young?.unsubscribe();
    this.young = undefined;
  }
}
