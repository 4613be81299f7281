import { asyncScheduler } from 'rxjs';
import type { CloseInfo, WebSocketPayload } from '../../core/events';
import { CHANNEL_FRAME, type ChannelFrame, type ChannelFrameAware } from '../../core/internals';
import { ownCopy } from '../../core/payload';
import { CLOSED, CLOSING, CONNECTING, OPEN, type WebSocketLike } from '../../core/web-socket-like';
import type { Hub } from './hub';

type Handler<E> = ((event: E) => void) | null;

/**
 * A tab's socket over the connection the leader tab holds: a WebSocket-like whose frames go to the leader and whose
 * events come from it. To the tab's session it is a socket like any other: the leader going away is a drop (1006),
 * after which the session reconnects through the next leader.
 */
export class RelaySocket implements WebSocketLike, ChannelFrameAware {
  readyState: number = CONNECTING;
  protocol = '';
  extensions = '';
  readonly bufferedAmount = 0;
  binaryType = 'blob';
  onopen: Handler<{ readonly type: 'open' }> = null;
  onmessage: Handler<{
    readonly type: 'message';
    readonly data: unknown;
    readonly origin: string;
    readonly lastEventId: string;
    readonly source: null;
    readonly ports: readonly never[];
  }> = null;
  onerror: Handler<{ readonly type: 'error' }> = null;
  onclose: Handler<CloseInfo & { readonly type: 'close' }> = null;
  /** Its number in its tab. */
  readonly sock: number;
  /** The leader its open was asked of. */
  private askedOf: string | undefined;
  /** What `multiplex` says of the frame it sends now. */
  private frame: ChannelFrame | undefined;
  /** Closing because the leader's connection is (the server's close frame is read), not because it was closed. */
  private ending = false;

  constructor(
    private readonly hub: Hub,
    readonly url: string,
    readonly protocols?: string | string[],
    /**
     * What the leader handed back, unsent, to any socket of the same socket object: sent first on the next one that
     * opens, before the sends its session flushes on `open`.
     */
    readonly carried: WebSocketPayload[] = [],
  ) {
    this.sock = hub.add(this);
  }

  send(data: WebSocketPayload): void {
    if (this.readyState === CONNECTING) throw new Error('InvalidStateError: the socket is still connecting');
    if (this.readyState !== OPEN) return;
    this.hub.toLeader({ k: 'send', tab: this.hub.id, sock: this.sock, data, frame: this.frame });
  }

  close(code?: number, reason?: string): void {
    if (this.readyState === CLOSING || this.readyState === CLOSED) return;
    const wasOpen = this.readyState === OPEN;
    this.readyState = CLOSING;
    if (this.askedOf !== undefined) this.hub.toLeader({ k: 'close', tab: this.hub.id, sock: this.sock, code, reason });
    // As a browser does: a socket closed while connecting fails (1006); an open one completes its handshake.
    asyncScheduler.schedule(() =>
      wasOpen ? this.closed(code ?? 1005, reason ?? '', true) : this.closed(1006, '', false),
    );
  }

  [CHANNEL_FRAME](frame: ChannelFrame | undefined): void {
    this.frame = frame;
  }

  /** The hub knows a leader (a new one): ask it to open; a socket open through another leader has lost it. */
  leader(id: string): void {
    if (this.askedOf === id) return;
    if (this.readyState === CONNECTING) {
      this.askedOf = id;
      this.hub.toLeader({ k: 'open', tab: this.hub.id, sock: this.sock, url: this.url, protocols: this.protocols });
    } else if (this.readyState === OPEN || this.ending) this.closed(1006, '', false);
  }

  opened(protocol: string, extensions: string, backlog: readonly unknown[]): void {
    if (this.readyState !== CONNECTING) return;
    this.readyState = OPEN;
    this.protocol = protocol;
    this.extensions = extensions;
    const { id } = this.hub;
    for (const data of this.carried.splice(0))
      this.hub.toLeader({ k: 'send', tab: id, sock: this.sock, data, frame: undefined });
    this.onopen?.({ type: 'open' });
    for (const data of backlog) this.message(data);
  }

  message(data: unknown): void {
    if (this.readyState !== OPEN) return;
    const delivered = this.binaryType === 'blob' && data instanceof ArrayBuffer ? new Blob([data]) : data;
    this.onmessage?.({ type: 'message', data: delivered, origin: '', lastEventId: '', source: null, ports: [] });
  }

  /**
   * The leader did not send `data`: its connection is closing. As a browser's socket once the server's close frame
   * is read, this one says CLOSING (its session keeps what is sent next for the next connection) and waits for the
   * close; `data` goes first on the next socket of its socket object.
   */
  unsent(data: WebSocketPayload | undefined): void {
    // Kept past the send: a copy (in the leader's own tab the data is the application's own buffer, not a clone).
    if (data !== undefined) this.carried.push(ownCopy(data));
    if (this.readyState !== OPEN) return;
    this.readyState = CLOSING;
    this.ending = true;
  }

  errored(): void {
    if (this.readyState !== CLOSED) this.onerror?.({ type: 'error' });
  }

  closed(code: number, reason: string, wasClean: boolean): void {
    if (this.readyState === CLOSED) return;
    // Closed under it, not by its own close(): what it sent meanwhile may still be handed back.
    const sent = this.readyState === OPEN || this.ending;
    this.readyState = CLOSED;
    this.hub.remove(this, sent);
    this.onclose?.({ type: 'close', code, reason, wasClean });
  }
}
