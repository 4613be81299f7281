import { once } from 'node:events';
import { WebSocket } from 'ws';
import { Changes } from '../../helpers/wait';

/** A server frame as the specs read it. */
export interface Frame {
  readonly type: string;
  readonly channel?: string;
  readonly cursor?: string;
  readonly recovered?: boolean;
  readonly id?: string | number;
  readonly data?: unknown;
  readonly error?: { readonly code: string; readonly message: string };
  readonly code?: string;
}

/** A `message` frame. */
export interface MessageFrame extends Frame {
  readonly type: 'message';
  readonly channel: string;
  readonly cursor: string;
  readonly data: { readonly n: number };
}

/** A plain `ws` client of the feed protocol: it records every frame and waits for them by events, never by time. */
export class FeedClient {
  readonly frames: Frame[] = [];
  readonly changes = new Changes();
  closeInfo: { code: number; reason: string } | undefined;
  /** When each frame arrived (performance.now()), by index in `frames`. */
  readonly arrivals: number[] = [];
  /** Resolves when the connection closes, however long that takes (`closed()` is the bounded wait). */
  readonly whenClosed: Promise<void>;

  private constructor(readonly socket: WebSocket) {
    this.whenClosed = once(socket, 'close').then(() => undefined);
    socket.on('message', (data: Buffer) => {
      this.frames.push(JSON.parse(data.toString()) as Frame);
      this.arrivals.push(performance.now());
      this.changes.notify();
    });
    socket.on('close', (code, reason) => {
      this.closeInfo = { code, reason: reason.toString() };
      this.changes.notify();
    });
    socket.on('error', () => this.changes.notify());
  }

  static async connect(url: string, timeoutMs = 5_000): Promise<FeedClient> {
    const socket = new WebSocket(url);
    const timer = setTimeout(() => socket.terminate(), timeoutMs);
    try {
      await once(socket, 'open');
    } finally {
      clearTimeout(timer);
    }
    return new FeedClient(socket);
  }

  send(frame: object | string): void {
    this.socket.send(typeof frame === 'string' ? frame : JSON.stringify(frame));
  }

  messages(channel: string): MessageFrame[] {
    return this.frames.filter((f): f is MessageFrame => f.type === 'message' && f.channel === channel);
  }

  /** Resolves with the first frame from `from` on that satisfies `match`. */
  async next(match: (frame: Frame) => boolean, what: string, timeoutMs = 5_000, from = 0): Promise<Frame> {
    let found: Frame | undefined;
    await this.changes.until(
      () => (found = this.frames.slice(from).find(match)) !== undefined,
      timeoutMs,
      `${what} (frames so far: ${this.frames.length})`,
    );
    return found as Frame;
  }

  /** Resolves once `channel` has had `count` messages in all. */
  async messageCount(channel: string, count: number, timeoutMs = 5_000): Promise<MessageFrame[]> {
    await this.changes.until(
      () => this.messages(channel).length >= count,
      timeoutMs,
      `${count} messages on ${channel}`,
    );
    return this.messages(channel);
  }

  async closed(timeoutMs = 5_000): Promise<{ code: number; reason: string }> {
    await this.changes.until(() => this.closeInfo !== undefined, timeoutMs, 'the connection to close');
    return this.closeInfo as { code: number; reason: string };
  }

  close(): void {
    if (this.socket.readyState === WebSocket.OPEN || this.socket.readyState === WebSocket.CONNECTING) {
      this.socket.terminate();
    }
  }
}

/**
 * Checks a channel's numbered stream: each message's `n` is one more than the previous one (no gap, no duplicate,
 * no reordering). Returns the breaks found.
 */
export function breaksIn(messages: readonly MessageFrame[]): string[] {
  const breaks: string[] = [];
  for (let i = 1; i < messages.length; i++) {
    const previous = (messages[i - 1] as MessageFrame).data.n;
    const current = (messages[i] as MessageFrame).data.n;
    if (current !== previous + 1) breaks.push(`#${i}: ${previous} then ${current}`);
  }
  return breaks;
}
